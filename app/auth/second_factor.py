"""The optional second factor: a time-based code (TOTP, RFC 6238) from an authenticator app.

The shared secret is stored encrypted (Fernet: AES-128-CBC with an HMAC) under a key derived from the app's
secret key (``instance/secret_key`` or MASH_SECRET_KEY), which is never in the database: a leaked copy of the
database alone does not give anyone the codes. Changing the app's secret key makes every enrolled
authenticator unreadable; its owners are asked to enrol again at their next sign-in (``secret_of`` fails
closed). A code is accepted once: the step it belongs to is remembered and an older or equal one refused.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import SecondFactor, SecondFactorRole, User

ISSUER = "MASH case work"
STEP_SECONDS = 30
#: Codes of the step before and after are accepted too: phones' clocks drift.
DRIFT_STEPS = 1


def _fernet(secret_key: str) -> Fernet:
    key = hmac.new(secret_key.encode(), b"mash second factor v1", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _encrypt(secret: str, secret_key: str) -> str:
    return _fernet(secret_key).encrypt(secret.encode()).decode()


def secret_of(factor: SecondFactor, secret_key: str) -> str | None:
    """The plain shared secret, or None when it cannot be read under this app's key."""
    try:
        return _fernet(secret_key).decrypt(factor.secret_encrypted.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def factor_of(session: Session, user: User) -> SecondFactor | None:
    return session.scalar(select(SecondFactor).where(SecondFactor.user_id == user.id))


def is_enrolled(session: Session, user: User, secret_key: str) -> bool:
    factor = factor_of(session, user)
    return factor is not None and factor.confirmed_at is not None and secret_of(factor, secret_key) is not None


def required_roles(session: Session) -> frozenset[str]:
    return frozenset(session.scalars(select(SecondFactorRole.role)))


def is_required(session: Session, user: User) -> bool:
    return bool(user.role_names & required_roles(session))


def begin_enrolment(session: Session, user: User, secret_key: str, at: datetime) -> str:
    """A new secret waiting for its first code (the same one again while it waits, so a refreshed page does
    not invalidate what the person has just scanned). Returns the plain secret, for the QR code."""
    factor = factor_of(session, user)
    if factor is not None and factor.confirmed_at is None and (secret := secret_of(factor, secret_key)):
        return secret
    secret = pyotp.random_base32()
    if factor is None:
        factor = SecondFactor(user_id=user.id, created_at=at, secret_encrypted="")
        session.add(factor)
    factor.secret_encrypted, factor.created_at = _encrypt(secret, secret_key), at
    factor.confirmed_at, factor.last_used_step = None, None
    session.flush()
    return secret


def check_code(session: Session, user: User, code: str, secret_key: str, at: datetime, *,
               enrolling: bool = False) -> bool:
    """Whether ``code`` is the user's current code, not used before; a good code is used up here.
    ``enrolling``: the code confirms a secret waiting for it (and so enrols the app)."""
    factor = factor_of(session, user)
    if factor is None or (factor.confirmed_at is None) != enrolling:
        return False
    secret = secret_of(factor, secret_key)
    typed = "".join(code.split())
    if secret is None or not typed.isdigit() or len(typed) != 6:
        return False
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    now_step = totp.timecode(at)
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), typed):
            if factor.last_used_step is not None and step <= factor.last_used_step:
                return False  # replayed (or older than one already used)
            factor.last_used_step = step
            if enrolling:
                factor.confirmed_at = at
            return True
    return False


def remove(session: Session, user: User) -> bool:
    factor = factor_of(session, user)
    if factor is None:
        return False
    session.delete(factor)
    session.flush()
    return True


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_code_data_uri(uri: str) -> str:
    """The QR code as an SVG data: URI for an <img> (the page's CSP allows data: images, no inline styles)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, dark="#0b0c0c", light="#ffffff", border=4))


def grouped(secret: str) -> str:
    """The secret in fours, for typing into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
