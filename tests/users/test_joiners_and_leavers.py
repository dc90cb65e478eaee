"""A joiner is added by the hub's admin with a one-time password, signs in with it and must choose their own
before anything else is reachable; a leaver is deactivated while signed in and is out at once: the next request
is the sign-in page and their API token answers 401."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.auth.models import User, UserSession
from app.core.clock import clock
from tests.conftest import ApiClient
from tests.users.conftest import NEW_PASSWORD, add_user_by_page, post, sign_in

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@BOTH
def test_a_joiner_signs_in_with_the_one_time_password_and_must_choose_their_own(app, web, db, events):
    clock.freeze(T0)
    admin = web("admin")
    listing = admin.get("/admin/users").get_data(as_text=True)
    assert "Add a user" in listing and 'id="user-police"' in listing
    one_time = add_user_by_page(admin, "p.okafor")
    assert len(one_time) >= 12

    joiner = app.test_client()
    first = sign_in(joiner, "p.okafor", one_time)
    assert first.status_code == 302 and first.headers["Location"].endswith("/login/new-password")
    # Nothing else is reachable until the password is changed: every page sends them back to sign in,
    # and the sign-in page sends them on to the step they are at.
    for path in ("/", "/cases", "/inbox", "/account"):
        response = joiner.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    assert joiner.get("/login").headers["Location"].endswith("/login/new-password")
    page = joiner.get("/login/new-password").get_data(as_text=True)
    assert "Choose a new password" in page

    too_short = post(joiner, "/login/new-password", {"password": "short", "password_confirm": "short"})
    assert "Password must be 12 characters or more" in too_short.get_data(as_text=True)
    mismatch = post(joiner, "/login/new-password", {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD + "x"})
    assert "The passwords do not match" in mismatch.get_data(as_text=True)
    assert joiner.get("/inbox").status_code == 302

    done = post(joiner, "/login/new-password", {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert done.status_code == 302 and "/login" not in done.headers["Location"]
    assert joiner.get("/inbox").status_code == 200
    assert sign_in(app.test_client(), "p.okafor", one_time).status_code == 200, "the one-time password is spent"
    assert sign_in(app.test_client(), "p.okafor", NEW_PASSWORD).status_code == 302

    with db.unit_of_work(write=False) as session:
        user = session.scalar(select(User).where(User.username == "p.okafor"))
        assert user.must_change_password is False and user.last_signed_in_at == T0
        assert user.role_names == {"health"} and user.email == "p.okafor@nhs.example.org"
    assert "p.okafor" in admin.get("/admin/users").get_data(as_text=True)
    assert [e.details["user"] for e in events("user.added")] == ["p.okafor"]
    assert events("auth.password-changed")[-1].details == {"user": "p.okafor", "reason": "changed-at-sign-in"}


@BOTH
def test_a_leaver_deactivated_while_signed_in_is_out_at_once(app, web, db, events):
    admin = web("admin")
    leaver = web("housing")
    token = ApiClient(app, "housing")
    assert leaver.get("/inbox").status_code == 200
    assert token.get("/api/v1/tasks").status_code == 200

    done = admin.post_form("/admin/users/housing/deactivate", {}, csrf_from="/admin/users/housing")
    assert done.status_code == 302
    assert "is deactivated" in admin.get(done.headers["Location"]).get_data(as_text=True)

    next_request = leaver.get("/inbox")
    assert next_request.status_code == 302 and "/login" in next_request.headers["Location"]
    assert token.get("/api/v1/tasks").status_code == 401
    assert sign_in(app.test_client(), "housing", "test-password-1").status_code == 200, "cannot sign in again"
    with db.unit_of_work(write=False) as session:
        user = session.scalar(select(User).where(User.username == "housing"))
        sessions = list(session.scalars(select(UserSession).where(UserSession.user_id == user.id)))
    assert sessions and all(row.ended_at is not None and row.end_reason == "account-disabled" for row in sessions)
    deactivated = events("user.deactivated")[-1]
    assert deactivated.username == "admin" and deactivated.details["sessions_ended"] >= 1
    assert deactivated.details["tokens_revoked"] == 1

    # Reactivated: the person signs in again; the old token stays revoked.
    admin.post_form("/admin/users/housing/reactivate", {}, csrf_from="/admin/users/housing")
    assert sign_in(app.test_client(), "housing", "test-password-1").status_code == 302
    assert token.get("/api/v1/tasks").status_code == 401


def test_a_reset_password_ends_the_users_sessions_and_is_a_one_time_password(app, web):
    admin = web("admin")
    police = web("police")
    page = admin.post_form("/admin/users/police/reset-password", {}, csrf_from="/admin/users/police")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "This is the only time the password is shown" in text
    one_time = text.split('id="one-time-password">')[1].split("<")[0]
    assert police.get("/inbox").status_code == 302
    again = sign_in(app.test_client(), "police", one_time)
    assert again.headers["Location"].endswith("/login/new-password")


def test_the_admin_changes_roles_and_cannot_remove_the_last_admin(app, web, api):
    admin = web("admin")
    changed = admin.post_form("/admin/users/police/roles", {"roles": ["police", "ops-manager"]},
                              csrf_from="/admin/users/police")
    assert changed.status_code == 302
    assert api("admin").get("/api/v1/users").get_json()["users"][
        [u["username"] for u in api("admin").get("/api/v1/users").get_json()["users"]].index("police")
    ]["roles"] == ["ops-manager", "police"]
    none = admin.post_form("/admin/users/police/roles", {}, csrf_from="/admin/users/police")
    assert none.status_code == 422 and "Choose at least one role" in none.get_data(as_text=True)
    last_admin = admin.post_form("/admin/users/admin/roles", {"roles": ["auditor"]}, csrf_from="/admin/users/admin")
    assert last_admin.status_code == 302
    assert "only active admin" in admin.get(last_admin.headers["Location"]).get_data(as_text=True)
    self_deactivation = admin.post_form("/admin/users/admin/deactivate", {}, csrf_from="/admin/users/admin")
    assert "cannot deactivate your own account" in admin.get(
        self_deactivation.headers["Location"]).get_data(as_text=True)


def test_adding_a_user_shows_every_problem_with_an_error_summary(web):
    admin = web("admin")
    page = admin.post_form("/admin/users/new", {"username": "Not Valid!", "name": "", "email": "nope",
                                                "agency": "", "roles": ["wizard"]})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "govuk-error-summary" in text
    for message in ("Username must be 2 to 80", "Enter the person&#39;s full name", "Enter an e-mail address in the",
                    "Enter the person&#39;s agency", "The hub has no role called wizard"):
        assert message in text, message
    taken = admin.post_form("/admin/users/new", {"username": "police", "name": "A N Other", "agency": "Police",
                                                 "email": "a@police.example.org", "roles": ["police"]})
    assert "There is already a user called police" in taken.get_data(as_text=True)


@pytest.mark.parametrize("role", ["police", "mash-manager", "auditor", "ops-manager"])
def test_only_admin_opens_the_users_pages(web, role):
    client = web(role)
    for path in ("/admin/users", "/admin/users/new", "/admin/users/police", "/admin/second-factor"):
        assert client.get(path).status_code == 403, path
