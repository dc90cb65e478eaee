"""The MASH managers get one handover summary when the hub opens after out-of-hours decisions (counts and
references, no names); process owners hear when a step fails and an incident is raised."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.casework.scheduler import fire_due, send_alerts_due
from app.core.clock import clock
from tests import factories as f
from tests.alerts.conftest import names_the_child, queued
from tests.api.test_referral_walks import complete, report, screen_and_check, task_id
from tests.incidents.test_step_incidents import broken
from tests.versions.edits import deploy

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
#: Saturday 9 January 2027, 02:00: the hub is closed until Monday 09:00.
SATURDAY_2AM = datetime(2027, 1, 9, 2, 0, tzinfo=UTC)
MONDAY_OPENING = datetime(2027, 1, 11, 9, 0, 1, tzinfo=UTC)


def confirmed_overnight(api, given: str) -> int:
    case_id = report(api, immediate_risk=True, given=given)
    complete(api, case_id, "confirm_immediate_risk_out_of_hours", "out-of-hours",
             f.confirm_immediate_risk(action="police-protection"))
    return case_id


def reference(api, case_id: int) -> str:
    return api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()["reference"]


@BOTH
def test_the_managers_get_one_handover_summary_when_the_hub_opens(api, db):
    clock.freeze(SATURDAY_2AM)
    first, second = confirmed_overnight(api, "Ava"), confirmed_overnight(api, "Ben")
    assert send_alerts_due() == 0 and queued(db, "handover") == []  # nothing to hand over while closed

    clock.freeze(MONDAY_OPENING)
    fire_due()
    assert send_alerts_due() == 1
    [summary] = queued(db, "handover")
    assert summary.username == "mash-manager" and summary.urgent
    assert summary.subject == "Handover from out of hours: 2 contacts to pick up"
    assert reference(api, first) in summary.body and reference(api, second) in summary.body
    assert not names_the_child(summary)
    # The summary stands for each handover task: no separate new-task message for them.
    handovers = {task_id(api, case_id, "hand_over_from_out_of_hours", "mash-manager") for case_id in (first, second)}
    assert not [m for m in queued(db, "new-task") if m.task_id in handovers]

    assert send_alerts_due() == 0 and len(queued(db, "handover")) == 1
    complete(api, first, "hand_over_from_out_of_hours", "mash-manager",
             {"handover_note": "Taken on: police protection in place, strategy discussion booked."})
    assert send_alerts_due() == 0 and len(queued(db, "handover")) == 1


@BOTH
def test_process_owners_hear_once_when_a_step_fails_and_nothing_when_it_goes_through(api, db):
    case_id = report(api)
    screen_and_check(api, case_id, "amber", ["police"])
    complete(api, case_id, "mash_review", "mash-manager", f.review())
    assert deploy(db, broken, "decision gateway: condition typed wrongly") == 2
    failing = report(api, given="Ben", family="Jones")
    screen_and_check(api, failing, "amber", ["police"])
    complete(api, failing, "mash_review", "mash-manager", f.review())
    complete(api, case_id, "decision", "mash-manager", f.decision("nfa"))  # still on version 1: goes through
    decision = task_id(api, failing, "decision", "mash-manager")
    assert api("mash-manager").post(f"/api/v1/tasks/{decision}/complete",
                                    json=f.decision("strategy-discussion")).status_code == 202
    # Rolled back: the failing decision opened no feedback task, so nobody was told of one.
    assert len(queued(db, "new-task", failing)) == len(queued(db, "new-task", case_id)) - 1
    [alert] = queued(db, "incident")
    assert (alert.username, alert.case_id, alert.urgent) == ("process-owner", failing, True)
    assert alert.subject == "A step failed in the MASH process: Decide the outcome"
    assert not names_the_child(alert) and "strategy_discussion_outcome" not in alert.words
    assert "/process-models" in alert.words and f"/cases/{failing}" not in alert.words, \
        "the link opens a page process owners may open, not the case"
    # Submitting again is refused (the answers are held): the same incident, not told twice.
    assert api("mash-manager").post(f"/api/v1/tasks/{decision}/complete",
                                    json=f.decision("strategy-discussion")).status_code == 409
    assert len(queued(db, "incident")) == 1
