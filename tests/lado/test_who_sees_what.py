"""Who sees what of an allegation, in the bytes of the case page and the JSON: the LADO reads the allegation; a MASH
manager sees only that one exists on the child's case; an agency practitioner (the police, involved through its
check) and business support see the child's case as before and nothing of the allegation."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.core.clock import clock
from tests import factories as f
from tests.api.test_referral_walks import complete as complete_step
from tests.api.test_referral_walks import report, screen_and_check
from tests.lado.walk import LADO, PRIVATE, complete, details

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
MONDAY = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)


def referred_and_recorded(api) -> int:
    """A contact the police checked, referred to the LADO by the MASH decision; the LADO recorded the allegation."""
    case_id = report(api)
    screen_and_check(api, case_id, agencies=("police",))
    complete_step(api, case_id, "mash_review", "mash-manager", f.review())
    complete_step(api, case_id, "decision", "mash-manager", f.decision("lado"))
    complete(api, LADO, case_id, "Record the allegation", details(noticed="2027-01-11"))
    return case_id


@BOTH
def test_each_role_sees_the_allegation_as_its_rule_says(api, web):
    clock.freeze(MONDAY)
    case_id = referred_and_recorded(api)
    page = {user: web(user).get(f"/cases/{case_id}") for user in (LADO, "mash-manager", "police", "business-support")}
    assert {user: response.status_code for user, response in page.items()} == dict.fromkeys(page, 200)
    text = {user: response.get_data(as_text=True) for user, response in page.items()}
    answer = {user: api(user).get(f"/api/v1/cases/{case_id}").get_data(as_text=True) for user in page}

    # The LADO: the whole allegation, on the case page and in the answer about it.
    assert 'id="allegation"' in text[LADO]
    assert all(private in text[LADO] for private in PRIVATE)
    [record] = api(LADO).get(f"/api/v1/cases/{case_id}/allegation").get_json()
    assert (record["person"]["given_name"], record["safeguarding_lead"]["name"]) == ("Quentin", "Priya Osei")

    # The MASH manager: that an allegation exists, and who holds it; nothing about the person.
    assert 'id="allegation-exists"' in text["mash-manager"] and "The LADO holds the details." in text["mash-manager"]
    exists = api("mash-manager").get(f"/api/v1/cases/{case_id}/allegation").get_json()
    assert [sorted(a) for a in exists] == [["held_by", "received_at", "reference", "status"]]

    # The police (involved through its check) and business support: the child's case, no allegation at all.
    for user in ("police", "business-support"):
        assert "Ava Smith" in text[user]  # they still see the child's case
        assert 'id="allegation' not in text[user]
        assert api(user).get(f"/api/v1/cases/{case_id}/allegation").status_code == 404
    # Nobody but the LADO sees anything of the person, on the page or in the case's answer.
    for user in ("mash-manager", "police", "business-support"):
        assert [private for private in PRIVATE if private in text[user] or private in answer[user]] == []


@BOTH
def test_the_lado_sees_only_cases_with_an_allegation(api, web):
    clock.freeze(MONDAY)
    with_allegation = referred_and_recorded(api)
    without = report(api, given="Noah", family="Price")
    assert api(LADO).get(f"/api/v1/cases/{without}").status_code == 404
    assert web(LADO).get(f"/cases/{without}").status_code == 404
    assert api(LADO).get(f"/api/v1/cases/{with_allegation}").status_code == 200
    references = {case_id: api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()["reference"]
                  for case_id in (with_allegation, without)}
    listed = web(LADO).get("/cases?status=all").get_data(as_text=True)
    assert references[with_allegation] in listed and references[without] not in listed
