"""Passwords (argon2id), sign-in checks and API tokens (stored only as hashes)."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.auth.models import ApiToken, User, UserRole
from app.core.actor import SYSTEM, Actor
from app.core.clock import now

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_user(session: Session, username: str, *, display_name: str, agency: str, roles: list[str],
                password: str | None = None) -> User:
    user = User(username=username, display_name=display_name, agency=agency,
                password_hash=hash_password(password) if password else None, created_at=now())
    user.roles = [UserRole(role=role) for role in roles]
    session.add(user)
    session.flush()
    return user


def user_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def authenticate(session: Session, username: str, password: str) -> User | None:
    """Check a password in constant-ish time whether or not the user exists; audit the attempt."""
    user = user_by_username(session, username.strip())
    try:
        ok = _hasher.verify(user.password_hash if user and user.password_hash else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        ok = False
    if ok and user is not None and user.is_active:
        record(session, user.as_actor(), "auth.login")
        return user
    record(session, SYSTEM, "auth.login-failed", details={"username_known": user is not None})
    return None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mint_token(session: Session, user: User, label: str = "") -> str:
    """Return a new bearer token; only its hash is kept."""
    token = "mash_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_token_hash(token), label=label, created_at=now()))
    record(session, user.as_actor(), "auth.token-minted", details={"label": label})
    return token


def user_for_token(session: Session, token: str) -> User | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None or row.revoked_at is not None or not row.user.is_active:
        return None
    current = now()
    if row.last_used_at is None or current - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = current
    return row.user


def revoke_tokens(session: Session, user: User, actor: Actor = SYSTEM) -> int:
    count = 0
    for row in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))):
        row.revoked_at = now()
        count += 1
    record(session, actor, "auth.tokens-revoked", details={"user": user.username, "count": count})
    return count
