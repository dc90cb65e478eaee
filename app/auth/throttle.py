"""Failed sign-ins, counted in the database so every worker process sees the same counts.

Each attempt is counted against three keys, so that a stranger cannot lock out a named colleague:

- the username typed *from that address* (whether or not such a user exists, so a lock says nothing about
  which usernames are real): locks after 5 failures;
- the client address, whatever the username: locks after 20 (one hub office may sit behind one address);
- the username alone, from anywhere: never locks, only slows down. Past 5 failures in the window every
  attempt at that username waits a little longer (doubling, capped at a few seconds) before it is answered,
  so guesses spread over many addresses come slowly while the colleague at the hub still signs in.

A key that reaches its limit inside the window is locked for the lockout period; while locked, attempts
are refused before any password is checked. The wait happens outside any database transaction.
"""
from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.auth.models import LoginThrottle
from app.auth.policy import SignInPolicy
from app.core.db import Database

#: How the app waits (a test records the waits instead of sleeping).
sleep = time.sleep


@dataclass(frozen=True)
class ThrottleKey:
    scope: str  # "username-address", "address" or "username"
    key_hash: str
    #: Failures that lock the key; None for a key that only slows down.
    limit: int | None


def throttle_keys(secret: str, username: str, address: str | None, policy: SignInPolicy) -> list[ThrottleKey]:
    """The keys an attempt counts against, as HMACs: neither a typed username nor an address is stored.
    The first is the one a successful sign-in clears (that username from that address)."""
    typed = username.strip().casefold()
    keys = [ThrottleKey("username-address", _digest(secret, f"username-address:{typed}\n{address or ''}"),
                        policy.max_failures)]
    if address:
        keys.append(ThrottleKey("address", _digest(secret, "address:" + address), policy.address_max_failures))
    keys.append(username_key(secret, username))
    return keys


def username_key(secret: str, username: str) -> ThrottleKey:
    return ThrottleKey("username", _digest(secret, "username:" + username.strip().casefold()), None)


def _digest(secret: str, value: str) -> str:
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()


def slow_down(session: Session, key: ThrottleKey, at: datetime, policy: SignInPolicy) -> float:
    """Seconds an attempt at this username waits: none up to the lock limit's number of failures in the
    window, then 0.5, 1, 2, 4... capped at ``policy.slow_down_cap``. Never a refusal."""
    row = session.get(LoginThrottle, key.key_hash)
    if row is None or at - row.window_started_at >= policy.window:
        return 0.0
    excess = row.failures - policy.max_failures
    if excess < 0:
        return 0.0
    return float(min(policy.slow_down_cap, policy.slow_down_base * 2 ** min(excess, 16)))


def wait_if_slowed(db: Database, secret: str, username: str, policy: SignInPolicy) -> float:
    """Before an attempt: read the username's count in a short read of its own, then wait with no
    transaction open (a waiting request must not hold the database). Returns the seconds waited."""
    with db.unit_of_work(write=False) as session:
        seconds = slow_down(session, username_key(secret, username), policy.now(), policy)
    if seconds:
        sleep(seconds)
    return seconds


def locked_until(session: Session, keys: list[ThrottleKey], at: datetime) -> tuple[datetime, str] | None:
    """When the latest lock on any of the keys ends, and which scope it is on; None when none is locked."""
    rows = session.scalars(select(LoginThrottle).where(
        LoginThrottle.key_hash.in_([key.key_hash for key in keys]), LoginThrottle.locked_until > at))
    locks = [(row.locked_until, row.scope) for row in rows if row.locked_until is not None]  # all, by the query
    return max(locks) if locks else None


def note_failure(session: Session, keys: list[ThrottleKey], at: datetime,
                 policy: SignInPolicy) -> tuple[datetime, str] | None:
    """Count a failed attempt; return (until, scope) if this attempt started a lock."""
    _ensure_rows(session, keys, at)
    rows = session.scalars(
        select(LoginThrottle).where(LoginThrottle.key_hash.in_([key.key_hash for key in keys]))
        .order_by(LoginThrottle.key_hash).with_for_update()
        .execution_options(populate_existing=True)).all()
    limits = {key.key_hash: key.limit for key in keys}
    started = None
    for row in rows:
        if at - row.window_started_at >= policy.window or (row.locked_until and row.locked_until <= at):
            row.failures, row.window_started_at, row.locked_until = 0, at, None
        row.failures += 1
        limit = limits[row.key_hash]
        if limit is not None and row.failures >= limit:
            # Locked: the next window starts when the lock ends.
            row.failures, row.locked_until = 0, at + policy.lockout
            row.window_started_at = row.locked_until
            started = max(started or (row.locked_until, row.scope), (row.locked_until, row.scope))
    _forget_stale(session, at, policy)
    return started


def clear(session: Session, key: ThrottleKey) -> None:
    """A successful sign-in forgives that username's earlier mistakes from that address (not the address's,
    nor the username's from elsewhere: those may be someone else's guesses)."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.key_hash == key.key_hash))


def _ensure_rows(session: Session, keys: list[ThrottleKey], at: datetime) -> None:
    """Insert missing counters; two workers counting the same new key at once must not collide."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(LoginThrottle).values([
        {"key_hash": key.key_hash, "scope": key.scope, "failures": 0, "window_started_at": at, "locked_until": None}
        for key in keys]).on_conflict_do_nothing(index_elements=["key_hash"]))


def _forget_stale(session: Session, at: datetime, policy: SignInPolicy) -> None:
    """Counters whose window has passed and that hold no lock say nothing any more. Rows another attempt
    has locked are skipped (they are being counted), so two attempts never wait on each other here."""
    stale = (select(LoginThrottle.key_hash)
             .where(LoginThrottle.window_started_at < at - policy.window,
                    or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= at))
             .with_for_update(skip_locked=True))
    session.execute(delete(LoginThrottle).where(LoginThrottle.key_hash.in_(stale)))
