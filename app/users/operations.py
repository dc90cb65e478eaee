"""What the administrator does to staff accounts, the same from the pages, the API and `mash user`.

A joiner is added with a one-time password that must be replaced at their first sign-in. A leaver is
deactivated at once: every session of theirs ends (their next request is the sign-in page) and every API
token is revoked (401 on its next use); reactivating brings back the account, not the tokens. The hub always
keeps one active admin. Staff e-mail addresses and names are personal data: never in the audit trail or logs.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.auth import second_factor
from app.auth.models import SecondFactor, SecondFactorRole, User, UserRole
from app.auth.operations import check_password, create_user, revoke_tokens, user_by_username
from app.auth.passwords import one_time_password, password_problems, set_password
from app.auth.sessions import end_sessions_of
from app.auth.steps import check_new_password
from app.core.actor import Actor
from app.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.core.roles import ALL_ROLES

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,79}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
#: Words the pages use in place of a username (/admin/users/new) or that the audit trail means otherwise.
RESERVED = frozenset({"new", "anonymous", "system", "process"})
ADMIN = "admin"


@dataclass(frozen=True)
class NewUser:
    username: str
    name: str
    email: str
    agency: str
    roles: tuple[str, ...]


def read_new_user(data: dict) -> NewUser:
    """A joiner's details from a form or a JSON body, checked; every problem at once."""
    def text(key: str) -> str:
        value = data.get(key)
        return value.strip() if isinstance(value, str) else ""

    username = data["username"] if isinstance(data.get("username"), str) else ""
    new = NewUser(username=username, name=text("name"), email=text("email"), agency=text("agency"),
                  roles=tuple(dict.fromkeys(role if isinstance(role, str) else repr(role) for role in data["roles"]))
                  if isinstance(data.get("roles"), list | tuple) else ())
    errors = []
    if not new.username:
        errors.append(FieldError("username", "Enter a username"))
    elif not USERNAME.fullmatch(new.username) or new.username in RESERVED:
        errors.append(FieldError("username", "Username must be 2 to 80 lower-case letters, digits, dots, "
                                             "hyphens or underscores, starting with a letter or digit"))
    if not new.name:
        errors.append(FieldError("name", "Enter the person's full name"))
    elif len(new.name) > 200:
        errors.append(FieldError("name", "Name must be 200 characters or fewer"))
    if not new.email:
        errors.append(FieldError("email", "Enter the person's work e-mail address"))
    elif len(new.email) > 254 or not EMAIL.fullmatch(new.email):
        errors.append(FieldError("email", "Enter an e-mail address in the correct format, like name@example.gov.uk"))
    if not new.agency:
        errors.append(FieldError("agency", "Enter the person's agency or team"))
    elif len(new.agency) > 80:
        errors.append(FieldError("agency", "Agency must be 80 characters or fewer"))
    errors += _role_errors(list(new.roles))
    if errors:
        raise ValidationFailed(errors)
    return new


def _role_errors(roles: list) -> list[FieldError]:
    if not roles:
        return [FieldError("roles", "Choose at least one role")]
    unknown = sorted(str(role) for role in roles if role not in ALL_ROLES)
    if unknown:
        return [FieldError("roles", f"The hub has no role called {', '.join(unknown)}")]
    return []


def the_user(session: Session, username: str) -> User:
    user = user_by_username(session, username)
    if user is None:
        raise NotFound(f"There is no user called {username}.")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.is_active_user.desc(), User.username)))


def with_second_factor(session: Session) -> frozenset[int]:
    """Ids of the users who have an authenticator app enrolled."""
    return frozenset(session.scalars(select(SecondFactor.user_id).where(SecondFactor.confirmed_at.is_not(None))))


# ----------------------------------------------------------------------------- joiners
def add_user(session: Session, actor: Actor, new: NewUser, *, password: str | None = None) -> tuple[User, str | None]:
    """Add a member of staff with a one-time password: the one generated here (returned, to be shown once)
    or ``password`` when the administrator typed one (then None is returned: it is not repeated back)."""
    if user_by_username(session, new.username) is not None:
        raise ValidationFailed([FieldError("username", f"There is already a user called {new.username}")])
    if password is not None and (problems := password_problems(password, username=new.username, name=new.name)):
        raise ValidationFailed([FieldError("password", problem) for problem in problems])
    generated = one_time_password() if password is None else None
    user = create_user(session, new.username, display_name=new.name, agency=new.agency, roles=list(new.roles),
                       email=new.email)
    set_password(session, user, password or generated or "", actor, reason="added", one_time=True)
    record(session, actor, "user.added", details={"user": user.username, "roles": sorted(new.roles)})
    return user, generated


# ----------------------------------------------------------------------------- movers
def set_roles(session: Session, actor: Actor, username: str, roles: list[str]) -> User:
    """The user's roles become exactly ``roles``. Their tokens act with what they still hold."""
    user = the_user(session, username)
    if errors := _role_errors(roles):
        raise ValidationFailed(errors)
    before = sorted(user.role_names)
    after = sorted(set(roles))
    if ADMIN in before and ADMIN not in after:
        _keep_an_admin(session, user)
    if before != after:
        kept = [role for role in user.roles if role.role in after]
        user.roles = kept + [UserRole(role=role) for role in after if role not in before]
        session.flush()
        record(session, actor, "user.roles-changed", details={"user": user.username, "from": before, "to": after})
    return user


def _keep_an_admin(session: Session, leaving: User) -> None:
    others = session.scalar(select(User.id).join(UserRole).where(
        UserRole.role == ADMIN, User.is_active_user.is_(True), User.id != leaving.id).limit(1))
    if others is None:
        raise Conflict(f"{leaving.username} is the hub's only active admin: give another user the admin role first.")


# ----------------------------------------------------------------------------- leavers
def deactivate(session: Session, actor: Actor, username: str, at: datetime) -> User:
    """Out at once: sessions end, tokens are revoked, the account signs nobody in until reactivated."""
    user = the_user(session, username)
    if not user.is_active_user:
        return user
    if user.id == actor.user_id:
        raise Conflict("You cannot deactivate your own account.")
    if ADMIN in user.role_names:
        _keep_an_admin(session, user)
    user.is_active_user, user.deactivated_at = False, at
    ended = end_sessions_of(session, user, "account-disabled", at)
    revoked = revoke_tokens(session, user, actor)
    record(session, actor, "user.deactivated", details={"user": user.username, "sessions_ended": ended,
                                                        "tokens_revoked": revoked}, security=True)
    return user


def reactivate(session: Session, actor: Actor, username: str) -> User:
    user = the_user(session, username)
    if not user.is_active_user:
        user.is_active_user, user.deactivated_at = True, None
        record(session, actor, "user.reactivated", details={"user": user.username})
    return user


# ----------------------------------------------------------------------------- passwords and second factors
def reset_password(session: Session, actor: Actor, username: str, at: datetime, *,
                   password: str | None = None) -> tuple[User, str | None]:
    """A new one-time password (generated and returned, or typed by the administrator); the user's sessions
    end, and the next sign-in asks for a password of their own."""
    user = the_user(session, username)
    if password is not None and (problems := password_problems(password, username=user.username,
                                                               name=user.display_name)):
        raise ValidationFailed([FieldError("password", problem) for problem in problems])
    generated = one_time_password() if password is None else None
    set_password(session, user, password or generated or "", actor, reason="reset", one_time=True)
    ended = end_sessions_of(session, user, "password-reset", at)
    record(session, actor, "user.password-reset", details={"user": user.username, "sessions_ended": ended})
    return user, generated


def remove_second_factor(session: Session, actor: Actor, username: str) -> User:
    """For a lost phone: the user signs in with their password alone, and enrols again if their role needs it."""
    user = the_user(session, username)
    if second_factor.remove(session, user):
        record(session, actor, "user.second-factor-removed", details={"user": user.username}, security=True)
    return user


def set_second_factor_roles(session: Session, actor: Actor, roles: list[str], at: datetime) -> frozenset[str]:
    """The roles whose holders must use a second factor from their next sign-in."""
    unknown = sorted(set(roles) - set(ALL_ROLES))
    if unknown:
        raise ValidationFailed([FieldError("roles", f"The hub has no role called {', '.join(unknown)}")])
    before = second_factor.required_roles(session)
    after = frozenset(roles)
    for row in session.scalars(select(SecondFactorRole).where(SecondFactorRole.role.not_in(after))):
        session.delete(row)
    for role in sorted(after - before):
        session.add(SecondFactorRole(role=role, required_at=at, required_by=actor.username))
    session.flush()
    if before != after:
        record(session, actor, "user.second-factor-roles-changed", details={"from": sorted(before),
                                                                             "to": sorted(after)})
    return after


# ----------------------------------------------------------------------------- the person's own account
def change_own_password(session: Session, user: User, current: str, new: str, confirm: str) -> None:
    if not check_password(user, current):
        raise ValidationFailed([FieldError("current_password", "Your current password is not right")])
    check_new_password(user, new, confirm)
    set_password(session, user, new, user.as_actor(), reason="changed")


def user_view(user: User, enrolled: frozenset[int]) -> dict:
    """A user as the API shows them (to admin only: the e-mail is staff personal data)."""
    return {"username": user.username, "name": user.display_name, "email": user.email, "agency": user.agency,
            "roles": sorted(user.role_names), "active": user.is_active_user,
            "last_signed_in_at": user.last_signed_in_at.isoformat() if user.last_signed_in_at else None,
            "must_change_password": user.must_change_password, "second_factor": user.id in enrolled,
            "deactivated_at": user.deactivated_at.isoformat() if user.deactivated_at else None}
