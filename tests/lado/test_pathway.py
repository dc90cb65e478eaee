"""An allegation against a person who works with children walks the LADO's pathway on SQLite and PostgreSQL: told
as a contact (evaluation, allegation management meeting, outcome, referral to the DBS), closed at the evaluation
with no further action, and referred by a MASH decision (the same process, called from referral.bpmn)."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.core.clock import clock
from tests import factories as f
from tests.api.test_referral_walks import complete as complete_step
from tests.api.test_referral_walks import report, screen_and_check
from tests.lado.walk import (
    LADO,
    allegation,
    complete,
    dbs_referral,
    deadline,
    details,
    evaluation,
    meeting,
    outcome,
)

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
#: Monday 11 January 2027, 10:00: the leisure trust's safeguarding lead tells the LADO.
MONDAY = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)


def tell_the_lado(api, **kwargs) -> int:
    response = api("referrer").post("/api/v1/contacts", json=allegation(noticed="2027-01-08", **kwargs))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["case_id"]


def the_case(api, case_id: int) -> dict:
    return api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()


@BOTH
def test_an_allegation_is_evaluated_met_heard_at_a_meeting_substantiated_and_referred_to_the_dbs(api, web):
    clock.freeze(MONDAY)
    case_id = tell_the_lado(api)
    case = the_case(api, case_id)
    assert case["process"]["id"] == "lado_allegation"
    assert [(t["name"], t["role"]) for t in case["open_tasks"]] == [("Make the initial evaluation", LADO)]
    due = deadline(case, "LADO notified due")
    assert (due["state"], due["due_at"][:10]) == ("on-track", "2027-01-12")  # one working day
    [listed] = api(LADO).get("/api/v1/lado/allegations").get_json()
    assert (listed["case_id"], listed["person"], listed["sector"], listed["step"]) == (
        case_id, "Quentin Ravensworth", "sport", "Make the initial evaluation")

    after = complete(api, LADO, case_id, "Make the initial evaluation", evaluation("met", meeting=True))
    assert deadline(after, "LADO notified due")["state"] == "met"
    assert [t["name"] for t in after["open_tasks"]] == ["Hold the allegation management meeting"]
    assert deadline(after, "Allegation management meeting due")["due_at"][:10] == "2027-01-18"  # 5 working days
    clock.freeze(datetime(2027, 1, 15, 10, 0, tzinfo=UTC))
    after = complete(api, LADO, case_id, "Hold the allegation management meeting", meeting("2027-01-15"))
    assert [t["name"] for t in after["open_tasks"]] == ["Record the outcome"]
    clock.freeze(datetime(2027, 3, 1, 10, 0, tzinfo=UTC))
    after = complete(api, LADO, case_id, "Record the outcome", outcome("substantiated", on="2027-03-01"))
    assert [t["name"] for t in after["open_tasks"]] == ["Refer to the DBS or regulator"]
    closed = complete(api, LADO, case_id, "Refer to the DBS or regulator", dbs_referral("2027-03-02"))
    assert (closed["status"], closed["closure"]) == ("closed", "end_lado_closed")

    [record] = api(LADO).get(f"/api/v1/cases/{case_id}/allegation").get_json()
    assert record["reference"].startswith("LADO-2027-")
    assert (record["source"], record["status"], record["evaluation"]["threshold"]) == ("contact", "closed", "met")
    assert [(m["held_on"], m["attendees"]) for m in record["meetings"]] == [
        ("2027-01-15", ["lado", "employer", "police"])]
    assert (record["outcome"]["outcome"], record["referral"]["dbs_referred_on"]) == ("substantiated", "2027-03-02")
    # Kept on the person's file until the later of pension age (67 on 2 April 2047) and 10 years from 8 January 2027.
    assert record["retention"] == {"on_person_file": True, "retain_until": "2047-04-02", "erased_at": None}
    assert api(LADO).get("/api/v1/lado/allegations").get_json() == []

    # The MI, with the LADO annual return's fields: sector and kind of harm, timeliness, outcomes and referrals.
    def csv(table: str) -> list[str]:
        return web("mash-manager").get(f"/reports/{table}.csv?from=2027-01-01&to=2027-03-31").get_data(
            as_text=True).splitlines()[1:]
    assert csv("lado-sectors") == ["Sport and leisure,1,1,1,0,0,0,0", "All sectors,1,1,1,0,0,0,0"]
    # Known on Friday 8 January, told on Monday 11 January: within one working day; evaluated the same day.
    assert csv("lado-timeliness") == ["1,1,100.0,1,0,100.0"]
    assert csv("lado-outcomes") == ["1,1,0,0,1,1,0,0,0,0,1,0,0"]


@BOTH
def test_an_allegation_needing_no_further_action_closes_at_the_evaluation_and_is_not_kept_on_the_file(api):
    clock.freeze(MONDAY)
    case_id = tell_the_lado(api)
    closed = complete(api, LADO, case_id, "Make the initial evaluation", evaluation("no-further-action", meeting=False))
    assert (closed["status"], closed["closure"]) == ("closed", "end_lado_no_further_action")
    [record] = api(LADO).get(f"/api/v1/cases/{case_id}/allegation").get_json()
    assert (record["evaluation"]["threshold"], record["outcome"]["outcome"]) == ("no-further-action", None)
    assert record["retention"] == {"on_person_file": False, "retain_until": "2028-01-11", "erased_at": None}


@BOTH
def test_a_mash_decision_to_refer_to_the_lado_runs_the_same_process_and_the_lado_records_the_allegation(api):
    clock.freeze(MONDAY)
    case_id = report(api)
    screen_and_check(api, case_id)
    complete_step(api, case_id, "mash_review", "mash-manager", f.review())
    after = complete_step(api, case_id, "decision", "mash-manager", f.decision("lado"))
    lado_steps = [t for t in after["open_tasks"] if t["role"] == LADO]
    assert [t["name"] for t in lado_steps] == ["Record the allegation"]
    assert deadline(after, "LADO notified due")["due_at"][:10] == "2027-01-12"
    complete_step(api, case_id, "feedback_to_referrer", "business-support", f.feedback())
    recorded = complete(api, LADO, case_id, "Record the allegation", details(noticed="2027-01-11"))
    # Still due by the same time: the deadline moved to the evaluation, it did not start again.
    assert deadline(recorded, "LADO notified due")["state"] == "on-track"
    assert deadline(recorded, "LADO notified due")["due_at"][:10] == "2027-01-12"
    closed = complete(api, LADO, case_id, "Make the initial evaluation", evaluation("not-met", meeting=False))
    assert deadline(closed, "LADO notified due")["state"] == "met"
    assert (closed["status"], closed["closure"]) == ("closed", "end_closed")  # the referral's own end
    [record] = api(LADO).get(f"/api/v1/cases/{case_id}/allegation").get_json()
    assert (record["source"], record["person"]["family_name"], record["evaluation"]["threshold"]) == (
        "mash-decision", "Ravensworth", "not-met")
