"""Failed sign-ins, counted in the database so every worker process sees the same counts.

Each attempt is counted against two keys: the username typed (whether or not such a user exists, so a
lockout says nothing about which usernames are real) and the client address (slower to trip: one hub
office may sit behind a single address). A key that reaches its limit inside the window is locked for
the lockout period; while locked, attempts are refused before any password is checked.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.auth.models import LoginThrottle
from app.auth.policy import SignInPolicy


@dataclass(frozen=True)
class ThrottleKey:
    scope: str  # "username" or "address"
    key_hash: str
    limit: int


def throttle_keys(secret: str, username: str, address: str | None, policy: SignInPolicy) -> list[ThrottleKey]:
    """The keys an attempt counts against, as HMACs: neither a typed username nor an address is stored."""
    def digest(value: str) -> str:
        return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()

    keys = [ThrottleKey("username", digest("username:" + username.strip().casefold()), policy.max_failures)]
    if address:
        keys.append(ThrottleKey("address", digest("address:" + address), policy.address_max_failures))
    return keys


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
        if row.failures >= limits[row.key_hash]:
            # Locked: the next window starts when the lock ends.
            row.failures, row.locked_until = 0, at + policy.lockout
            row.window_started_at = row.locked_until
            started = max(started or (row.locked_until, row.scope), (row.locked_until, row.scope))
    _forget_stale(session, at, policy)
    return started


def clear(session: Session, key: ThrottleKey) -> None:
    """A successful sign-in forgives the username's earlier mistakes (not the address's)."""
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
