"""The steps of signing in after a right password, in this order, each only when it applies:

1. ``second-factor``: the code from the person's authenticator app, when they have enrolled one;
2. ``new-password``: a password set by an administrator (a one-time password) is replaced;
3. ``enrol-second-factor``: a person holding a role that requires a second factor and not yet enrolled
   enrols an app (QR code) and confirms it with a code.

Until the last step is passed the session row carries the step (``UserSession.stage``): it signs nobody in
(app/auth/sessions.py ``resume_session`` refuses it), so no other page or API route is reachable, and only
the step's own page reads it, through ``pending``. A part-way sign-in lasts ``STEP_LIFETIME``. Each step
passed gives the browser a fresh session secret.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.audit.operations import record
from app.auth import second_factor
from app.auth.models import User, UserSession
from app.auth.passwords import password_problems, set_password
from app.auth.policy import SignInPolicy
from app.auth.sessions import end_session, find_session, new_secret
from app.auth.throttle import locked_until, note_failure, throttle_keys
from app.core.actor import Actor
from app.core.errors import FieldError, ValidationFailed

SECOND_FACTOR = "second-factor"
NEW_PASSWORD = "new-password"  # noqa: S105  (a step's name)
ENROL = "enrol-second-factor"
STAGES = (SECOND_FACTOR, NEW_PASSWORD, ENROL)
STEP_LIFETIME = timedelta(minutes=10)
ANONYMOUS = Actor(user_id=None, username="anonymous", roles=frozenset())


def next_stage(session: Session, user: User, secret_key: str, *, after: str | None) -> str | None:
    """The first step after ``after`` (None: after the password) that applies to the user; None when done."""
    applies = {
        SECOND_FACTOR: lambda: second_factor.is_enrolled(session, user, secret_key),
        NEW_PASSWORD: lambda: user.must_change_password,
        ENROL: lambda: second_factor.is_required(session, user)
        and not second_factor.is_enrolled(session, user, secret_key),
    }
    start = STAGES.index(after) + 1 if after else 0
    return next((stage for stage in STAGES[start:] if applies[stage]()), None)


def signed_in(session: Session, row: UserSession, at: datetime, address: str | None) -> None:
    """The last step passed: the session signs its user in from now on."""
    row.stage = None
    row.user.last_signed_in_at = at
    record(session, row.user.as_actor(), "auth.login", details={"session": row.id, "address": address})


def pending(session: Session, secret: str | None, at: datetime) -> UserSession | None:
    """The part-way sign-in behind the browser's cookie, if it is still live (and its user still active)."""
    row = find_session(session, secret) if secret else None
    if row is None or row.ended_at is not None or row.stage is None:
        return None
    if at - row.created_at >= STEP_LIFETIME or not row.user.is_active:
        end_session(session, row, "unfinished", at)
        return None
    return row


@dataclass(frozen=True)
class Step:
    """After a step: the session's new secret and the next step (None: signed in), or a lock, or a wrong code
    (returned, not raised: the failure's count and audit event must commit with the request)."""

    secret: str | None = None
    stage: str | None = None
    locked_until: datetime | None = None
    wrong: bool = False


def _advance(session: Session, row: UserSession, at: datetime, secret_key: str, address: str | None) -> Step:
    stage = next_stage(session, row.user, secret_key, after=row.stage)
    secret = new_secret(row)
    if stage is None:
        signed_in(session, row, at, address)
    else:
        row.stage = stage
        record(session, row.user.as_actor(), "auth.login-step", details={"session": row.id, "step": stage,
                                                                         "address": address})
    return Step(secret=secret, stage=stage)


def _code(session: Session, row: UserSession, code: str, *, enrolling: bool, address: str | None,
          secret_key: str, policy: SignInPolicy) -> Step:
    """A code typed at a step: throttled like a password (a wrong code counts as a failed sign-in)."""
    at = policy.now()
    user = row.user
    keys = throttle_keys(secret_key, user.username, address, policy)
    lock = locked_until(session, keys, at)
    if lock is None and second_factor.check_code(session, user, code, secret_key, at, enrolling=enrolling):
        if enrolling:
            record(session, user.as_actor(), "auth.second-factor-enrolled", details={"session": row.id})
        return _advance(session, row, at, secret_key, address)
    if lock is None:
        record(session, user.as_actor(), "auth.second-factor-failed",
               details={"session": row.id, "address": address}, security=True)
        lock = note_failure(session, keys, at, policy)
    if lock is not None:
        end_session(session, row, "unfinished", at)
        record(session, ANONYMOUS, "auth.login-throttled",
               details={"scope": lock[1], "until": lock[0].isoformat(), "address": address}, security=True)
        return Step(locked_until=lock[0])
    return Step(wrong=True)


def pass_second_factor(session: Session, row: UserSession, code: str, *, address: str | None, secret_key: str,
                       policy: SignInPolicy) -> Step:
    return _code(session, row, code, enrolling=False, address=address, secret_key=secret_key, policy=policy)


def confirm_enrolment(session: Session, row: UserSession, code: str, *, address: str | None, secret_key: str,
                      policy: SignInPolicy) -> Step:
    return _code(session, row, code, enrolling=True, address=address, secret_key=secret_key, policy=policy)


def choose_new_password(session: Session, row: UserSession, password: str, confirm: str, *, address: str | None,
                        secret_key: str, policy: SignInPolicy) -> Step:
    """The one-time password is replaced by one the person chose (the password rules apply)."""
    check_new_password(row.user, password, confirm)
    set_password(session, row.user, password, row.user.as_actor(), reason="changed-at-sign-in")
    return _advance(session, row, policy.now(), secret_key, address)


def check_new_password(user: User, password: str, confirm: str, *, field: str = "password") -> None:
    """Refuse a new password that breaks the rules or was not typed the same twice."""
    problems = password_problems(password, username=user.username, name=user.display_name)
    errors = [FieldError(field, problem) for problem in problems]
    if not errors and password != confirm:
        errors.append(FieldError(f"{field}_confirm", "The passwords do not match"))
    if errors:
        raise ValidationFailed(errors)
