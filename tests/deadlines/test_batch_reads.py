"""A batch of firings reads its cases' deadline rows, inbox rows and breach markers once and writes their SLA wall
rows together, and fires with no savepoints until a case fails: then the whole batch rolls back and fires again
with a savepoint per case. What each case ends with must be what firing it alone gives: its timers fired once,
its inbox and deadline rows, one breach alert per deadline, its SLA wall row, an audit trail that verifies."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.chain import verify
from app.audit.models import AuditEvent
from app.cases.models import Case
from app.casework import scheduler as scheduling
from app.casework.models import BREACH, NotificationMarker
from app.casework.scheduler import fire_due
from app.core.clock import clock, now
from app.deadlines.models import Deadline
from app.inbox.models import OpenTask
from tests.alerts.conftest import _staff_addresses, queued  # noqa: F401 (staff with addresses: autouse)
from tests.deadlines.test_scheduler import MONDAY_10, red_cases_with_checks
from tests.deadlines.test_sla_projection import assert_in_step
from tests.deadlines.test_timer_batches import fired_case_ids, waiting_cases, whole_batches  # noqa: F401 (autouse)

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


def fired_per_timer(db) -> Counter[tuple[int, str]]:
    with db.unit_of_work(write=False) as session:
        return Counter((case_id, task_id) for case_id, task_id in session.execute(
            select(AuditEvent.case_id, AuditEvent.task_id).where(AuditEvent.action == "timer.fired")))


def rows_of(db, case_ids: list[int]) -> dict[int, tuple]:
    """Each case's deadline rows and inbox rows, as the firing left them."""
    with db.unit_of_work(write=False) as session:
        out = {}
        for case_id in case_ids:
            deadlines = sorted((d.name, d.due_at, d.breached_at, d.met_at, d.cancelled_at) for d in session.scalars(
                select(Deadline).where(Deadline.case_id == case_id)))
            tasks = sorted((t.bpmn_id, t.due_at) for t in session.scalars(
                select(OpenTask).where(OpenTask.case_id == case_id)))
            out[case_id] = (deadlines, tasks)
        return out


@BOTH
def test_a_batch_of_breaches_leaves_each_case_as_firing_it_alone_would(api, db):
    clock.freeze(MONDAY_10)
    cases = red_cases_with_checks(api, 4)
    clock.advance(timedelta(hours=4, minutes=1))  # every police check is late

    alone, together = cases[0], cases[1:]
    # The first case alone (a batch of one), the other three in one batch: the same diagram, the same moment.
    with db.unit_of_work() as session:  # the others wait a little while the first fires on its own
        for case_id in together:
            session.get_one(Case, case_id).next_timer_due = now() + timedelta(minutes=5)
    assert fire_due(batch_size=1) == 1
    with db.unit_of_work() as session:
        for case_id in together:
            session.get_one(Case, case_id).next_timer_due = now()
    assert fire_due(batch_size=10) == 3

    rows = rows_of(db, cases)
    assert all(rows[case_id] == rows[alone] for case_id in together)
    assert [name for name, _, breached, *_ in rows[alone][0] if breached] == ["Police check due"]
    assert "chase_police_check" in [bpmn_id for bpmn_id, _ in rows[alone][1]]
    assert set(fired_per_timer(db).values()) == {1}
    assert all(len(queued(db, "breach", case_id)) == 1 for case_id in cases)
    with db.unit_of_work(write=False) as session:
        markers = Counter(session.scalars(select(NotificationMarker.case_id).where(NotificationMarker.kind == BREACH)))
        assert markers == dict.fromkeys(cases, 1)
        assert verify(session).ok
    assert_in_step(db)  # the SLA wall rows written together equal a rebuild from the deadlines

    clock.advance(timedelta(hours=1, minutes=1))  # the decision's deadline passes too: a breach of its own
    assert fire_due(batch_size=10) == 4
    assert all([m.body.split("(", 1)[1].split(")", 1)[0] for m in queued(db, "breach", case_id)]
               == ["Police check due", "Decision due"] for case_id in cases)
    assert_in_step(db)


@BOTH
def test_a_failure_in_the_fast_pass_fires_the_batch_again_with_savepoints_and_tries_the_failed_case_once(
        app, db, monkeypatch):
    clock.freeze(MONDAY_10)
    cases = waiting_cases(db, 5, broken={2})
    broken = cases[2]
    clock.advance(timedelta(minutes=2))
    real = scheduling.fire_due_timers
    calls: Counter[int] = Counter()

    def counted(session, case_id, actor):
        calls[case_id] += 1
        return real(session, case_id, actor)

    monkeypatch.setattr(scheduling, "fire_due_timers", counted)
    assert fire_due(batch_size=5) == 4
    # The two before the broken one were fired in the fast pass, rolled back with it, and fired again; the broken
    # one was tried once (its failure counted once); the two after it were reached only in the second pass.
    assert calls == {cases[0]: 2, cases[1]: 2, broken: 1, cases[3]: 1, cases[4]: 1}
    assert fired_case_ids(db) == [c for c in cases if c != broken]
    with db.unit_of_work(write=False) as session:
        assert session.get_one(Case, broken).next_timer_due == now() + scheduling.RETRY_DELAYS[0]
        assert verify(session).ok
    assert set(fired_per_timer(db).values()) == {1}
