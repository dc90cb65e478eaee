"""Timers survive their scheduler being SIGKILLed: the process running it is killed twice while timers fall
due and restarted; the audit trail shows every timer fired exactly once and none early. On SQLite the scheduler
runs in `mash serve`'s worker, on PostgreSQL in `mash scheduler` (the scheduler alone). The full run (10,000
timers, waiting out each dead holder's lease) is bench/timers_across_restarts.py."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.core.db import get_db
from tests.deadlines import restart_harness as harness


@pytest.mark.parametrize(("database_url", "web"), [("sqlite", True), ("postgresql", False)],
                         indirect=["database_url"], ids=["sqlite-mash-serve", "postgresql-mash-scheduler"])
def test_every_timer_fires_exactly_once_when_the_scheduler_is_killed_twice(database_url, web, tmp_path):
    # 150 timers due over 15 s; each kill comes 0.5-1 s after the (re)started scheduler took the lease, so the
    # second kill still finds timers pending even when a restart takes 10 s on a loaded machine.
    try:
        result = harness.run(database_url, tmp_path, cases=150, spread=15, lead_in=1, kills=2, seed=7,
                             gap=(0.5, 1.0), down=(0.1, 0.5), expire_dead_lease=True, batch=150, timeout=60, web=web)
        events = harness.fired_events()
        verdict = harness.check(result, events)
        figures = harness.resume_figures(result, events)
        incidents = harness.timer_incidents()
        pending = harness.pending_timers(result.version_id)
        lease = harness.current_lease()  # run() ends with SIGTERM, which hands the lease back
    finally:
        get_db().dispose()

    assert not result.timed_out and pending == 0
    assert verdict.missed == []
    assert verdict.twice == {}
    assert verdict.early == verdict.wrong_due == verdict.unknown == 0
    assert verdict.fired == 150
    assert incidents == 0
    # The kills were real: each hit the lease holder with timers pending, and a new process took over.
    assert len(result.cycles) == 2
    for cycle, row in zip(result.cycles, figures, strict=True):
        assert cycle.pending_at_kill > 0
        assert cycle.new_holder != cycle.dead_holder
        assert row["first_fired"] >= row["lease_taken"] > 0
    assert figures[0]["last_fired_before"] is not None  # the first scheduler had been firing
    assert lease.holder == result.cycles[-1].new_holder and lease.expires_at < harness.wall_clock()


def test_the_check_sees_a_timer_fired_twice_missed_or_early():
    due = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)
    run = harness.Run(version_id=1, case_ids=[1, 2], due_times={1: due, 2: due}, armed_at={1: due, 2: due},
                      first_due=due, last_due=due, create_seconds=0, first_start=due, first_serving=due,
                      first_lease=due, first_due_in=0, finished_at=due + timedelta(minutes=1))

    def fired(case_id: int, seconds: float) -> tuple[int, str, dict]:
        return case_id, f"task-{case_id}", {"due_at": due.isoformat(),
                                            "fired_at": (due + timedelta(seconds=seconds)).isoformat()}

    assert harness.check(run, [fired(1, 0.1), fired(2, 0.2)]).correct
    assert harness.check(run, [fired(1, 0.1), fired(2, 0.2), fired(2, 0.3)]).twice == {2: 1}
    assert harness.check(run, [fired(1, 0.1)]).missed == [2]
    assert harness.check(run, [fired(1, 0.1), fired(2, -0.2)]).early == 1
    assert not harness.check(run, [fired(1, 0.1), fired(2, 0.2), fired(3, 0.2)]).correct
