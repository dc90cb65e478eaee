"""What makes a password acceptable, after the NCSC's password guidance: length over complexity.

At least 12 characters and at most 256, no rules about character classes (they push people to predictable
patterns), not one of the 20,000 most common passwords (the list Django ships, app/auth/data), and not the
person's username or name. Applied wherever a password is set: adding a user, an administrator's reset
(one-time passwords are generated and pass by construction) and the person's own change.
"""
from __future__ import annotations

import gzip
import secrets
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.auth.hashing_pool import hashed
from app.auth.models import User
from app.core.actor import Actor

MIN_LENGTH = 12
MAX_LENGTH = 256
_DENY_LIST = Path(__file__).parent / "data" / "common-passwords.txt.gz"
#: One-time passwords: four groups of five letters and digits, without look-alikes (0/o, 1/l/i).
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


#: argon2-cffi's defaults are argon2id with RFC 9106's low-memory profile; a change of parameters here
#: is picked up by rehashing each password at its owner's next sign-in.
hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """The argon2id hash, made in the hashing pool (HashingBusy when the pool cannot take it). It is made for a
    row being written, so inside a transaction: it goes to the front of the pool's queue."""
    return hashed(lambda: hasher.hash(password))


def verify_password(stored: str, password: str, *, in_transaction: bool = True) -> tuple[bool, str | None]:
    """Whether ``password`` matches ``stored``, and, when it does and ``stored`` was made with older
    parameters, its new hash: both in one turn of the hashing pool, while the plain password is at hand.
    ``in_transaction`` False: checked with no transaction open (a sign-in), so it queues in arrival order."""
    def work() -> tuple[bool, str | None]:
        try:
            hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False, None
        return True, hasher.hash(password) if hasher.check_needs_rehash(stored) else None
    return hashed(work, in_transaction=in_transaction)


def set_password(session: Session, user: User, password: str, actor: Actor, *, reason: str,
                 one_time: bool = False) -> None:
    """Store a new password (already checked against the rules, or generated). ``one_time``: set by an
    administrator, so it must be replaced at its first use. Audited without the password, of course."""
    user.password_hash = hash_password(password)
    user.must_change_password = one_time
    record(session, actor, "auth.password-changed" if not one_time else "auth.one-time-password-set",
           details={"user": user.username, "reason": reason})


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(_DENY_LIST, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def _plain(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def password_problems(password: str, *, username: str = "", name: str = "") -> list[str]:
    """Why the password may not be used, as sentences for the person choosing it (empty when it may)."""
    if len(password) < MIN_LENGTH:
        return [f"Password must be {MIN_LENGTH} characters or more"]
    if len(password) > MAX_LENGTH:
        return [f"Password must be {MAX_LENGTH} characters or fewer"]
    if password.casefold() in common_passwords() or _plain(password) in common_passwords():
        return ["This password is one of the most commonly used passwords: choose another"]
    plain = _plain(password)
    personal = [_plain(username), *(_plain(part) for part in name.split()), _plain(name)]
    if any(len(word) >= 3 and word in plain for word in personal):
        return ["Password must not contain your username or name"]
    return []


def one_time_password() -> str:
    """A random password for an administrator to pass on; it must be replaced at its first use."""
    groups = ("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(4))
    return "-".join(groups)
