"""GET /api/v1/cases/{id}/trail: the case's history of steps, in order, with who caused each and when."""
from __future__ import annotations

from datetime import timedelta

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.casework.scheduler import fire_due
from app.core.clock import clock
from tests import factories as f
from tests.api.test_referral_walks import complete, report
from tests.maps.walks import MONDAY_10, at, walk_to_feedback

USER_TASKS = ("screening", "police_check", "mash_review", "decision", "feedback_to_referrer")


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_the_trail_of_a_walked_case_lists_each_step_in_order_with_who_and_when(api, database_url):
    case_id, times = walk_to_feedback(api)
    response = api("police").get(f"/api/v1/cases/{case_id}/trail")
    assert response.status_code == 200
    trail = response.get_json()
    assert all({"element_id", "name", "state", "at", "by"} <= set(e) for e in trail)

    people = [(e["element_id"], e["state"], e["by"], e["at"]) for e in trail if e["element_id"] in USER_TASKS]
    assert people == [
        ("screening", "ready", "referrer", times["contact"]),
        ("screening", "completed", "mash-manager", times["screening"]),
        ("police_check", "ready", "mash-manager", times["screening"]),
        ("police_check", "completed", "police", times["police_check"]),
        ("mash_review", "ready", "police", times["police_check"]),
        ("mash_review", "completed", "mash-manager", times["mash_review"]),
        ("decision", "ready", "mash-manager", times["mash_review"]),
        ("decision", "completed", "mash-manager", times["decision"]),
        ("feedback_to_referrer", "ready", "mash-manager", times["decision"]),
        ("feedback_to_referrer", "completed", "business-support", times["feedback_to_referrer"]),
    ]
    assert trail[0] == {**trail[0], "element_id": "contact_received", "name": "Contact received",
                        "state": "completed", "by": "referrer", "process_id": "referral"}
    assert [e["at"] for e in trail] == sorted(e["at"] for e in trail)
    assert all(e["at"].endswith("+00:00") for e in trail)
    # Gateways and deadlines are steps too: the route taken and the timers armed and stood down.
    states = {(e["element_id"], e["state"]) for e in trail}
    assert {("rag_rating_check", "completed"), ("police_check_deadline", "waiting"),
            ("police_check_deadline", "cancelled"), ("end_closed", "completed")} <= states
    assert ("health_check", "ready") not in states  # health was not asked
    by_name = {e["element_id"]: e["name"] for e in trail}
    assert by_name["mash_review"] == "Review agency returns"


def test_timers_fired_by_the_scheduler_are_on_the_trail_as_the_system(api):
    at(0)
    case_id = report(api)
    at(5)
    complete(api, case_id, "screening", "mash-manager", f.screening("red", ["police"]))
    clock.freeze(MONDAY_10 + timedelta(minutes=5, hours=4, seconds=1))  # red: 4 hours, and a second
    assert fire_due() == 1
    trail = api("mash-manager").get(f"/api/v1/cases/{case_id}/trail").get_json()
    fired = [e for e in trail if e["by"] == "system"]
    assert [(e["element_id"], e["state"]) for e in fired] == [
        ("police_check_deadline", "completed"), ("to_chase_police", "completed"), ("chase_police_check", "ready")]
    assert fired[0]["name"] == "Police check due"
    assert fired[0]["at"] == (MONDAY_10 + timedelta(minutes=5, hours=4, seconds=1)).isoformat()
    assert ("police_check", "ready") in [(e["element_id"], e["state"]) for e in trail]  # the check stays open


def test_the_trail_matches_the_published_schema_and_reading_it_is_audited(api, db):
    case_id, _times = walk_to_feedback(api)
    document = api("mash-manager").get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/cases/{case_id}/trail"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    body = api("police").get(f"/api/v1/cases/{case_id}/trail").get_json()
    assert [e.message for e in Draft202012Validator(schema).iter_errors(body)] == []
    with db.unit_of_work(write=False) as session:
        read = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id,
                                                        AuditEvent.action == "case.trail-viewed")).all()
    assert [(e.username, e.details["events"]) for e in read] == [("police", len(body))]


def test_the_trail_is_for_the_hub_only_and_an_unknown_case_is_a_json_404(api):
    case_id = report(api)
    assert api("referrer").get(f"/api/v1/cases/{case_id}/trail").status_code == 403  # even their own contact
    assert api("trainer").get(f"/api/v1/cases/{case_id}/trail").status_code == 403
    missing = api("mash-manager").get("/api/v1/cases/999999/trail")
    assert missing.status_code == 404
    assert missing.get_json() == {"errors": [{"field": None, "message": "There is no case with this id."}]}
