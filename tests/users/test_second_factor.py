"""The optional second factor: an authenticator app enrolled with a QR code and a first code, then asked for
after the password at every sign-in; a code works once; the admin can require it per role; the secret is not
readable from the database alone; wrong codes count as failed sign-ins."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.auth.models import SecondFactor, User
from app.auth.second_factor import secret_of
from app.core.clock import clock
from tests.conftest import PASSWORD
from tests.users.conftest import code_at, post, sign_in, totp_key

T0 = datetime(2027, 3, 1, 9, 0, 5, tzinfo=UTC)
STEP = timedelta(seconds=30)
BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


def enrol_from_account(web, username: str) -> str:
    person = web(username)
    page = person.get("/account/second-factor").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page and "Set up your authenticator app" in page
    key = totp_key(page)
    done = person.post_form("/account/second-factor", {"code": code_at(key, clock.now())})
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    assert "Set up: you are asked for a code" in person.get("/account").get_data(as_text=True)
    return key


@BOTH
def test_after_enrolling_every_sign_in_asks_for_a_code_that_works_once(app, web, events):
    clock.freeze(T0)
    key = enrol_from_account(web, "health")
    client = app.test_client()
    first = sign_in(client, "health", PASSWORD)
    assert first.headers["Location"].endswith("/login/code")
    assert "/login" in client.get("/inbox").headers["Location"], "the password alone signs nobody in"
    wrong = post(client, "/login/code", {"code": "000000"})
    assert wrong.status_code == 200 and "The code is not right" in wrong.get_data(as_text=True)
    replay = post(client, "/login/code", {"code": code_at(key, T0)})
    assert "already been used" in replay.get_data(as_text=True), "the enrolment's code was used up"

    clock.advance(STEP)
    ok = post(client, "/login/code", {"code": code_at(key, clock.now())})
    assert ok.status_code == 302 and "/login" not in ok.headers["Location"]
    assert client.get("/inbox").status_code == 200
    other = app.test_client()
    sign_in(other, "health", PASSWORD)
    again = post(other, "/login/code", {"code": code_at(key, clock.now())})
    assert again.status_code == 200 and "/inbox" not in again.headers.get("Location", ""), "a code works once"
    assert events("auth.second-factor-failed") and events("auth.login")[-1].username == "health"


def test_the_secret_is_stored_encrypted_under_the_apps_key(app, web, db):
    clock.freeze(T0)
    key = enrol_from_account(web, "health")
    with db.unit_of_work(write=False) as session:
        factor = session.scalar(select(SecondFactor).join(User).where(User.username == "health"))
    assert key not in factor.secret_encrypted and key.lower() not in factor.secret_encrypted.lower()
    assert secret_of(factor, app.secret_key) == key
    assert secret_of(factor, "another deployment's secret key") is None


@BOTH
def test_a_role_that_requires_a_second_factor_enrols_its_holders_at_their_next_sign_in(app, web, events):
    clock.freeze(T0)
    admin = web("admin")
    saved = admin.post_form("/admin/second-factor", {"roles": ["police"]})
    assert saved.status_code == 302
    assert events("user.second-factor-roles-changed")[-1].details == {"from": [], "to": ["police"]}

    assert sign_in(app.test_client(), "health", PASSWORD).status_code == 302, "other roles are not asked"
    officer = app.test_client()
    assert sign_in(officer, "police", PASSWORD).headers["Location"].endswith("/login/second-factor")
    for path in ("/inbox", "/cases", "/account"):
        assert "/login" in officer.get(path).headers["Location"], path
    page = officer.get("/login/second-factor").get_data(as_text=True)
    assert "Your role needs a second factor" in page and 'src="data:image/svg+xml' in page
    key = totp_key(page)
    assert totp_key(officer.get("/login/second-factor").get_data(as_text=True)) == key, "a refresh keeps the key"
    done = post(officer, "/login/second-factor", {"code": code_at(key, T0)})
    assert done.status_code == 302 and "/login" not in done.headers["Location"]
    assert officer.get("/inbox").status_code == 200

    clock.advance(STEP)
    later = app.test_client()
    assert sign_in(later, "police", PASSWORD).headers["Location"].endswith("/login/code")
    assert post(later, "/login/code", {"code": code_at(key, clock.now())}).status_code == 302


def test_wrong_codes_count_as_failed_sign_ins_and_lock_like_passwords(app, web):
    clock.freeze(T0)
    enrol_from_account(web, "health")
    client = app.test_client()
    sign_in(client, "health", PASSWORD)
    at_the_desk = {"REMOTE_ADDR": "192.0.2.10"}
    statuses = [post(client, "/login/code", {"code": "123456"}, environ_base=at_the_desk).status_code
                for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    assert "/login" in client.get("/login/code").headers["Location"], "the part-way sign-in has ended"
    assert sign_in(app.test_client(), "health", PASSWORD, address="192.0.2.10").status_code == 429
    assert sign_in(app.test_client(), "health", PASSWORD, address="192.0.2.99").status_code == 302, \
        "from another desk: the lock is per (username, address)"


def test_the_admin_removes_a_lost_authenticator(app, web, events):
    clock.freeze(T0)
    enrol_from_account(web, "health")
    admin = web("admin")
    assert "Authenticator app set up" in admin.get("/admin/users/health").get_data(as_text=True)
    admin.post_form("/admin/users/health/second-factor/remove", {}, csrf_from="/admin/users/health")
    assert sign_in(app.test_client(), "health", PASSWORD).status_code == 302
    assert sign_in(app.test_client(), "health", PASSWORD).headers["Location"].endswith("/")
    assert events("user.second-factor-removed")[-1].details == {"user": "health"}


def test_a_part_way_sign_in_lapses_after_ten_minutes(app, web):
    clock.freeze(T0)
    key = enrol_from_account(web, "health")
    client = app.test_client()
    sign_in(client, "health", PASSWORD)
    clock.advance(timedelta(minutes=10))
    late = post(client, "/login/code", {"code": code_at(key, clock.now())}, csrf_from="/login")
    assert late.status_code == 302 and late.headers["Location"].endswith("/login")
