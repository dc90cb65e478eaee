"""The volume generator (`mash demo --cases N --closed M`, app/demo_volume.py) at small N, on SQLite and PostgreSQL:
the counts asked for, copied rows that agree with their workflow, an audit trail that verifies, and a copied case
that can be worked on through the API."""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.audit.chain import verify
from app.audit.models import AuditEvent
from app.cases.models import Case, CompletedTask, Subject
from app.core.clock import clock, now
from app.deadlines.models import Deadline
from app.demo_volume import generate
from app.engine import CaseWorkflow
from app.inbox.models import OpenTask
from app.intake.models import Contact
from app.people.models import Person
from app.process_models.registry import compiled_by_id
from tests import factories as f

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


def _workflow(session, case: Case) -> CaseWorkflow:
    return CaseWorkflow.restore(compiled_by_id(session, case.process_version_id), case.state)


@BOTH
def test_volumes_are_counted_consistent_and_chained(db, database_url):
    # From a fixed weekday morning, which the volume's cases are made back from: deadlines count working hours, so
    # which are breached or at risk at the real time of day would depend on the hour the suite runs.
    clock.freeze(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    result = generate(150, 350, seed=3)
    assert (result.open_cases, result.closed_cases) == (150, 350)
    with db.unit_of_work(write=False) as session:
        by_status = dict(session.execute(select(Case.status, func.count()).group_by(Case.status)).all())
        assert by_status == {"open": 150, "closed": 350}
        assert session.scalar(select(func.count(func.distinct(Case.reference)))) == 500
        # Every case has its contact and a subject with a person record of its own.
        assert session.scalar(select(func.count()).select_from(Contact)) == 500
        assert session.scalar(select(func.count(func.distinct(Subject.person_id)))) == 500
        assert session.scalar(select(func.count()).select_from(Person)) == 500

        # Open copies: the inbox rows are exactly the engine's ready user tasks, the deadline rows its timers.
        open_ids = list(session.scalars(select(Case.id).where(Case.status == "open").order_by(Case.id)))
        for case_id in random.Random(5).sample(open_ids, 40) + open_ids[-5:]:
            case = session.get(Case, case_id)
            workflow = _workflow(session, case)
            engine_tasks = {(t.task_id, t.info.bpmn_id) for t in workflow.open_user_tasks()}
            rows = {(t.task_id, t.bpmn_id)
                    for t in session.scalars(select(OpenTask).where(OpenTask.case_id == case_id))}
            assert rows == engine_tasks and rows, case.reference
            # One deadline per name, on its earliest timer (the decision's rides on every open check); waits
            # (the hub opening, chasing again) are timers, not deadlines.
            earliest: dict[str, object] = {}
            for t in workflow.waiting_timers():
                if t.kind != "wait" and (t.name not in earliest or t.due_at < earliest[t.name]):
                    earliest[t.name] = t.due_at
            timers = set(earliest.items())
            armed = {(d.name, d.due_at) for d in session.scalars(select(Deadline).where(
                Deadline.case_id == case_id, Deadline.met_at.is_(None), Deadline.cancelled_at.is_(None),
                Deadline.breached_at.is_(None)))}
            assert armed == timers, case.reference
            assert case.next_timer_due == workflow.next_timer_due()
            assert case.next_timer_due is None or case.next_timer_due > now()  # nothing falls due at once
            assert workflow.case_data()["reference"] == case.reference

        # Closed copies: each completed task once in the case and once in the audit trail.
        closed = list(session.scalars(select(Case).where(Case.status == "closed").order_by(Case.id).limit(30)))
        for case in closed:
            done = set(session.scalars(select(CompletedTask.task_id).where(CompletedTask.case_id == case.id)))
            audited = list(session.scalars(select(AuditEvent.task_id).where(
                AuditEvent.case_id == case.id, AuditEvent.action == "task.completed")))
            assert done and sorted(done) == sorted(audited), case.reference

        # A spread: several steps, breached and at-risk deadlines, closed cases over more than a year.
        steps = set(session.scalars(select(Case.current_step).where(Case.status == "open")))
        assert len(steps) >= 6
        at = now()
        unmet = (Deadline.met_at.is_(None), Deadline.cancelled_at.is_(None), Deadline.case_id.in_(open_ids))
        assert session.scalar(select(func.count()).where(*unmet, Deadline.due_at <= at)) > 0
        assert session.scalar(select(func.count()).where(*unmet, Deadline.at_risk_at <= at, Deadline.due_at > at)) > 0
        first, last = session.execute(select(func.min(Case.received_at), func.max(Case.received_at))
                                      .where(Case.status == "closed")).one()
        assert last - first > timedelta(days=365)

        assert verify(session).ok


@BOTH
def test_a_copied_case_is_worked_on_through_the_api(db, api, database_url):
    generate(60, 0, seed=4)
    with db.unit_of_work(write=False) as session:
        # The newest screening task belongs to a copy (a walked template's child is called "Template-...").
        task = session.scalars(select(OpenTask).where(OpenTask.bpmn_id == "screening")
                               .order_by(OpenTask.case_id.desc())).first()
        case_id = task.case_id
        assert not session.scalar(select(Subject.family_name).where(Subject.case_id == case_id)).startswith("Template-")
    response = api("mash-manager").post(f"/api/v1/tasks/{task.task_id}/complete",
                                        json=f.screening("amber", ["police", "health"]))
    assert response.status_code == 200, response.get_json()
    with db.unit_of_work(write=False) as session:
        checks = {t.bpmn_id: t.task_id for t in session.scalars(select(OpenTask).where(OpenTask.case_id == case_id))}
    assert set(checks) == {"police_check", "health_check"}
    response = api("police").post(f"/api/v1/tasks/{checks['police_check']}/complete", json=f.agency_return())
    assert response.status_code == 200, response.get_json()
    case = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()
    assert [t["name"] for t in case["open_tasks"]] == ["Check health records"]
    with db.unit_of_work(write=False) as session:
        assert verify(session).ok
