"""The scheduler fires every due timer once: across restarts, with two schedulers racing, with one lease
holder among several processes, and with bounded retries before a failing firing becomes an incident."""
from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.cases.models import Case
from app.casework import scheduler as scheduling
from app.casework.retries import retry_incident
from app.casework.scheduler import DeadlineScheduler, acquire_lease, fire_due
from app.casework.starting import start_workflow
from app.core.actor import SYSTEM
from app.core.clock import clock, now
from app.core.db import get_db
from app.deadlines.models import SchedulerLease
from app.engine import ProcessBundle
from app.incidents.models import Incident
from app.process_models.registry import register_bundle
from tests import factories as f
from tests.api.test_referral_walks import complete, report
from tests.conftest import wait_for

MONDAY_10 = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)
BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


def fired_events(db, case_id: int | None = None) -> list[AuditEvent]:
    with db.unit_of_work(write=False) as session:
        query = select(AuditEvent).where(AuditEvent.action == "timer.fired")
        if case_id is not None:
            query = query.where(AuditEvent.case_id == case_id)
        return list(session.scalars(query))


def red_cases_with_checks(api, count: int) -> list[int]:
    ids = []
    for n in range(count):
        case_id = report(api, given=f"Child{n}")
        complete(api, case_id, "screening", "mash-manager", f.screening("red", ["police"]))
        ids.append(case_id)
    return ids


def open_task_names(api, case_id: int) -> set[str]:
    return {t["name"] for t in api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()["open_tasks"]}


# ----------------------------------------------------------------------------- restarts and races
def test_a_restarted_scheduler_rebuilds_its_due_times_from_the_database(api, db):
    clock.freeze(MONDAY_10)
    first = DeadlineScheduler(holder="web-1")
    first.start()
    [case_id] = red_cases_with_checks(api, 1)
    first.shutdown()  # the server stops with a timer pending

    clock.advance(timedelta(hours=4, seconds=1))
    second = DeadlineScheduler(holder="web-1-restarted")
    second.start()
    try:
        assert wait_for(lambda: "Chase overdue police check" in open_task_names(api, case_id), timeout=15)
    finally:
        second.shutdown()
    assert len(fired_events(db, case_id)) == 1


@BOTH
def test_two_schedulers_racing_for_the_same_due_timers_fire_each_once(api, db):
    clock.freeze(MONDAY_10)
    cases = red_cases_with_checks(api, 6)
    clock.advance(timedelta(hours=5))
    start = threading.Barrier(2)
    results: list[int] = []

    def race() -> None:
        start.wait()
        results.append(fire_due())

    threads = [threading.Thread(target=race) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(results) == len(cases)
    events = fired_events(db)
    assert sorted(e.case_id for e in events) == sorted(cases)  # one firing per case, none twice
    for case_id in cases:
        assert "Chase overdue police check" in open_task_names(api, case_id)


def test_only_the_lease_holder_fires_and_a_standby_takes_over_when_it_lapses(app):
    assert acquire_lease("web-1") is True
    assert acquire_lease("web-2") is False
    assert acquire_lease("web-1") is True  # renewing
    assert acquire_lease("web-1", ttl=timedelta(milliseconds=1)) is True
    time.sleep(0.01)
    assert acquire_lease("web-2") is True  # web-1 stopped renewing: web-2 takes over
    assert acquire_lease("web-1") is False


def test_a_long_firing_pass_renews_the_lease_and_stops_once_it_is_lost(app):
    """A backlog can take longer than the lease: the holder renews between firings, and stops if it lost it."""
    leader = DeadlineScheduler(holder="web-1")
    leader._running = True
    leader.is_leader = acquire_lease("web-1", ttl=timedelta(seconds=1))  # as its tick does
    assert leader.is_leader is True
    with get_db().unit_of_work(write=False) as session:
        lapses = session.get(SchedulerLease, scheduling.LEASE_NAME).expires_at

    assert leader._keep_firing() is True  # renewed a moment ago: no round trip
    leader._renewed_at -= scheduling.MAX_SLEEP
    assert leader._keep_firing() is True
    with get_db().unit_of_work(write=False) as session:
        assert session.get(SchedulerLease, scheduling.LEASE_NAME).expires_at > lapses + timedelta(seconds=10)

    assert acquire_lease("web-1", ttl=timedelta(milliseconds=1)) is True
    time.sleep(0.01)
    assert acquire_lease("web-2") is True  # web-1's lease lapsed (it stalled): web-2 now fires
    leader._renewed_at -= scheduling.MAX_SLEEP
    assert leader._keep_firing() is False and leader.is_leader is False


def test_of_two_running_schedulers_one_leads(app):
    schedulers = [DeadlineScheduler(holder=f"web-{n}") for n in (1, 2)]
    for scheduler in schedulers:
        scheduler.start()
    try:
        assert wait_for(lambda: any(s.is_leader for s in schedulers), timeout=10)
        time.sleep(scheduling.MAX_SLEEP.total_seconds() + 0.5)  # both have ticked again
        assert [s.is_leader for s in schedulers].count(True) == 1
    finally:
        for scheduler in schedulers:
            scheduler.shutdown()


# ----------------------------------------------------------------------------- failures
FAULTY_TIMER = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="Definitions_fault"
  targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="timer_fault" name="A timer whose path fails" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="wait" name="Wait">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition id="wait_def">
        <bpmn:timeDate xsi:type="bpmn:tFormalExpression" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">due_at</bpmn:timeDate>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:scriptTask id="broken_step" name="Broken step">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>result = 1 / divisor</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="broken_step" />
    <bpmn:sequenceFlow id="f3" sourceRef="broken_step" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def faulty_case(db, due_in: timedelta) -> int:
    with db.unit_of_work() as session:
        version = register_bundle(session, ProcessBundle(bpmn={"fault.bpmn": FAULTY_TIMER}, forms={}),
                                  created_by="tests", process_id="timer_fault")
        case = Case(status="open", received_at=now(), process_version_id=version.id, reference="MASH-FAULT-1")
        session.add(case)
        session.flush()
        start_workflow(session, case, {"due_at": (now() + due_in).isoformat(), "divisor": 0}, SYSTEM)
        return case.id


def incident_of(db, case_id: int) -> Incident | None:
    with db.unit_of_work(write=False) as session:
        return session.scalar(select(Incident).where(Incident.case_id == case_id))


def case_row(db, case_id: int) -> Case:
    with db.unit_of_work(write=False) as session:
        return session.get(Case, case_id)


def test_a_timer_already_due_when_its_case_starts_fires_at_once_and_is_recorded(app, db):
    """Whatever step runs a timer (here the start, not the scheduler), its firing is in the audit trail once."""
    clock.freeze(MONDAY_10)
    with db.unit_of_work() as session:
        version = register_bundle(session, ProcessBundle(bpmn={"fault.bpmn": FAULTY_TIMER}, forms={}),
                                  created_by="tests", process_id="timer_fault")
        case = Case(status="open", received_at=now(), process_version_id=version.id, reference="MASH-LATE-1")
        session.add(case)
        session.flush()
        start_workflow(session, case, {"due_at": (now() - timedelta(minutes=1)).isoformat(), "divisor": 1}, SYSTEM)
        case_id = case.id
    assert case_row(db, case_id).status == "closed"
    [fired] = fired_events(db, case_id)
    assert fired.element_id == "wait" and fired.details["due_at"] == (MONDAY_10 - timedelta(minutes=1)).isoformat()


def test_a_failing_firing_is_retried_a_bounded_number_of_times_then_raised_for_managers(app, db):
    clock.freeze(MONDAY_10)
    case_id = faulty_case(db, timedelta(minutes=1))
    state_before = case_row(db, case_id).state
    clock.advance(timedelta(minutes=2))

    assert fire_due() == 0
    first = incident_of(db, case_id)
    assert first.attempts == 1 and first.raised_at is None and first.element_id == "broken_step"
    assert "division by zero" in first.error
    assert case_row(db, case_id).next_timer_due == now() + scheduling.RETRY_DELAYS[0]  # backs off
    assert fire_due() == 0 and incident_of(db, case_id).attempts == 1  # not due again yet

    clock.advance(scheduling.RETRY_DELAYS[0])
    fire_due()
    clock.advance(scheduling.RETRY_DELAYS[1])
    fire_due()
    raised = incident_of(db, case_id)
    assert raised.attempts == scheduling.MAX_ATTEMPTS and raised.raised_at == now()
    assert case_row(db, case_id).next_timer_due is None  # no more tries until a manager asks

    clock.advance(timedelta(hours=6))
    fire_due()
    assert incident_of(db, case_id).attempts == scheduling.MAX_ATTEMPTS
    # Nothing half-written: the case's workflow is as it was, and no firing was recorded.
    assert case_row(db, case_id).state == state_before
    assert fired_events(db, case_id) == []
    with db.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.case_id == case_id, AuditEvent.action == "timer.incident-raised")) == 1

    from app.auth.operations import user_by_username
    with db.unit_of_work() as session:
        manager = user_by_username(session, "mash-manager").as_actor()
    retry_incident(raised.id, manager)
    assert case_row(db, case_id).next_timer_due == now()
    fire_due()
    again = incident_of(db, case_id)
    assert again.attempts == 1 and again.raised_at is None  # tried again, will back off again


def test_a_firing_that_fails_once_then_succeeds_resolves_its_incident(api, db, monkeypatch):
    clock.freeze(MONDAY_10)
    [case_id] = red_cases_with_checks(api, 1)
    clock.advance(timedelta(hours=4, minutes=1))  # the police check is late; the decision (at 15:00) not yet
    real = scheduling.fire_due_timers
    calls = []

    def flaky(session, case_id, actor):
        calls.append(case_id)
        if len(calls) == 1:
            raise ConnectionError("database went away")
        return real(session, case_id, actor)

    monkeypatch.setattr(scheduling, "fire_due_timers", flaky)
    assert fire_due() == 0
    assert incident_of(db, case_id).attempts == 1
    clock.advance(scheduling.RETRY_DELAYS[0])
    assert fire_due() == 1
    incident = incident_of(db, case_id)
    assert incident.resolved_at == now() and incident.resolved_by == SYSTEM.username
    assert "Chase overdue police check" in open_task_names(api, case_id)
