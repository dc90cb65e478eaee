"""A contact's deadlines as the hub lives them, driven by the injected clock through the JSON API:
on track, at risk, breached (a chase for the manager, the check still open), met late; re-rating
moves the open deadlines and says so."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.casework.scheduler import fire_due
from app.core.clock import clock
from tests import factories as f
from tests.api.test_referral_walks import complete, report

MONDAY_10 = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)  # Monday, 10:00 in London (GMT)
BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


def case(api, case_id: int) -> dict:
    return api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()


def deadline(api, case_id: int, name: str) -> dict:
    matches = [d for d in case(api, case_id)["deadlines"] if d["name"] == name]
    assert len(matches) == 1, case(api, case_id)["deadlines"]
    return matches[0]


def audit(db, case_id: int, action: str) -> list[AuditEvent]:
    with db.unit_of_work(write=False) as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id,
                                                             AuditEvent.action == action).order_by(AuditEvent.id)))


@BOTH
def test_a_red_police_check_goes_at_risk_then_breached_raises_a_chase_and_is_met_late(api, db):
    clock.freeze(MONDAY_10)
    case_id = report(api)
    complete(api, case_id, "screening", "mash-manager", f.screening("red", ["police"]))
    police = deadline(api, case_id, "Police check due")
    assert police == {"name": "Police check due", "kind": "check", "due_at": "2027-01-04T14:00:00+00:00",
                      "state": "on-track", "met_at": None}

    clock.advance(timedelta(hours=3, minutes=1))  # 75% of 4 hours used
    assert deadline(api, case_id, "Police check due")["state"] == "at-risk"

    clock.advance(timedelta(hours=1))
    assert fire_due() == 1
    assert deadline(api, case_id, "Police check due")["state"] == "breached"
    open_tasks = {t["name"]: t for t in case(api, case_id)["open_tasks"]}
    assert set(open_tasks) == {"Check police records", "Chase overdue police check"}
    # The overdue check keeps its deadline in the inbox, and sorts first.
    assert open_tasks["Check police records"]["due_at"] == "2027-01-04T14:00:00+00:00"
    [fired] = audit(db, case_id, "timer.fired")
    assert fired.element_id == "police_check_deadline" and fired.details["due_at"] == "2027-01-04T14:00:00+00:00"

    clock.advance(timedelta(minutes=30))
    complete(api, case_id, "police_check", "police", f.agency_return())  # police can still answer
    late = deadline(api, case_id, "Police check due")
    assert late["state"] == "breached" and late["met_at"] == "2027-01-04T14:31:00+00:00"
    assert fire_due() == 0  # nothing fires twice


def test_deadlines_met_in_time_are_met_and_statutory_clocks_are_kinds_of_their_own(api):
    clock.freeze(MONDAY_10)
    case_id = report(api)
    assert deadline(api, case_id, "Screening due: 1 working day from receipt")["kind"] == "statutory"
    clock.advance(timedelta(minutes=20))
    complete(api, case_id, "screening", "mash-manager", f.screening("amber", ["health"]))
    screening = deadline(api, case_id, "Screening due: 1 working day from receipt")
    assert screening["state"] == "met" and screening["met_at"] == "2027-01-04T10:20:00+00:00"
    decision = deadline(api, case_id, "Decision due")  # armed at screening
    # Amber: 1 working day from receipt (Tuesday 17:30) and a quarter of a working day more.
    assert decision["kind"] == "rag" and decision["due_at"] == "2027-01-06T11:07:30+00:00"
    assert decision["state"] == "on-track"
    complete(api, case_id, "health_check", "health", f.agency_return())
    complete(api, case_id, "mash_review", "mash-manager", f.review())
    assert deadline(api, case_id, "Decision due")["state"] == "on-track"  # still running at the decision
    complete(api, case_id, "decision", "mash-manager", f.decision("s17-assessment"))
    assert deadline(api, case_id, "Decision due")["state"] == "met"
    complete(api, case_id, "feedback_to_referrer", "business-support", f.feedback())
    assessment = deadline(api, case_id, "Assessment due: 45 working days from referral")
    # 45 working days from Monday 4 January 2027 (no bank holidays in between): Monday 8 March, 17:30 GMT.
    assert assessment == {"name": "Assessment due: 45 working days from referral", "kind": "statutory",
                          "due_at": "2027-03-08T17:30:00+00:00", "state": "on-track", "met_at": None}


@BOTH
def test_re_rating_moves_the_open_deadlines_and_records_why(api, db):
    clock.freeze(MONDAY_10)
    case_id = report(api)
    complete(api, case_id, "screening", "mash-manager", f.screening("green", ["police", "health"]))
    assert deadline(api, case_id, "Police check due")["due_at"] == "2027-01-07T17:30:00+00:00"  # 3 working days

    clock.advance(timedelta(minutes=30))
    response = api("mash-manager").post(f"/api/v1/cases/{case_id}/rag",
                                        json={"rag": "red", "rag_rationale": "Child disclosed a new injury."})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["rag"] == "red"
    assert body["rag_history"][-1] == {"from": "green", "to": "red", "rationale": "Child disclosed a new injury.",
                                       "by": "mash-manager", "at": "2027-01-04T10:30:00+00:00",
                                       "step": "Re-rated on the case record"}
    # Counted from when each check was requested (10:00), now by the Red policy: 4 hours.
    for name in ("Police check due", "Health check due"):
        assert deadline(api, case_id, name)["due_at"] == "2027-01-04T14:00:00+00:00"
    moved = audit(db, case_id, "deadline.retimed")
    # The decision's deadline is drawn on both checks: it moves once, from Friday 15:22:30 to 15:00 the same day.
    assert sorted(e.summary for e in moved) == ["Decision due moved", "Health check due moved",
                                                "Police check due moved"]
    police = next(e for e in moved if e.summary == "Police check due moved")
    assert police.details == {"from": "2027-01-07T17:30:00+00:00", "to": "2027-01-04T14:00:00+00:00",
                              "reason": "Re-rated from Green to Red"}
    decided = next(e for e in moved if e.summary == "Decision due moved")
    assert (decided.details["from"], decided.details["to"]) == ("2027-01-08T15:22:30+00:00",
                                                                "2027-01-04T15:00:00+00:00")

    complete(api, case_id, "health_check", "health", f.agency_return())
    clock.advance(timedelta(hours=3, minutes=31))
    assert fire_due() == 1  # police only: health answered in time
    names = sorted(t["name"] for t in case(api, case_id)["open_tasks"])
    assert names == ["Chase overdue police check", "Check police records"]
    # The join kept the new rating (an old copy in a finished branch must not undo it).
    complete(api, case_id, "police_check", "police", f.agency_return())
    assert case(api, case_id)["rag"] == "red"
    assert [(h["from"], h["to"]) for h in case(api, case_id)["rag_history"]] == [(None, "green"), ("green", "red")]
    assert deadline(api, case_id, "Decision due")["due_at"] == "2027-01-04T15:00:00+00:00"


def test_re_rating_blue_to_red_starts_a_clock_that_blue_did_not_have(api):
    clock.freeze(MONDAY_10)
    case_id = report(api)
    complete(api, case_id, "screening", "mash-manager", f.screening("blue", []))
    assert [d["name"] for d in case(api, case_id)["deadlines"]] == [
        "Screening due: 1 working day from receipt", "Feedback due: 1 working day"]
    api("mash-manager").post(f"/api/v1/cases/{case_id}/rag", json={"rag": "amber", "rag_rationale": "More known."})
    # Feedback's deadline is statutory, not from the RAG: it stays where it was.
    assert deadline(api, case_id, "Feedback due: 1 working day")["due_at"] == "2027-01-05T17:30:00+00:00"


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"rag": "purple", "rag_rationale": "x"}, 422, "rag"),
    ({"rag": "red"}, 422, "rag_rationale"),
    ({"rag": "red", "rag_rationale": ""}, 422, "rag_rationale"),
    ({"rag": "green", "rag_rationale": "same again"}, 422, "rag"),
    ({"rag": "red", "rag_rationale": "x", "surprise": 1}, 422, None),
])
def test_a_re_rating_that_makes_no_sense_is_refused_and_changes_nothing(api, body, status, field):
    case_id = report(api)
    complete(api, case_id, "screening", "mash-manager", f.screening("green", ["police"]))
    before = case(api, case_id)
    response = api("mash-manager").post(f"/api/v1/cases/{case_id}/rag", json=body)
    assert response.status_code == status, response.get_json()
    if field:
        assert response.get_json()["errors"][0]["field"] == field
    after = case(api, case_id)
    assert after["rag_history"] == before["rag_history"] and after["deadlines"] == before["deadlines"]


def test_only_a_mash_manager_re_rates_and_only_an_open_contact(api):
    case_id = report(api)
    complete(api, case_id, "screening", "mash-manager", f.screening("blue", []))
    assert api("police").post(f"/api/v1/cases/{case_id}/rag",
                              json={"rag": "red", "rag_rationale": "x"}).status_code == 403
    complete(api, case_id, "feedback_to_referrer", "business-support", f.feedback(["none"]))
    closed = api("mash-manager").post(f"/api/v1/cases/{case_id}/rag", json={"rag": "red", "rag_rationale": "x"})
    assert closed.status_code == 409
    assert api("mash-manager").post("/api/v1/cases/999999/rag",
                                    json={"rag": "red", "rag_rationale": "x"}).status_code == 404


def test_the_inbox_puts_the_soonest_breach_first(api):
    clock.freeze(MONDAY_10)
    green = report(api, given="Green")
    complete(api, green, "screening", "mash-manager", f.screening("green", ["police"]))
    red = report(api, given="Red")
    complete(api, red, "screening", "mash-manager", f.screening("red", ["police"]))
    inbox = list(api("police").get("/api/v1/tasks").get_json())
    assert [t["case_id"] for t in inbox] == [red, green]
    assert [t["due_at"] for t in inbox] == ["2027-01-04T14:00:00+00:00", "2027-01-07T17:30:00+00:00"]
