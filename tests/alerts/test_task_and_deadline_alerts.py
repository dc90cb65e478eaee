"""Who hears of new work and late work: a new task tells its role, a breach tells the MASH managers and chases
the agency's team, an at-risk deadline reminds the role holding the task. Each once, in the step's transaction:
a refused step tells nobody. Walked through the JSON API."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.casework.scheduler import fire_due, send_alerts_due
from app.core.clock import clock
from tests import factories as f
from tests.alerts.conftest import SECURE_POLICE, names_the_child, queued
from tests.api.test_referral_walks import complete, report, task_id

#: The police check's deadline, as the diagram names it.
POLICE_DEADLINE = "Police check due"
BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


def _for(messages, username):
    return [m for m in messages if m.username == username]


@BOTH
def test_a_new_check_tells_the_agency_once_without_naming_the_child_outside_the_secure_network(api, db):
    case_id = report(api)
    [screening] = queued(db, "new-task", case_id)
    assert (screening.username, screening.urgent) == ("mash-manager", False)
    assert screening.subject == "A new task is waiting for MASH manager in the MASH"
    assert "Screen the contact" in screening.body

    complete(api, case_id, "screening", "mash-manager", f.screening("amber", ["police", "health"]))
    checks = queued(db, "new-task", case_id)[1:]
    assert sorted(m.username for m in checks) == ["health", "police"]
    [health] = _for(checks, "health")
    assert health.subject == "A new Amber check is waiting for Health in the MASH"
    assert not health.secure and not names_the_child(health)
    assert f"/tasks/{task_id(api, case_id, 'health_check', 'health')}" in health.body
    [police] = _for(checks, "police")
    assert police.to == SECURE_POLICE and police.secure
    assert "Ava Smith" in police.body and "Ava" not in police.subject and "Smith" not in police.subject
    assert not any(m.urgent for m in checks)  # Amber: each person's digest choice decides

    complete(api, case_id, "health_check", "health", f.agency_return())  # opens nothing new: nobody is told
    assert len(queued(db, "new-task", case_id)) == 3


@BOTH
def test_a_red_check_is_sent_at_once(api, db):
    case_id = report(api)
    complete(api, case_id, "screening", "mash-manager", f.screening("red", ["police"]))
    [police] = queued(db, "new-task", case_id)[1:]
    assert police.urgent and police.subject == "A new Red check is waiting for Police in the MASH"


def test_a_refused_step_tells_nobody(api, db):
    case_id = report(api)
    before = queued(db)
    screening = task_id(api, case_id, "screening", "mash-manager")
    # Another role's task, and answers that fail the form: both refused, nothing queued.
    assert api("police").post(f"/api/v1/tasks/{screening}/complete",
                              json=f.screening("amber", ["police"])).status_code == 403
    bad = f.screening("amber", ["police"])
    del bad["rag"]
    assert api("mash-manager").post(f"/api/v1/tasks/{screening}/complete", json=bad).status_code == 422
    assert queued(db) == before


@BOTH
def test_a_breached_check_tells_the_managers_once_and_chases_the_agency_team_each_time(api, db):
    case_id = report(api)
    complete(api, case_id, "screening", "mash-manager", f.screening("red", ["police", "health"]))
    complete(api, case_id, "health_check", "health", f.agency_return())
    clock.advance(timedelta(hours=4, minutes=1))
    fire_due()

    [breach] = queued(db, "breach", case_id)
    assert breach.username == "mash-manager" and breach.urgent and not names_the_child(breach)
    assert breach.subject == "A Red check for Police has missed its deadline"
    assert f"({POLICE_DEADLINE}): Check police records, due by 11 Jan 2027 at 14:00" in breach.body
    [chase] = queued(db, "chase", case_id)
    assert chase.to == "mash-police@police.example" and chase.username is None
    assert chase.subject == "The MASH is waiting for your Red check"
    assert "11 Jan 2027 at 14:00" in chase.body and not names_the_child(chase)
    told = [m for m in queued(db, "new-task", case_id) if m.username == "mash-manager"][-1]
    assert told.subject == "A new Red task is waiting for MASH manager in the MASH"
    assert "Chase overdue police check" in told.body

    # The manager keeps waiting: an hour later police is chased again, and the decision's own deadline passes
    # (a breach of its own); the check's breach is not told twice.
    complete(api, case_id, "chase_police_check", "mash-manager", f.chase(go_on_without=False))
    clock.advance(timedelta(hours=1, minutes=1))
    fire_due()
    assert len(queued(db, "chase", case_id)) == 2
    told = [m.body.split("(", 1)[1].split(")", 1)[0] for m in queued(db, "breach", case_id)]
    assert told == [POLICE_DEADLINE, "Decision due"]
    # The decision's clock rides on the police check, but the decision is the managers' own.
    assert queued(db, "breach", case_id)[1].subject == "A Red decision for MASH manager has missed its deadline"
    assert fire_due() == 0 and len(queued(db, "breach", case_id)) == 2


@BOTH
def test_an_at_risk_check_reminds_its_agency_once_and_a_breached_one_is_not_also_at_risk(api, db):
    case_id = report(api)
    complete(api, case_id, "screening", "mash-manager", f.screening("red", ["police", "health"]))
    assert send_alerts_due() == 0  # on track
    clock.advance(timedelta(hours=3, minutes=1))  # 75% of Red's four hours
    told = send_alerts_due()
    reminders = [m for m in queued(db, "at-risk", case_id) if "Check health records" in m.body
                 or "Check police records" in m.body]
    assert sorted(m.username for m in reminders) == ["health", "police"]
    [health] = _for(reminders, "health")
    assert health.subject == "A Red check for Health is close to its deadline" and not names_the_child(health)
    assert len(queued(db, "at-risk", case_id)) == told
    assert send_alerts_due() == 0 and len(queued(db, "at-risk", case_id)) == told  # once, kept in the database

    # A second case's check jumps straight past its at-risk time into breach: only the breach is told (its
    # decision, due later, may now be at risk: that is another deadline).
    late = report(api, given="Ben", family="Jones")
    complete(api, late, "screening", "mash-manager", f.screening("red", ["education"]))
    clock.advance(timedelta(hours=4, minutes=1))
    fire_due()
    send_alerts_due()
    assert not [m for m in queued(db, "at-risk", late) if "(Education check due)" in m.body]
    assert ["(Education check due)" in m.body for m in queued(db, "breach", late)] == [True]
