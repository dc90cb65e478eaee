"""The compare page and GET /api/v1/process-models/{id}/diff: the same diff, with clear refusals."""
from __future__ import annotations

import html
import json
import re

from jsonschema import Draft202012Validator

from tests.versions.edits import closure_step, deploy, timer_expression, with_diagram

DIFF = "/process-models/referral/diff"


def second_version(bundle):
    """A new step before closing, a re-worded task and a different feedback deadline."""
    return closure_step(with_diagram(
        bundle, (b'name="Screen the contact"', b'name="Screen the new contact"'),
        timer_expression("feedback_deadline", "add_working_days(now(), 1)", "add_working_days(now(), 2)")))


def text(response) -> str:
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split()))


def test_the_compare_page_lists_each_change_and_marks_the_diagrams(web, db):
    deploy(db, second_version)
    response = web("auditor").get(f"{DIFF}?from=1&to=2")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "style-src-attr 'unsafe-inline'" in response.headers["Content-Security-Policy"]  # bpmn-js draws
    words = text(response)
    assert "What changed from version 1 to version 2" in words
    assert re.search(r'data-count="added">\s*2<', page) and re.search(r'data-count="changed">\s*3<', page)
    assert "Name Was: Screen the contact Now: Screen the new contact" in words
    assert ("Timer Was: timeDate: add_working_days(now(), 1) Now: timeDate: add_working_days(now(), 2)") in words
    assert 'data-status="added" data-element-id="confirm_closure"' in page
    assert 'data-form-key="closure_check" data-status="added"' in page
    # The viewers get both versions' diagram URLs and what to mark on each.
    visual = json.loads(html.unescape(re.search(r'id="versions-diff-data">(.*?)</script>', page, re.S).group(1)))
    referral = next(f for f in visual["files"] if f["name"] == "referral.bpmn")
    assert referral["old_url"] == "/process-models/referral/versions/1/files/referral.bpmn"
    assert referral["new_marks"] == {"screening": "changed", "feedback_deadline": "changed", "Flow_to_close": "changed",
                                     "confirm_closure": "added", "Flow_closure_confirmed": "added"}
    assert "confirm_closure" not in referral["old_marks"] and referral["old_marks"]["screening"] == "changed"
    assert "/static/js/diff.js" in page


def test_version_pickers_work_without_script_and_bad_choices_are_explained(web, db):
    deploy(db, second_version)
    reader = web("social-worker")
    assert "What changed from version 1 to version 2" in text(reader.get(DIFF))  # the latest against the one before
    same = reader.get(f"{DIFF}?from=2&to=2")
    assert same.status_code == 400 and "Choose two different versions to compare" in text(same)
    assert 'class="govuk-error-summary' in same.get_data(as_text=True)
    bad = reader.get(f"{DIFF}?from=one&to=2")
    assert bad.status_code == 400 and "Enter the first version as a whole number, like 2" in text(bad)
    assert reader.get(f"{DIFF}?from=1&to=9").status_code == 404
    assert reader.get("/process-models/nope/diff").status_code == 404
    assert web("referrer").get(f"{DIFF}?from=1&to=2").status_code == 403


def test_a_single_version_has_nothing_to_compare(web):
    response = web("process-owner").get(DIFF)
    assert response.status_code == 200
    assert "has only one version so far" in text(response)


def test_the_diff_api_matches_its_published_schema(api, db):
    deploy(db, second_version)
    client = api("trainer")
    response = client.get("/api/v1/process-models/referral/diff?from=1&to=2")
    assert response.status_code == 200
    body = response.get_json()
    document = client.get("/api/v1/openapi.json").get_json()
    schema = document["paths"]["/api/v1/process-models/{process_id}/diff"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]
    assert [e.message for e in Draft202012Validator(schema).iter_errors(body)] == []
    assert (body["from"], body["to"], body["counts"]["added"], body["counts"]["changed"]) == (1, 2, 2, 3)
    statuses = {e["element_id"]: e["status"] for e in body["elements"]}
    assert statuses == {"screening": "changed", "feedback_deadline": "changed", "confirm_closure": "added",
                        "Flow_closure_confirmed": "added", "Flow_to_close": "changed"}
    assert client.get("/api/v1/process-models/referral/diff?from=2&to=2").status_code == 422
    assert client.get("/api/v1/process-models/referral/diff?from=1&to=7").status_code == 404
    assert api("referrer").get("/api/v1/process-models/referral/diff").status_code == 403
