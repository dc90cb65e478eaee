"""Crash safety: the real server killed with SIGKILL mid-work and restarted loses nothing it acknowledged and
does nothing twice (a reduced run; bench/crash_safety.py is the full one), and the checker that says so
does find a broken hub."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.operations import record
from app.cases.models import CompletedTask
from app.core.actor import SYSTEM
from app.inbox.models import OpenTask
from tests import factories as f
from tests.api.test_referral_walks import complete, report
from tests.ops.crash_harness import CrashRun, HubServer, Told, check_hub

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@BOTH
def test_killing_the_server_mid_work_loses_nothing_and_does_nothing_twice(database_url, tmp_path):
    run = CrashRun(HubServer(database_url, tmp_path), database_url, cases=7, clients=6, kills=3, seed=7)
    result = run.run()

    assert result.violations == [], "\n".join(result.violations) + run.server.errors_logged()
    assert result.kills == 3 and result.checks == 4
    # The kills landed on work under way, and the walk carried on after the last one.
    assert sum(sum(at_kill.values()) for at_kill in result.in_flight_at_kill) > 0
    assert sum(result.no_answer.values()) > 0
    assert result.completions_after_last_kill > 0
    assert (result.cases, result.contacts, result.closed, result.completions) == (7, 7, 7, 42)
    assert len(run.told.contacts) == 7 and len(run.told.completions) + result.resolved[
        "completion: retried, 409 already completed"] == 42


def _walked_case(api) -> tuple[int, str]:
    """A case screened and checked by the police: one completion on record, the health check open."""
    case_id = report(api)
    complete(api, case_id, "screening", "mash-manager", f.screening("amber", ["police", "health"]))
    complete(api, case_id, "police_check", "police", f.agency_return())
    return case_id, api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()["reference"]


def test_the_checker_passes_a_consistent_hub_and_names_what_the_client_was_told_but_is_missing(api, db, database_url):
    case_id, _reference = _walked_case(api)
    with db.unit_of_work(write=False) as session:
        done = list(session.scalars(select(CompletedTask.task_id).where(CompletedTask.case_id == case_id)))
    assert check_hub(database_url, Told({}, dict.fromkeys(done, case_id))) == []

    told = Told({"never-sent": (case_id + 1, "MASH-LOST")}, {"00000000-0000-0000-0000-000000000000": case_id})
    problems = check_hub(database_url, told)
    assert problems == [
        f"contact MASH-LOST (case {case_id + 1}) was accepted (201) but is not in the database",
        (f"task 00000000-0000-0000-0000-000000000000 of case {case_id} was acknowledged as completed (2xx) "
         "but the case has no record of it"),
    ]


def test_the_checker_finds_a_missing_open_task_row(api, db, database_url):
    case_id, reference = _walked_case(api)
    with db.unit_of_work() as session:
        row = session.scalars(select(OpenTask).where(OpenTask.case_id == case_id)).one()
        session.delete(row)
        missing = row.task_id
    assert check_hub(database_url) == [
        f"case {case_id} ({reference}): the engine has ready task(s) {[missing]} with no open-task row"]


def test_the_checker_finds_a_completion_in_the_audit_trail_twice(api, db, database_url):
    case_id, _reference = _walked_case(api)
    with db.unit_of_work() as session:
        done = session.scalars(select(CompletedTask).where(CompletedTask.case_id == case_id)).first()
        record(session, SYSTEM, "task.completed", case_id=case_id, task_id=done.task_id, element_id=done.bpmn_id,
               summary=done.name)
    assert check_hub(database_url) == [
        f"task {done.task_id} (case {case_id}) is in the audit trail as completed 2 times"]


def test_the_checker_finds_a_completion_the_engine_never_made(api, db, database_url):
    case_id, reference = _walked_case(api)
    with db.unit_of_work() as session:
        health = session.scalars(select(OpenTask).where(OpenTask.case_id == case_id)).one()
        session.add(CompletedTask(task_id=health.task_id, case_id=case_id, process_id=health.process_id,
                                  bpmn_id=health.bpmn_id, name=health.name, role=health.role,
                                  form_key=health.form_key, data={}, completed_by="health",
                                  completed_at=health.created_at))
    problems = check_hub(database_url)
    assert (f"case {case_id} ({reference}): task {health.task_id} ({health.name}) is recorded as completed but the "
            "engine has it ready") in problems
    assert f"case {case_id} ({reference}): task {health.task_id} ({health.name}) was completed with no audit event" \
           in problems
