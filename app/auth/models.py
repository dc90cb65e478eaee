"""Users and roles, and what signing in keeps: server-side sessions, failed-login counters, API tokens, the
second factor and the roles that must have one."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.actor import Actor
from app.core.db import Base, UTCDateTime


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    agency: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active_user: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Staff personal data: shown to admin, never logged or written to the audit trail.
    email: Mapped[str | None] = mapped_column(String(254))
    #: The password was set by an administrator (a one-time password): the next sign-in must replace it.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    roles: Mapped[list[UserRole]] = relationship(back_populates="user", cascade="all, delete-orphan",
                                                 lazy="selectin")

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.is_active_user

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def role_names(self) -> frozenset[str]:
        return frozenset(r.role for r in self.roles)

    def as_actor(self) -> Actor:
        return Actor(user_id=self.id, username=self.username, roles=self.role_names)


class UserRole(Base):
    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    user: Mapped[User] = relationship(back_populates="roles")


class ApiToken(Base):
    """Only the SHA-256 of a token is stored: a leaked database does not leak working tokens.

    ``scope`` is the roles the token was minted for; a request made with it acts with the scope's
    intersection with the user's roles *now*, so taking a role from a user takes it from their tokens."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    scope: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user: Mapped[User] = relationship(lazy="joined")


class UserSession(Base):
    """A signed-in browser. The cookie carries a random secret whose SHA-256 is ``secret_hash``; ending
    the row (sign-out, idle, lifetime) makes every copy of that cookie useless."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The last request that counted as activity, written at most once a minute.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: signed-out, replaced (signed in again in the same browser), idle, lifetime, account-disabled,
    #: password-reset, unfinished (a sign-in left at one of its steps)
    end_reason: Mapped[str | None] = mapped_column(String(20))
    #: None once signed in. While a sign-in is part-way (second-factor, new-password, enrol) the session
    #: signs nobody in: only that step's page reads it (app/auth/steps.py).
    stage: Mapped[str | None] = mapped_column(String(20))
    user: Mapped[User] = relationship(lazy="joined")


class LoginThrottle(Base):
    """Failed sign-ins counted per typed username and per client address. ``key_hash`` is an HMAC of the
    key under the app's secret: a mistyped password in the username box is never stored readable."""

    __tablename__ = "login_throttle"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: username-address (locks), address (locks), username (slows down, never locks)
    scope: Mapped[str] = mapped_column(String(20))
    failures: Mapped[int] = mapped_column(Integer)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SecondFactor(Base):
    """A user's authenticator app (TOTP, RFC 6238). The shared secret is stored encrypted under a key derived
    from the app's secret key (app/auth/second_factor.py), so a copy of the database alone does not reveal it.
    ``last_used_step`` is the 30-second step of the last code accepted: a code is good once."""

    __tablename__ = "second_factor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    secret_encrypted: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: None until the person has typed a code from the app: until then it signs nobody in.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_step: Mapped[int | None] = mapped_column(Integer)


class SecondFactorRole(Base):
    """A role whose holders must use a second factor: one not yet enrolled enrols at their next sign-in."""

    __tablename__ = "second_factor_role"

    role: Mapped[str] = mapped_column(String(40), primary_key=True)
    required_at: Mapped[datetime] = mapped_column(UTCDateTime())
    required_by: Mapped[str] = mapped_column(String(80))
