"""The clock the demo and the volume generator walk made-up history on: back in time for a block, then as it was."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.core.clock import Clock

MORNING = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
PAST = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def test_a_frozen_clock_is_frozen_where_it_was_after_a_walk_in_the_past():
    clock = Clock()
    clock.freeze(MORNING)
    with clock.set_to(PAST):
        assert clock.now() == PAST
        clock.advance(timedelta(hours=2))  # a walk's steps move time on inside the block
        assert clock.now() == PAST + timedelta(hours=2)
    assert clock.now() == MORNING


def test_a_running_clock_runs_on_with_its_offset_after_a_walk_in_the_past():
    clock = Clock()
    clock.advance(timedelta(days=3))  # a trainer's sandbox runs ahead of real time
    with clock.set_to(PAST):
        assert clock.now() == PAST
    ahead = clock.now() - datetime.now(UTC)
    assert timedelta(days=3) - timedelta(minutes=1) < ahead <= timedelta(days=3)


def test_the_clock_is_handed_back_when_the_walk_fails():
    clock = Clock()
    clock.freeze(MORNING)
    try:
        with clock.set_to(PAST):
            raise RuntimeError("a step of the made-up history failed")
    except RuntimeError:
        pass
    assert clock.now() == MORNING
