"""The interpreter's cyclic garbage collector set for a long-running process: a server worker, the scheduler.

CPython's collector looks for reference cycles every 700 net new container objects, and now and then walks every
object the process holds. A warmed worker holds about 220,000 that never become garbage (the app, its templates,
SQLAlchemy's mappers; the compiled process once the first request has compiled it), and a completion makes tens of
thousands of short-lived ones (restoring a case builds its task tree). Measured in-process on the referral walk,
80 cases (``bench/gc_pauses.py``): the collector took 0.79 ms per completion, and each of its two whole-heap passes
stopped a request for up to 99 ms.

So once started, a process moves what it holds into the collector's permanent generation (``gc.freeze``: never
walked again) and looks for cycles every ``YOUNG_THRESHOLD`` new objects: 0.31 ms per completion, no pause over
8 ms. Nothing else changes: reference counting still frees almost everything the moment it is unused, and cycles
are still found, a little later.
"""
from __future__ import annotations

import gc

#: New container objects (allocations less deallocations) between two looks for cycles among the youngest.
YOUNG_THRESHOLD = 10_000


def settle_after_start() -> None:
    """Freeze what the started process holds and space out the collector's looks; call once the process is ready
    to serve (its app created, its evaluator warmed), before the first request."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, oldest)
