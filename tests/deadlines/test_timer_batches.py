"""A burst of due timers fires in batches: one transaction per batch and a savepoint per case, so every case is
either fired with its audit events or still due, one broken case never holds back the others, and on
PostgreSQL two schedulers share a burst without firing any case twice."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from app.audit.chain import verify
from app.audit.models import AuditEvent
from app.cases.models import Case
from app.casework import scheduler as scheduling
from app.casework.scheduler import DeadlineScheduler, acquire_lease, claim_due, fire_due
from app.casework.starting import start_workflow
from app.core.actor import SYSTEM
from app.core.clock import clock, now
from app.engine import ProcessBundle
from app.incidents.models import Incident
from app.process_models.registry import register_bundle
from tests.deadlines.test_scheduler import FAULTY_TIMER

MONDAY_10 = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)
BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture(autouse=True)
def whole_batches(monkeypatch):
    """A batch takes every case it claimed, however long the first firings take: on a loaded machine a first
    firing that starts the evaluator process can pass BATCH_SECONDS and cut the batch the test is about (its
    cut has a test of its own, below)."""
    monkeypatch.setattr(scheduling, "BATCH_SECONDS", 3600.0)


def waiting_cases(db, count: int, *, broken: set[int] = frozenset()) -> list[int]:
    """``count`` cases each waiting on one timer due in a minute; the n-th in ``broken`` fails when it fires
    (its path divides by zero)."""
    with db.unit_of_work() as session:
        version = register_bundle(session, ProcessBundle(bpmn={"fault.bpmn": FAULTY_TIMER}, forms={}),
                                  created_by="tests", process_id="timer_fault")
        ids = []
        for n in range(count):
            case = Case(status="open", received_at=now(), process_version_id=version.id, reference=f"MASH-B-{n}")
            session.add(case)
            session.flush()
            start_workflow(session, case, {"due_at": (now() + timedelta(minutes=1)).isoformat(),
                                           "divisor": 0 if n in broken else 1}, SYSTEM)
            ids.append(case.id)
    return ids


def fired_case_ids(db) -> list[int]:
    with db.unit_of_work(write=False) as session:
        return sorted(session.scalars(select(AuditEvent.case_id).where(AuditEvent.action == "timer.fired")))


def still_due(db) -> list[int]:
    with db.unit_of_work(write=False) as session:
        return sorted(session.scalars(select(Case.id).where(Case.status == "open", Case.next_timer_due <= now())))


def write_transactions(db) -> list[str]:
    """SQLite: every write transaction begins with BEGIN IMMEDIATE (reads with a plain BEGIN)."""
    begun: list[str] = []

    def on_statement(_conn, _cursor, statement, *_args) -> None:
        if statement == "BEGIN IMMEDIATE":
            begun.append(statement)

    event.listen(db.engine, "before_cursor_execute", on_statement)
    return begun


def test_a_burst_fires_every_case_once_in_one_commit_per_batch(app, db):
    clock.freeze(MONDAY_10)
    cases = waiting_cases(db, 7)
    clock.advance(timedelta(minutes=2))
    writes = write_transactions(db)

    assert fire_due(batch_size=3) == 7
    assert len(writes) == 3  # 3 + 3 + 1 cases: a batch is one transaction, not one per case
    assert fired_case_ids(db) == cases
    assert still_due(db) == []
    with db.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Case).where(Case.status == "closed")) == 7
        assert verify(session).ok


def test_a_slow_batch_stops_taking_cases_and_leaves_the_rest_to_the_next(app, db, monkeypatch):
    clock.freeze(MONDAY_10)
    cases = waiting_cases(db, 3)
    clock.advance(timedelta(minutes=2))
    writes = write_transactions(db)
    monkeypatch.setattr(scheduling, "BATCH_SECONDS", 0.0)  # every firing is "too long": one case per batch

    assert fire_due(batch_size=3) == 3
    assert len(writes) == 3
    assert fired_case_ids(db) == cases
    assert still_due(db) == []


def test_a_failing_case_in_a_batch_rolls_back_alone_and_the_others_fire(app, db):
    clock.freeze(MONDAY_10)
    cases = waiting_cases(db, 5, broken={2})
    broken = cases[2]
    with db.unit_of_work(write=False) as session:
        state_before = session.get(Case, broken).state
    clock.advance(timedelta(minutes=2))

    assert fire_due(batch_size=5) == 4
    assert fired_case_ids(db) == [c for c in cases if c != broken]
    with db.unit_of_work(write=False) as session:
        case = session.get(Case, broken)
        assert case.state == state_before and case.status == "open"  # nothing of its firing stands
        assert case.next_timer_due == now() + scheduling.RETRY_DELAYS[0]  # tried again later
        [incident] = session.scalars(select(Incident))
        assert incident.case_id == broken and incident.attempts == 1
        assert verify(session).ok


def test_a_crash_in_the_middle_of_a_batch_leaves_every_case_of_it_due_and_unrecorded(app, db, monkeypatch):
    clock.freeze(MONDAY_10)
    cases = waiting_cases(db, 4)
    clock.advance(timedelta(minutes=2))
    real = scheduling.fire_due_timers
    calls: list[int] = []

    def dies_on_the_third(session, case_id, actor):
        calls.append(case_id)
        if len(calls) == 3:
            raise SystemExit("the worker is killed")  # not an error a batch catches: the process stops
        return real(session, case_id, actor)

    monkeypatch.setattr(scheduling, "fire_due_timers", dies_on_the_third)
    with pytest.raises(SystemExit):
        fire_due(batch_size=4)
    assert fired_case_ids(db) == []  # the two fired before the crash did not commit
    assert still_due(db) == cases

    monkeypatch.setattr(scheduling, "fire_due_timers", real)  # the worker restarts
    assert fire_due(batch_size=4) == 4
    assert fired_case_ids(db) == cases


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_on_postgresql_a_second_scheduler_skips_the_cases_a_batch_holds(app, db):
    clock.freeze(MONDAY_10)
    cases = waiting_cases(db, 6)
    clock.advance(timedelta(minutes=2))
    with db.unit_of_work() as first:
        held = [case.id for case in claim_due(first, 4)]
        taken: list[int] = []

        def second_scheduler() -> None:
            with db.unit_of_work() as second:
                taken.extend(case.id for case in claim_due(second, 6))

        thread = threading.Thread(target=second_scheduler)
        thread.start()
        thread.join(timeout=30)
        assert not thread.is_alive()  # skipped, not queued behind the first batch
    assert held == cases[:4] and taken == cases[4:]


@BOTH
def test_two_schedulers_sharing_a_burst_fire_each_case_once(app, db):
    clock.freeze(MONDAY_10)
    cases = waiting_cases(db, 12)
    clock.advance(timedelta(minutes=2))
    start = threading.Barrier(2)
    results: list[int] = []

    def scheduler() -> None:
        start.wait()
        results.append(fire_due(batch_size=3))

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(results) == 12
    assert fired_case_ids(db) == cases  # each once
    with db.unit_of_work(write=False) as session:
        assert verify(session).ok


@BOTH
def test_with_shared_timers_a_standby_helps_fire_on_postgresql_and_leaves_it_to_the_leader_on_sqlite(
        app, db, monkeypatch):
    monkeypatch.setenv("MASH_TIMERS_SHARED", "1")
    clock.freeze(MONDAY_10)
    cases = waiting_cases(db, 3)
    clock.advance(timedelta(minutes=2))
    assert acquire_lease("web-1") is True  # another worker leads, and keeps its lease
    standby = DeadlineScheduler(holder="web-2")
    standby._running = True
    standby._tick()
    assert standby.is_leader is False
    expected = cases if db.engine.dialect.name == "postgresql" else []
    assert fired_case_ids(db) == expected


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_by_default_only_the_lease_holder_fires(app, db):
    clock.freeze(MONDAY_10)
    waiting_cases(db, 2)
    clock.advance(timedelta(minutes=2))
    assert acquire_lease("web-1") is True
    standby = DeadlineScheduler(holder="web-2")
    standby._running = True
    standby._tick()
    assert fired_case_ids(db) == []
