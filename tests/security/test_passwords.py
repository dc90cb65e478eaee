"""Passwords are hashed with argon2id, and a hash made with weaker parameters is replaced at the next sign-in."""
from __future__ import annotations

from argon2 import PasswordHasher, Type
from sqlalchemy import select

from app.auth.models import User
from app.auth.operations import check_password, hash_password
from tests.conftest import PASSWORD
from tests.security.conftest import attempt


def stored_hash(db, username: str) -> str:
    with db.unit_of_work(write=False) as session:
        return session.scalar(select(User.password_hash).where(User.username == username))


def test_passwords_are_stored_as_argon2id_with_rfc_9106_parameters(db):
    stored = stored_hash(db, "police")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PASSWORD not in stored
    assert hash_password(PASSWORD) != hash_password(PASSWORD), "each hash has its own salt"
    assert PasswordHasher().type is Type.ID


def test_a_hash_with_old_parameters_is_upgraded_when_its_owner_signs_in(app, db):
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with db.unit_of_work() as session:
        session.scalar(select(User).where(User.username == "police")).password_hash = weak
    assert attempt(app.test_client(), "police").status_code == 302
    upgraded = stored_hash(db, "police")
    assert upgraded != weak and upgraded.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert attempt(app.test_client(), "police").status_code == 302, "the new hash still verifies"


def test_a_wrong_password_leaves_the_hash_alone(app, db):
    before = stored_hash(db, "police")
    assert attempt(app.test_client(), "police", "not-the-password").status_code == 200
    assert stored_hash(db, "police") == before


def test_no_user_and_no_password_never_verify():
    assert check_password(None, "not-a-real-password") is False
    assert check_password(User(username="x", password_hash=None, is_active_user=True), "") is False
