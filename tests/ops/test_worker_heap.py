"""A started worker (and the scheduler process) sets CPython's garbage collector for a long-running process
(app.core.heap): what it holds after start-up is frozen, and the youngest objects are looked at less often."""
from __future__ import annotations

import gc

import pytest

from app.core import heap
from app.web import server


@pytest.fixture
def collector_as_python_left_it():
    threshold = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_a_worker_freezes_what_it_holds_once_started_and_looks_for_cycles_less_often(collector_as_python_left_it,
                                                                                      monkeypatch):
    warmed: list[bool] = []
    monkeypatch.setattr("app.engine.evaluator.warm_up", lambda: warmed.append(True))
    assert gc.get_freeze_count() == 0

    server._prepare_worker(None)  # gunicorn's post_worker_init

    assert warmed == [True]
    assert gc.get_freeze_count() > 10_000  # the app, its mappers and templates: never walked again
    assert gc.get_threshold()[0] == heap.YOUNG_THRESHOLD > 700


def test_settling_keeps_finding_cycles(collector_as_python_left_it):
    heap.settle_after_start()

    class Node:
        pass

    first, second = Node(), Node()
    first.other, second.other = second, first  # a cycle reference counting alone never frees
    del first, second
    assert gc.collect() >= 2
