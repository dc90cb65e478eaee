"""A bounded, first-come-first-served gate for password hashing: argon2id at 64 MiB is the one piece of work a
request does that costs a third of a second of both cores, so at most ``size`` hashes run at once per process.

Why: forty people signing in at nine o'clock hashed forty times at once (2.5 GiB, every core) and the server
stalled for about 30 seconds for everyone. Now a hash waits its turn in a queue, in arrival order, and the
rest of the hub keeps its cores. The hash runs on the caller's own thread once its turn comes: argon2-cffi
releases the GIL while it hashes (measured: a Python thread runs on beside it), so no process pool is needed,
and each hash already runs its four lanes in parallel (two hashes at once on two cores took as long each as
one after the other). The bound is per process: ``mash serve --workers N`` has N gates.

The hashes run on the pool's own threads at a lower CPU priority (``nice``, default 10; argon2's lane threads
inherit it): a page or an API answer is served first, and the hashes take the CPU the requests leave. On a
machine busy with other work too, sign-ins then wait longer (up to ``wait_seconds``), never the case work.

A waiting sign-in holds its request thread (gunicorn gthread) but no CPU, no memory to speak of and no
database connection or lock; ``--threads`` should cover the sign-ins expected at once plus the other requests.
One exception to arrival order: a hash made inside a database transaction (a password change, a new user) waits
at the front, because on SQLite every writer queues behind the lock it holds; sign-ins hash with none open.
When the queue is full, or a turn does not come within ``wait_seconds``, the caller is refused with
HashingBusy (503, try again in a minute) before anything is written.
"""
from __future__ import annotations

import os
import sys
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from typing import TypeVar

from app.core.config import hashing_settings
from app.core.errors import OperationError

T = TypeVar("T")

#: Seconds the person is asked to wait before trying again (the message says "a minute").
RETRY_AFTER_SECONDS = 60
BUSY_MESSAGE = "The service is busy. Try again in a minute."


class HashingBusy(OperationError):
    """Too many passwords are being checked at once: nothing was done, try again in a minute."""

    status = 503

    def __init__(self, reason: str) -> None:
        super().__init__(BUSY_MESSAGE)
        #: "queue-full" or "timeout" (for the audit trail; never anything about the person).
        self.reason = reason


class HashingPool:
    """At most ``size`` callers run ``work`` at once, on the pool's ``size`` threads niced by ``nice``; the others
    wait in arrival order, at most ``queue`` of them, each for at most ``wait_seconds``. ``size`` 0 switches the
    bound off (every caller runs ``work`` at once on its own thread, as before issue 20)."""

    def __init__(self, size: int, queue: int, wait_seconds: float, *, nice: int = 0) -> None:
        self.size, self.queue, self.wait_seconds = size, queue, wait_seconds
        self._lock = threading.Lock()
        self._running = 0
        self._waiting: deque[threading.Event] = deque()
        self._threads = ThreadPoolExecutor(max_workers=max(1, size), thread_name_prefix="mash-hashing",
                                           initializer=_lower_priority, initargs=(nice,)) if size > 0 else None

    @property
    def running(self) -> int:
        return self._running

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def run(self, work: Callable[[], T], *, first: bool = False) -> T:
        """``first``: a caller holding a database transaction (a password change, a new user) waits at the
        front of the queue and is not refused for a full one: every writer queues behind its lock, so it
        must not wait for a storm of sign-ins to drain. Sign-ins hash with no transaction open and queue."""
        if self.size <= 0:
            return work()
        assert self._threads is not None  # noqa: S101  (made whenever size > 0)
        self._enter(first)
        try:
            return self._threads.submit(work).result()  # a free thread: at most ``size`` callers are in here
        finally:
            self._leave()

    def _enter(self, first: bool) -> None:
        with self._lock:
            if self._running < self.size and not self._waiting:
                self._running += 1
                return
            if len(self._waiting) >= self.queue and not first:
                raise HashingBusy("queue-full")
            turn = threading.Event()
            if first:
                self._waiting.appendleft(turn)
            else:
                self._waiting.append(turn)
        if turn.wait(self.wait_seconds):
            return  # the leaving caller handed its place over (``_running`` unchanged)
        with self._lock:
            if turn.is_set():
                return  # handed over just as the wait ran out: take it
            self._waiting.remove(turn)
        raise HashingBusy("timeout")

    def _leave(self) -> None:
        """Hand the place straight to the longest waiter (strict arrival order: nobody overtakes it)."""
        with self._lock:
            if self._waiting:
                self._waiting.popleft().set()
            else:
                self._running -= 1


def _lower_priority(nice: int) -> None:
    """Lower this thread's CPU priority (Linux sets it per thread; threads it starts inherit it)."""
    if nice > 0 and sys.platform == "linux":
        with suppress(OSError):  # a priority that cannot be lowered further: the bound still holds
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)


_pool: HashingPool | None = None
_pool_lock = threading.Lock()


def pool() -> HashingPool:
    """This process's pool, made from the settings at first use (so each gunicorn worker makes its own)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            settings = hashing_settings()
            _pool = HashingPool(settings.pool_size, settings.queue, settings.wait_seconds, nice=settings.nice)
        return _pool


def use_pool(replacement: HashingPool | None) -> None:
    """Put a pool in place (tests, benches); None: make it again from the settings at next use."""
    global _pool
    with _pool_lock:
        _pool = replacement


def hashed(work: Callable[[], T], *, in_transaction: bool = True) -> T:
    """Run one hash or verification through this process's pool; one made inside a database transaction goes
    first (HashingPool.run)."""
    return pool().run(work, first=in_transaction)


def _forget_after_fork() -> None:
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)
