"""Passwords (argon2id), signing in (throttled, audited, a fresh server session each time) and API tokens
(stored only as hashes, scoped to roles, expiring, revocable)."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from app.audit.operations import record
from app.auth.hashing_pool import HashingBusy
from app.auth.models import ApiToken, User, UserRole
from app.auth.passwords import hash_password, hasher, verify_password
from app.auth.policy import ACTIVITY_GRANULARITY, SignInPolicy
from app.auth.sessions import end_session, find_session, start_session
from app.auth.steps import next_stage, signed_in
from app.auth.throttle import ThrottleKey, clear, locked_until, note_failure, throttle_keys
from app.core.actor import SYSTEM, Actor
from app.core.clock import now
from app.core.db import Database
from app.core.errors import OperationError

_DUMMY_HASH = hasher.hash("not-a-real-password")
#: Who a sign-in attempt is before it succeeds.
ANONYMOUS = Actor(user_id=None, username="anonymous", roles=frozenset())


# ----------------------------------------------------------------------------- users and passwords
def create_user(session: Session, username: str, *, display_name: str, agency: str, roles: list[str],
                password: str | None = None, email: str | None = None, must_change_password: bool = False) -> User:
    user = User(username=username, display_name=display_name, agency=agency, email=email,
                password_hash=hash_password(password) if password else None, created_at=now(),
                must_change_password=must_change_password)
    user.roles = [UserRole(role=role) for role in roles]
    session.add(user)
    session.flush()
    return user


def user_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def check_password(user: User | None, password: str, *, in_transaction: bool = True) -> bool:
    """Verify against the user's hash, or a dummy one when there is no such user, so both take as long.
    A hash made with older parameters is replaced while the plain password is at hand. The check takes its
    turn in the hashing pool (app/auth/hashing_pool.py); ``in_transaction`` False: none is open (a sign-in's
    check ahead), so it queues in arrival order."""
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    right, upgraded = verify_password(stored, password, in_transaction=in_transaction)
    if not right or user is None or not user.password_hash or not user.is_active:
        return False
    if upgraded is not None:
        user.password_hash = upgraded
    return True


# ----------------------------------------------------------------------------- signing in
@dataclass(frozen=True)
class SignIn:
    """The outcome of an attempt: a session's secret (signed in, or at a further step of signing in: ``stage``),
    or a lock, or neither (wrong)."""

    user: User | None = None
    secret: str | None = None
    locked_until: datetime | None = None
    #: None: signed in. Otherwise the step still to take (app/auth/steps.py) before the session signs anyone in.
    stage: str | None = None


@dataclass(frozen=True)
class PasswordCheck:
    """A password checked before the attempt's transaction begins, so that the slow part (argon2id, and its
    wait for a turn in the hashing pool) holds no database lock and no connection."""

    #: The hash it was checked against (None: no such user, or no password; checked against a dummy hash).
    stored_hash: str | None = None
    right: bool = False
    #: A new hash for a right password whose hash was made with older parameters.
    upgraded: str | None = None
    #: Locked when read: not checked at all.
    locked: bool = False
    #: Why the pool could not take it ("queue-full", "timeout"); None when it was checked.
    busy: str | None = None


def check_ahead(db: Database, username: str, password: str, *, address: str | None, secret_key: str,
                policy: SignInPolicy) -> PasswordCheck:
    """Read the lock and the user's hash in a short read of their own, then check the password with no
    transaction open. ``sign_in`` decides on it in the request's transaction, reading both again."""
    keys = throttle_keys(secret_key, username, address, policy)
    with db.unit_of_work(write=False) as session:
        if locked_until(session, keys, policy.now()) is not None:
            return PasswordCheck(locked=True)  # while locked, no password is checked
        user = user_by_username(session, username.strip())
    stored = user.password_hash if user is not None else None
    try:
        # ``user`` is a detached copy: an upgraded hash set on it is carried to sign_in, never written from here.
        right = check_password(user, password, in_transaction=False)
    except HashingBusy as busy:
        return PasswordCheck(stored_hash=stored, busy=busy.reason)
    upgraded = user.password_hash if user is not None and user.password_hash != stored else None
    return PasswordCheck(stored_hash=stored, right=right, upgraded=upgraded)


def sign_in(session: Session, username: str, password: str, *, address: str | None, secret_key: str,
            policy: SignInPolicy, replacing: str | None = None, checked: PasswordCheck | None = None) -> SignIn:
    """One attempt, throttled per (username, address) and per address, audited in the attempt's own transaction.

    The typed username is stored in the audit trail only when it is a real user's: an unknown one may be
    a password typed into the wrong box. ``replacing`` is the browser's previous session secret, ended here.
    A right password may still leave steps to take (a second factor, a new password, enrolling): the
    session then starts at that step and signs nobody in until the last step is passed. ``checked``: the
    password checked ahead (``check_ahead``); without it, or if the user's hash changed since, it is checked
    here. A password the hashing pool could not take is neither right nor wrong: the attempt is refused with
    HashingBusy (the service is busy), audited, nothing counted."""
    at = policy.now()
    keys = throttle_keys(secret_key, username, address, policy)
    if (refused := _locked(session, keys, at, address)) is not None:
        return refused
    user = user_by_username(session, username.strip())
    try:
        right = _password_right(user, password, checked)
    except HashingBusy as busy:
        _busy(session, busy.reason, address)  # a security event: it stands when the refusal undoes the rest
        raise
    if not right or user is None:  # the check first: it takes as long without a user
        who = {"username": user.username} if user is not None else {"username_known": False}
        record(session, ANONYMOUS, "auth.login-failed", details={**who, "address": address}, security=True)
        return _failed(session, keys, at, policy, address)
    clear(session, keys[0])
    if replacing and (previous := find_session(session, replacing)) is not None:
        end_session(session, previous, "replaced", at)
    stage = next_stage(session, user, secret_key, after=None)
    row, secret = start_session(session, user, at, stage=stage)
    if stage is None:
        signed_in(session, row, at, address)
    else:
        record(session, user.as_actor(), "auth.login-step", details={"session": row.id, "step": stage,
                                                                     "address": address})
    return SignIn(user=user, secret=secret, stage=stage)


def _password_right(user: User | None, password: str, checked: PasswordCheck | None) -> bool:
    stored = user.password_hash if user is not None else None
    if checked is not None and checked.busy is not None:
        raise HashingBusy(checked.busy)
    if checked is None or checked.locked or checked.stored_hash != stored:
        return check_password(user, password)  # not checked ahead, or against a hash changed since
    if checked.right and checked.upgraded is not None and user is not None:
        user.password_hash = checked.upgraded
    return checked.right and user is not None and user.is_active


def _busy(session: Session, reason: str, address: str | None) -> None:
    """Refused before any password was checked: audited like the other refused attempts, nothing counted."""
    record(session, ANONYMOUS, "auth.login-busy", details={"reason": reason, "address": address}, security=True)


def _locked(session: Session, keys: list[ThrottleKey], at: datetime, address: str | None) -> SignIn | None:
    lock = locked_until(session, keys, at)
    if lock is None:
        return None
    record(session, ANONYMOUS, "auth.login-throttled",
           details={"scope": lock[1], "until": lock[0].isoformat(), "address": address}, security=True)
    return SignIn(locked_until=lock[0])


def _failed(session: Session, keys: list[ThrottleKey], at: datetime, policy: SignInPolicy,
            address: str | None) -> SignIn:
    """Count a failure; the answer says when a lock it started ends."""
    started = note_failure(session, keys, at, policy)
    if started is None:
        return SignIn()
    record(session, ANONYMOUS, "auth.login-throttled",
           details={"scope": started[1], "until": started[0].isoformat(), "address": address, "started": True},
           security=True)
    return SignIn(locked_until=started[0])


def sign_out(session: Session, secret: str | None, at: datetime) -> None:
    row = find_session(session, secret) if secret else None
    if row is not None and row.ended_at is None:
        end_session(session, row, "signed-out", at)
        record(session, row.user.as_actor(), "auth.logout", details={"session": row.id})


# ----------------------------------------------------------------------------- API tokens
def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mint_token(session: Session, user: User, label: str = "", *, roles: list[str] | None = None,
               expires_at: datetime | None = None, actor: Actor = SYSTEM) -> str:
    """Return a new bearer token for some (default all) of the user's roles; only its hash is kept."""
    scope = sorted(set(roles) if roles else user.role_names)
    if not_held := sorted(set(scope) - user.role_names):
        raise OperationError(f"{user.username} does not hold {', '.join(not_held)}: a token can only "
                             f"carry roles its user holds ({', '.join(sorted(user.role_names)) or 'none'}).")
    token = "mash_" + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=_token_hash(token), label=label, scope=scope, created_at=now(),
                   expires_at=expires_at)
    session.add(row)
    session.flush()
    record(session, actor, "auth.token-minted", details={
        "token": row.id, "user": user.username, "label": label, "scope": scope,
        "expires_at": expires_at.isoformat() if expires_at else None})
    return token


@dataclass(frozen=True)
class TokenUse:
    """A presented token: the acting user and roles, or why it was refused (unknown, revoked, expired...)."""

    actor: Actor | None
    user: User | None = None
    refused: str | None = None


#: Built once: every API request presents a token.
_TOKEN = (select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash"))
          .options(joinedload(ApiToken.user).joinedload(User.roles)))


def use_token(session: Session, token: str, at: datetime, *, purpose: str) -> TokenUse:
    """Check a bearer token and audit its use in the request's own transaction (``purpose``: the endpoint).

    The request acts with the token's scope intersected with the user's roles now."""
    row = session.scalars(_TOKEN, {"token_hash": _token_hash(token)}).unique().first()  # one read
    if row is None:
        return TokenUse(None, refused="unknown")
    refused = ("revoked" if row.revoked_at is not None else
               "expired" if row.expires_at is not None and row.expires_at <= at else
               "account-disabled" if not row.user.is_active else None)
    if refused:
        record(session, ANONYMOUS, "auth.token-refused", details={"token": row.id, "reason": refused}, security=True)
        return TokenUse(None, refused=refused)
    if row.last_used_at is None or at - row.last_used_at >= ACTIVITY_GRANULARITY:
        row.last_used_at = at
    user = row.user
    actor = Actor(user_id=user.id, username=user.username, roles=frozenset(row.scope) & user.role_names)
    record(session, actor, "auth.token-used", details={"token": row.id, "endpoint": purpose})
    return TokenUse(actor, user)


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def revoke_tokens(session: Session, user: User, actor: Actor = SYSTEM) -> int:
    count = 0
    for row in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))):
        row.revoked_at = now()
        count += 1
    record(session, actor, "auth.tokens-revoked", details={"user": user.username, "count": count})
    return count


def revoke_token(session: Session, token_id: int, actor: Actor = SYSTEM) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise OperationError(f"There is no token with id {token_id}.")
    if row.revoked_at is None:
        row.revoked_at = now()
        record(session, actor, "auth.token-revoked", details={"token": row.id, "user": row.user.username})
    return row
