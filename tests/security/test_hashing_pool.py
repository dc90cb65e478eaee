"""Issue 20, the sign-in storm: passwords are hashed in a bounded pool, first come first served. No more than the
pool's size hash at once, the rest wait their turn in the order they came; a full queue or a turn that does not
come in time tells the person the service is busy (503, try again in a minute), audited like the other refused
sign-ins, with nothing written; the hash itself runs with no database transaction open."""
from __future__ import annotations

import os
import sys
import threading

import pytest
from sqlalchemy import select

from app.auth import hashing_pool
from app.auth.hashing_pool import HashingBusy, HashingPool
from app.auth.models import LoginThrottle, User, UserSession
from app.core.db import get_db
from tests.conftest import wait_for
from tests.security.conftest import attempt
from tests.users.test_users_api import patch


class Held:
    """Hashes that each wait to be let go, recording the order they started in and how many ran at once."""

    def __init__(self) -> None:
        self.started: list[int] = []
        self.running = self.most = 0
        self._lock = threading.Lock()
        self._release: dict[int, threading.Event] = {}

    def work(self, number: int):
        release = self._release.setdefault(number, threading.Event())

        def hash_() -> int:
            with self._lock:
                self.started.append(number)
                self.running += 1
                self.most = max(self.most, self.running)
            release.wait(10)
            with self._lock:
                self.running -= 1
            return number
        return hash_

    def let_go(self, number: int) -> None:
        self._release.setdefault(number, threading.Event()).set()


def arrive(pool: HashingPool, held: Held, number: int, results: dict, *, first: bool = False) -> threading.Thread:
    """One caller asks for a turn; returns once it is running or queued, so the arrival order is known."""
    before = pool.running + pool.waiting

    def call() -> None:
        try:
            results[number] = pool.run(held.work(number), first=first)
        except HashingBusy as busy:
            results[number] = busy.reason
    thread = threading.Thread(target=call)
    thread.start()
    assert wait_for(lambda: pool.running + pool.waiting > before or number in results)
    return thread


@pytest.fixture
def pool():
    """A pool of one in place of the process's, with a queue of one; the settings' pool comes back after."""
    replacement = HashingPool(size=1, queue=1, wait_seconds=10)
    hashing_pool.use_pool(replacement)
    yield replacement
    hashing_pool.use_pool(None)


def test_no_more_hash_at_once_than_the_pool_holds_and_the_others_take_turns_in_the_order_they_came():
    pool, held, results = HashingPool(size=2, queue=10, wait_seconds=10), Held(), {}
    callers = [arrive(pool, held, number, results) for number in range(6)]
    assert (pool.running, pool.waiting) == (2, 4)
    for number in (1, 0, 2, 3, 4, 5):  # the first two finish in either order; the rest follow their arrival
        held.let_go(number)
        assert wait_for(lambda number=number: number in results)
    for caller in callers:
        caller.join()
    assert held.most == 2
    assert held.started == [0, 1, 2, 3, 4, 5]
    assert results == {n: n for n in range(6)} and (pool.running, pool.waiting) == (0, 0)


def test_a_hash_made_inside_a_transaction_goes_to_the_front_of_the_queue_even_when_it_is_full():
    """A password change holds the database's write lock while it hashes: it must not wait for a storm."""
    pool, held, results = HashingPool(size=1, queue=2, wait_seconds=10), Held(), {}
    callers = [arrive(pool, held, number, results) for number in (1, 2, 3)]
    callers.append(arrive(pool, held, 4, results, first=True))
    assert pool.waiting == 3
    for number in (1, 4, 2, 3):
        held.let_go(number)
    for caller in callers:
        caller.join()
    assert held.started == [1, 4, 2, 3] and held.most == 1


def test_a_full_queue_is_refused_at_once_and_a_turn_that_does_not_come_in_time_gives_up():
    pool, held, results = HashingPool(size=1, queue=1, wait_seconds=10), Held(), {}
    first, second = arrive(pool, held, 1, results), arrive(pool, held, 2, results)
    arrive(pool, held, 3, results).join()
    assert results == {3: "queue-full"}

    held.let_go(1)
    held.let_go(2)
    first.join()
    second.join()
    impatient = HashingPool(size=1, queue=5, wait_seconds=0.01)
    holder = arrive(impatient, held, 4, results)
    arrive(impatient, held, 5, results).join()
    assert results[5] == "timeout" and impatient.waiting == 0, "a caller that gave up leaves the queue"
    held.let_go(4)
    holder.join()
    assert held.started == [1, 2, 4]


def test_when_the_pool_is_busy_the_sign_in_page_says_so_and_the_refusal_is_audited(app, db, events, pool):
    held, results = Held(), {}
    holder = arrive(pool, held, 1, results)
    arrive(pool, held, 2, results)  # the queue is full
    busy = attempt(app.test_client(), "police")
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "60"
    page = busy.get_data(as_text=True)
    assert "govuk-error-summary" in page and "The service is busy. Try again in a minute." in page
    [refused] = events("auth.login-busy")
    assert refused.username == "anonymous" and refused.details == {"reason": "queue-full", "address": "192.0.2.10"}
    assert events("auth.login-failed") == [] and events("auth.login") == []
    with db.unit_of_work(write=False) as session:
        assert session.scalars(select(LoginThrottle)).all() == [], "busy is not a failed attempt"
        assert session.scalars(select(UserSession)).all() == []

    held.let_go(1)
    held.let_go(2)
    holder.join()
    signed_in = attempt(app.test_client(), "police")
    assert signed_in.status_code == 302 and len(events("auth.login")) == 1


def test_a_password_reset_in_the_api_whose_turn_does_not_come_is_503_and_changes_nothing(app, api, db, pool):
    admin = api("admin")
    with db.unit_of_work(write=False) as session:
        before = session.scalar(select(User.password_hash).where(User.username == "education"))
    held, results = Held(), {}
    holder = arrive(pool, held, 1, results)
    arrive(pool, held, 2, results)
    pool.wait_seconds = 0.01  # the reset goes to the front of the queue, but the hash ahead of it never ends
    refused = patch(admin, "education", {"reset_password": True})
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "60"
    assert refused.get_json()["errors"][0]["message"] == "The service is busy. Try again in a minute."
    with db.unit_of_work(write=False) as session:
        assert session.scalar(select(User.password_hash).where(User.username == "education")) == before
    held.let_go(1)
    held.let_go(2)
    holder.join()


def test_the_password_is_checked_with_no_database_transaction_open(app, events):
    """While the hash runs (a third of a second of both cores, or its wait for a turn) the request holds no
    transaction: on SQLite no write lock that every other request would queue behind."""
    seen: list[bool] = []

    class Watching(HashingPool):
        def run(self, work, **kwargs):
            seen.append(get_db().session.in_transaction())
            return super().run(work, **kwargs)

    hashing_pool.use_pool(Watching(size=1, queue=4, wait_seconds=10))
    try:
        assert attempt(app.test_client(), "police").status_code == 302
        assert attempt(app.test_client(), "police", "wrong-password").status_code == 200
    finally:
        hashing_pool.use_pool(None)
    assert seen == [False, False]
    assert len(events("auth.login")) == 1 and len(events("auth.login-failed")) == 1


@pytest.mark.skipif(sys.platform != "linux", reason="thread priorities are per thread on Linux")
def test_hashes_run_at_a_lower_cpu_priority_than_the_requests():
    pool = HashingPool(size=1, queue=1, wait_seconds=10, nice=10)
    priority = pool.run(lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
    assert priority == min(19, os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) + 10)
