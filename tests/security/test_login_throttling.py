"""Repeated failed sign-ins lock the username from that address (5 in 15 minutes) or the client address (20)
for 15 minutes: 429 with Retry-After and a GOV.UK error summary, no password checked while locked, every event
audited, counts kept in the database (every worker sees them) as keyed hashes. Guesses at one username from
anywhere only slow that username down: a stranger cannot lock out a named colleague."""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

import app.auth.operations as auth_operations
import app.auth.throttle as throttle
from app.auth.models import LoginThrottle
from app.core.clock import clock
from tests.security.conftest import attempt

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


def fail(client, username: str, times: int, **kwargs) -> list[int]:
    return [attempt(client, username, "wrong-password", **kwargs).status_code for _ in range(times)]


@BOTH
def test_five_failures_lock_the_username_then_it_unlocks_after_the_window(app, events):
    clock.freeze(T0)
    client = app.test_client()
    assert fail(client, "police", 4) == [200, 200, 200, 200]
    fifth = attempt(client, "police", "wrong-password")
    assert fifth.status_code == 429
    assert fifth.headers["Retry-After"] == str(15 * 60)
    page = fifth.get_data(as_text=True)
    assert "govuk-error-summary" in page and "<title>Error:" in page
    assert "You have tried to sign in too many times. Wait until 09:15" in page  # London is on GMT in March

    clock.advance(timedelta(minutes=10))
    locked = attempt(client, "police")  # the right password, but locked
    assert locked.status_code == 429 and locked.headers["Retry-After"] == str(5 * 60)

    clock.advance(timedelta(minutes=5))
    assert attempt(client, "police").status_code == 302
    throttled = events("auth.login-throttled")
    assert [e.details.get("started", False) for e in throttled] == [True, False]
    # Issue 16: the lock is on the username *from that address*, no longer on the username alone.
    assert {e.details["scope"] for e in throttled} == {"username-address"}
    assert len(events("auth.login-failed")) == 5


def test_while_locked_the_password_is_not_even_checked(app, monkeypatch):
    client = app.test_client()
    fail(client, "police", 5)
    checked = []
    monkeypatch.setattr(auth_operations, "check_password", lambda *args: checked.append(args) or True)
    assert attempt(client, "police").status_code == 429
    assert checked == []


def test_failures_spread_over_more_than_the_window_do_not_lock(app):
    clock.freeze(T0)
    client = app.test_client()
    fail(client, "police", 4)
    clock.advance(timedelta(minutes=16))
    assert fail(client, "police", 4) == [200] * 4
    assert attempt(client, "police").status_code == 302


@BOTH
def test_counters_whose_window_has_passed_are_forgotten(app, db):
    clock.freeze(T0)
    attempt(app.test_client(), "police", "wrong-password", address="192.0.2.1")
    clock.advance(timedelta(minutes=16))
    attempt(app.test_client(), "health", "wrong-password", address="192.0.2.2")
    with db.unit_of_work(write=False) as session:
        rows = list(session.scalars(select(LoginThrottle)))
    # Issue 16: an attempt counts against three keys (username from the address, address, username alone).
    assert len(rows) == 3 and all(row.window_started_at == T0 + timedelta(minutes=16) for row in rows)
    assert sorted(row.scope for row in rows) == ["address", "username", "username-address"]


def test_a_successful_sign_in_resets_the_usernames_count(app):
    client = app.test_client()
    fail(client, "police", 4)
    assert attempt(client, "police").status_code == 302
    other = app.test_client()
    assert fail(other, "police", 4) == [200] * 4, "the count started again"


def test_an_unknown_username_locks_the_same_way_and_is_never_stored(app, db, events):
    client = app.test_client()
    typed = "Correct-Horse-Battery"  # a password typed into the username box
    assert fail(client, typed, 5)[-1] == 429
    assert fail(client, typed, 1) == [429]
    for event in events("auth.login-failed") + events("auth.login-throttled"):
        assert typed not in str(event.details) and typed.casefold() not in str(event.details).casefold()
    assert all(e.details.get("username_known") is False for e in events("auth.login-failed"))
    with db.unit_of_work(write=False) as session:
        rows = list(session.scalars(select(LoginThrottle)))
    assert rows and all(re.fullmatch(r"[0-9a-f]{64}", row.key_hash) for row in rows)
    assert typed.casefold() not in " ".join(row.key_hash for row in rows)


def test_a_known_usernames_failures_name_the_user_in_the_audit_trail(app, events):
    attempt(app.test_client(), "police", "wrong-password", address="203.0.113.5")
    failed = events("auth.login-failed")[-1]
    assert failed.details == {"username": "police", "address": "203.0.113.5"}
    assert failed.username == "anonymous" and failed.user_id is None


def test_one_address_trying_many_usernames_is_locked_without_locking_them_elsewhere(settings, events):
    app = app_with(settings, login_address_max_failures=6)  # 20 by default: one office may share an address
    clock.freeze(T0)
    attacker = app.test_client()
    statuses = [attempt(attacker, f"guess-{n}", "wrong", address="203.0.113.9").status_code for n in range(6)]
    assert statuses == [200] * 5 + [429]
    assert attempt(attacker, "police", address="203.0.113.9").status_code == 429
    assert events("auth.login-throttled")[-1].details["scope"] == "address"
    # The real police officer, from the office, is not locked out by it.
    assert attempt(app.test_client(), "police", address="192.0.2.44").status_code == 302


def test_usernames_are_counted_whatever_their_case_or_spacing(app):
    client = app.test_client()
    for typed in ("police", "POLICE", " Police", "police ", "PoLiCe"):
        attempt(client, typed, "wrong-password")
    assert attempt(client, "police").status_code == 429


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_concurrent_failures_in_several_workers_are_all_counted(app):
    """Ten wrong passwords at once (as from several worker processes) must not lose counts to races."""
    def wrong(_):
        return attempt(app.test_client(), "police", "wrong-password").status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(wrong, range(10)))
    assert 429 in statuses
    assert attempt(app.test_client(), "police").status_code == 429


def app_with(settings, **overrides):
    from app import create_app
    from app.core.config import load_settings

    return create_app(load_settings(**{**settings.__dict__, **overrides}))


def test_limits_come_from_settings(settings):
    clock.freeze(T0)  # Retry-After counts whole seconds from now: a slow second must not change it
    client = app_with(settings, login_max_failures=2, login_lockout_minutes=1).test_client()
    assert fail(client, "police", 2) == [200, 429]
    assert attempt(client, "police").headers["Retry-After"] == "60"


def test_the_default_address_limit_is_twenty(settings):
    from app.auth.policy import sign_in_policy
    from app.core.config import load_settings

    assert load_settings().login_address_max_failures == 20
    assert sign_in_policy(settings).max_failures == 5 and sign_in_policy(settings).lockout == timedelta(minutes=15)


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """The slow-down's waits, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(throttle, "sleep", recorded.append)
    return recorded


@BOTH
def test_a_colleague_at_the_hub_signs_in_while_another_address_floods_guesses_at_their_username(app, events, waits):
    clock.freeze(T0)
    stranger = app.test_client()
    statuses = fail(stranger, "mash-manager", 12, address="203.0.113.66")
    assert statuses[:5] == [200] * 4 + [429] and set(statuses[5:]) == {429}, "the stranger's address is locked"
    # The MASH manager, at the hub, with the right password: in, after at most a short wait.
    at_the_hub = attempt(app.test_client(), "mash-manager", address="192.0.2.10")
    assert at_the_hub.status_code == 302 and "/login" not in at_the_hub.headers["Location"]
    assert events("auth.login")[-1].username == "mash-manager"
    assert {e.details["scope"] for e in events("auth.login-throttled")} == {"username-address"}
    # And the stranger is still locked out after the colleague signed in.
    assert attempt(stranger, "mash-manager", address="203.0.113.66").status_code == 429


def test_guesses_at_one_username_from_many_addresses_slow_it_down_and_never_lock_it(app, waits):
    clock.freeze(T0)
    statuses = [attempt(app.test_client(), "police", "wrong-password", address=f"198.51.100.{n}").status_code
                for n in range(1, 10)]
    assert statuses == [200] * 9, "no address tried five times, so nothing is locked"
    assert waits == [0.5, 1.0, 2.0, 4.0], "after five failures each guess waits longer, doubling"
    assert attempt(app.test_client(), "police", address="192.0.2.10").status_code == 302
    assert waits[-1] == 4.0, "the wait is capped: the colleague still gets in"
    clock.advance(timedelta(minutes=16))
    attempt(app.test_client(), "police", address="192.0.2.10")
    assert len(waits) == 5, "once the window has passed nobody waits"


def test_the_wait_happens_with_no_database_transaction_open(app, db, monkeypatch):
    """A waiting request must not hold SQLite's write lock (every other request would queue behind it)."""
    clock.freeze(T0)
    for n in range(6):
        attempt(app.test_client(), "police", "wrong-password", address=f"198.51.100.{n}")
    open_during_wait: list[bool] = []
    monkeypatch.setattr(throttle, "sleep", lambda _s: open_during_wait.append(db.session.in_transaction()))
    attempt(app.test_client(), "police", address="192.0.2.10")
    assert open_during_wait == [False]
