"""Inspectors and courts ask "who saw this, and why": the auditor reads the trail by case, the case page
shows who has seen the case, and reading the trail is itself on the trail."""
from __future__ import annotations

import csv
import io

from tests.api.test_referral_walks import report


def test_the_auditor_reads_a_cases_trail_in_order_and_is_recorded_reading_it(api):
    case_id = report(api)
    other = report(api, given="Ben")
    api("mash-manager").get(f"/api/v1/cases/{case_id}")
    response = api("auditor").get(f"/api/v1/audit?case_id={case_id}")
    assert response.status_code == 200
    entries = response.get_json()
    assert {e["case_id"] for e in entries} == {case_id}
    assert [e["seq"] for e in entries] == sorted(e["seq"] for e in entries)
    actions = [(e["action"], e["username"]) for e in entries]
    assert ("contact.received", "referrer") in actions and ("case.viewed", "mash-manager") in actions
    assert other not in {e["case_id"] for e in entries}
    again = api("ops-manager").get(f"/api/v1/audit?case_id={case_id}&action=audit.viewed").get_json()
    assert [e["username"] for e in again] == ["auditor"]


def test_the_trail_pages_with_a_next_link(api):
    report(api)
    first = api("auditor").get("/api/v1/audit?limit=2")
    assert len(first.get_json()) == 2
    link = first.headers["Link"]
    assert 'rel="next"' in link
    after = first.get_json()[-1]["seq"]
    second = api("auditor").get(link.split(">")[0].lstrip("<")).get_json()
    assert second[0]["seq"] > after


def test_deploys_are_on_the_trail(api):
    deploys = api("auditor").get("/api/v1/audit?action=process.deployed").get_json()
    assert deploys and deploys[0]["details"]["process_id"] == "referral"


def test_a_bad_filter_is_refused_with_the_field(api):
    response = api("auditor").get("/api/v1/audit?from=21/11/2026")
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "from"


def test_hub_staff_cannot_read_the_audit_trail(api):
    assert api("mash-manager").get("/api/v1/audit").status_code == 403
    assert api("referrer").get("/api/v1/audit").status_code == 403


def test_the_case_page_says_who_has_seen_the_case(api, web):
    case_id = report(api)
    web("social-worker").get(f"/cases/{case_id}")
    page = web("mash-manager").get(f"/cases/{case_id}").get_data(as_text=True)
    section = page.split('id="who-has-seen"')[1]
    assert "Social worker (demo)" in section and "MASH manager (demo)" in section


def test_the_audit_page_filters_by_case_reference_and_downloads_csv(api, web):
    case_id = report(api)
    reference = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()["reference"]
    auditor = web("auditor")
    page = auditor.get(f"/audit?case={reference}").get_data(as_text=True)
    assert "contact.received" in page and "There is a problem" not in page
    bad = auditor.get("/audit?case=MASH-0000-999999").get_data(as_text=True)
    assert "There is a problem" in bad and "There is no case with this reference" in bad
    download = auditor.get(f"/audit?case={reference}&format=csv")
    assert download.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert rows[0] == ["seq", "at", "username", "action", "case_id", "task_id", "element_id", "summary", "hash"]
    assert {row[4] for row in rows[1:]} == {str(case_id)}
    exported = api("auditor").get(f"/api/v1/audit?case_id={case_id}&action=audit.exported").get_json()
    assert [e["username"] for e in exported] == ["auditor"]
