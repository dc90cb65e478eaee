"""Server-side sessions: the browser's cookie holds only a random secret; this table decides whether it
still signs anyone in. Idle and absolute limits are checked here, so every worker applies the same rule."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from app.audit.operations import record
from app.auth.models import User, UserSession
from app.auth.policy import ACTIVITY_GRANULARITY, SignInPolicy


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start_session(session: Session, user: User, at: datetime, *, stage: str | None = None) -> tuple[UserSession, str]:
    """A new session (a new secret at every sign-in, so a planted cookie never becomes signed in), at a step
    of signing in (``stage``) or signed in."""
    secret = secrets.token_urlsafe(32)
    row = UserSession(secret_hash=_hash(secret), user_id=user.id, user=user, created_at=at, last_seen_at=at,
                      stage=stage)
    session.add(row)
    session.flush()
    return row, secret


def new_secret(row: UserSession) -> str:
    """Give the session a fresh secret (when a step of signing in is passed the browser's cookie changes)."""
    secret = secrets.token_urlsafe(32)
    row.secret_hash = _hash(secret)
    return secret


def end_sessions_of(session: Session, user: User, reason: str, at: datetime) -> int:
    """End every live session of the user (deactivation, a password reset): their next request signs in again."""
    rows = session.scalars(select(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None)))
    count = 0
    for row in rows:
        end_session(session, row, reason, at)
        count += 1
    return count


def find_session(session: Session, secret: str) -> UserSession | None:
    return session.scalars(_FIND, {"secret_hash": _hash(secret)}).unique().first()


#: Built once: every page a person opens looks up their session with its user and roles (building the statement
#: with its eager loads cost as much as running it).
_FIND = (select(UserSession).where(UserSession.secret_hash == bindparam("secret_hash"))
         .options(joinedload(UserSession.user).joinedload(User.roles)))


def end_session(session: Session, row: UserSession, reason: str, at: datetime) -> None:
    if row.ended_at is None:
        row.ended_at, row.end_reason = at, reason


@dataclass(frozen=True)
class Resumed:
    """What a request's cookie amounts to: a user, or none and (after a timeout) why."""

    user: User | None
    ended: str | None = None  # idle or lifetime: the person is told why they must sign in again


def resume_session(session: Session, secret: str, user_id: str, at: datetime, policy: SignInPolicy, *,
                   activity: bool, unattended: bool) -> Resumed:
    """Check the session behind a cookie and, for a request that counts as activity, note it.

    ``activity``: a person did something (the SLA wall's automatic refresh is not activity).
    ``unattended``: the request is a view that may go on showing once the person has gone idle (the wall);
    an idle session is then served that view only, until its absolute lifetime ends."""
    row = find_session(session, secret)
    if row is None or row.ended_at is not None or row.stage is not None or str(row.user_id) != user_id:
        return Resumed(None)  # ended, or part-way through signing in (only that step's page reads it)
    if not row.user.is_active:
        _expire(session, row, "account-disabled", at)
        return Resumed(None)
    if at >= row.created_at + policy.lifetime:
        _expire(session, row, "lifetime", at)
        return Resumed(None, ended="lifetime")
    if at - row.last_seen_at >= policy.idle:
        if unattended:
            return Resumed(row.user)  # the wall stays up; last_seen_at stays where the person left it
        _expire(session, row, "idle", at)
        return Resumed(None, ended="idle")
    if activity and at - row.last_seen_at >= ACTIVITY_GRANULARITY:
        row.last_seen_at = at
    return Resumed(row.user)


def _expire(session: Session, row: UserSession, reason: str, at: datetime) -> None:
    end_session(session, row, reason, at)
    record(session, row.user.as_actor(), "auth.session-expired", details={"session": row.id, "reason": reason})
