"""Server-side sessions: the cookie carries only a random id; sign-out, 30 idle minutes or 12 hours end the
session for every copy of the cookie; each sign-in gets a new id; the SLA wall's refresh is not activity."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from app import create_app
from app.auth.models import User, UserSession
from app.core.clock import clock
from app.core.config import load_settings
from app.core.db import get_db
from tests.security.conftest import attempt
from tests.training.sandbox import mark_training

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def signed_in(app, username: str = "police"):
    client = app.test_client()
    assert attempt(client, username).status_code == 302
    return client


def cookie(app, client) -> dict:
    """What the browser holds: the signed session cookie's contents."""
    value = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    return app.session_interface.get_signing_serializer(app).loads(value)


def sessions_of(db, username: str) -> list[UserSession]:
    with db.unit_of_work(write=False) as session:
        user = session.scalar(select(User).where(User.username == username))
        return list(session.scalars(select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)))


def sent_to_sign_in(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


# ----------------------------------------------------------------------------- idle and absolute limits
def test_thirty_idle_minutes_sign_you_out_with_a_message_and_an_audit_event(app, db, events):
    clock.freeze(T0)
    client = signed_in(app)
    for _ in range(3):  # activity keeps the session alive well past 30 minutes in all
        clock.advance(timedelta(minutes=29))
        assert client.get("/inbox").status_code == 200
    clock.advance(timedelta(minutes=30))
    response = client.get("/inbox")
    assert sent_to_sign_in(response) and "next=/inbox" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You were signed out after 30 minutes without activity" in page
    assert sent_to_sign_in(client.get("/inbox")), "the expired session stays ended"
    [expired] = events("auth.session-expired")
    assert expired.username == "police" and expired.details["reason"] == "idle"
    [row] = sessions_of(db, "police")
    assert row.end_reason == "idle" and row.ended_at == T0 + timedelta(minutes=29 * 3 + 30)


def test_twelve_hours_after_signing_in_you_are_signed_out_however_active(app, events):
    clock.freeze(T0)
    client = signed_in(app)
    for _ in range(35):  # every 20 minutes for 11 h 40 min
        clock.advance(timedelta(minutes=20))
        assert client.get("/inbox").status_code == 200
    clock.advance(timedelta(minutes=20))
    response = client.get("/inbox")
    assert sent_to_sign_in(response)
    assert "signed in for 12 hours" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert events("auth.session-expired")[-1].details["reason"] == "lifetime"


def test_the_limits_come_from_settings(settings):
    short = create_app(load_settings(**{**settings.__dict__, "session_idle_minutes": 5}))
    clock.freeze(T0)
    client = signed_in(short)
    clock.advance(timedelta(minutes=5))
    response = client.get("/inbox")
    assert sent_to_sign_in(response)
    assert "after 5 minutes without activity" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_activity_is_written_at_most_once_a_minute_and_costs_a_read_only_page_no_commit(app, db):
    clock.freeze(T0)
    client = signed_in(app)

    def commits_during(path: str) -> int:
        commits = []

        def count(_connection):
            commits.append(1)

        event.listen(db.engine, "commit", count)
        try:
            assert client.get(path).status_code == 200
        finally:
            event.remove(db.engine, "commit", count)
        return len(commits)

    clock.advance(timedelta(seconds=50))
    assert commits_during("/inbox") == 0
    assert sessions_of(db, "police")[0].last_seen_at == T0
    clock.advance(timedelta(seconds=20))
    assert commits_during("/inbox") == 1
    assert sessions_of(db, "police")[0].last_seen_at == T0 + timedelta(seconds=70)


def test_in_the_training_sandbox_moving_the_clock_is_not_idleness(settings):
    mark_training(settings.database_url)  # the sandbox starts only on a database marked as training
    training = create_app(load_settings(**{**settings.__dict__, "training": True}))
    client = signed_in(training)
    clock.advance(timedelta(hours=13))  # a trainer moves case time on by more than a working day
    assert client.get("/inbox").status_code == 200


# ----------------------------------------------------------------------------- the cookie and the server session
def test_signing_out_ends_the_session_so_a_copied_cookie_stops_working(app, db, events):
    client = signed_in(app)
    name = app.config["SESSION_COOKIE_NAME"]
    thief = app.test_client()
    thief.set_cookie(name, client.get_cookie(name).value)
    assert thief.get("/inbox").status_code == 200  # the copy works while the session lives
    logout = client.post("/logout", data={"csrf_token": client.get("/inbox").get_data(as_text=True)
                                          .split('name="csrf_token" value="')[1].split('"')[0]})
    assert sent_to_sign_in(logout)
    assert sent_to_sign_in(thief.get("/inbox"))
    assert sessions_of(db, "police")[0].end_reason == "signed-out"
    assert events("auth.logout")[-1].details["session"] == sessions_of(db, "police")[0].id


def test_the_cookie_carries_only_the_session_id_and_the_database_only_its_hash(app, db):
    client = signed_in(app)
    contents = cookie(app, client)
    assert set(contents) <= {"sid", "_user_id", "_fresh", "_id", "csrf_token", "_flashes"}
    assert "police" not in str(contents)
    [row] = sessions_of(db, "police")
    assert contents["sid"] not in (row.secret_hash, str(row.id)) and len(contents["sid"]) >= 40


def test_each_sign_in_gets_a_new_session_id_and_a_planted_cookie_never_signs_in(app, db):
    name = app.config["SESSION_COOKIE_NAME"]
    client = app.test_client()
    client.get("/login")
    planted = client.get_cookie(name).value  # an attacker's pre-sign-in cookie, fixed in the victim's browser
    assert attempt(client, "police").status_code == 302
    first = cookie(app, client)["sid"]
    assert attempt(client, "police").status_code == 302
    assert cookie(app, client)["sid"] != first
    rows = sessions_of(db, "police")
    assert [r.end_reason for r in rows] == ["replaced", None]
    attacker = app.test_client()
    attacker.set_cookie(name, planted)
    assert sent_to_sign_in(attacker.get("/inbox"))


def test_the_cookies_user_must_be_the_server_sessions_user(app):
    """Even with the signing key, a live session id cannot be pointed at another user."""
    client = signed_in(app, "police")
    with get_db().unit_of_work(write=False) as session:
        manager_id = session.scalar(select(User.id).where(User.username == "mash-manager"))
    forged = {**cookie(app, client), "_user_id": str(manager_id)}
    other = app.test_client()
    other.set_cookie(app.config["SESSION_COOKIE_NAME"], app.session_interface.get_signing_serializer(app).dumps(forged))
    assert sent_to_sign_in(other.get("/dashboard"))
    assert client.get("/inbox").status_code == 200, "the real cookie still works"


def test_a_disabled_account_is_signed_out_at_its_next_request(app, db):
    client = signed_in(app)
    with db.unit_of_work() as session:
        session.scalar(select(User).where(User.username == "police")).is_active_user = False
    assert sent_to_sign_in(client.get("/inbox"))
    assert sessions_of(db, "police")[0].end_reason == "account-disabled"


# ----------------------------------------------------------------------------- the SLA wall
@pytest.mark.parametrize("username", ["mash-manager"])
def test_the_walls_refresh_is_not_activity_but_an_idle_session_may_keep_showing_the_wall(app, db, events, username):
    """Decision: the wall's 15-second refresh (?fragment=1) never counts as activity, so it cannot keep a
    session alive for anything else. An idle session may go on showing the wall (read only) until its
    12-hour lifetime; every other page, and the wall's Retry button, need the person to sign in again."""
    clock.freeze(T0)
    client = signed_in(app, username)
    assert client.get("/dashboard").status_code == 200
    for _ in range(45):  # 45 minutes of refreshes with nobody at the screen
        clock.advance(timedelta(minutes=1))
        assert client.get("/dashboard?fragment=1").status_code == 200
    assert sessions_of(db, username)[0].last_seen_at == T0
    assert client.get("/dashboard").status_code == 200, "the wall stays up on its screen"
    response = client.get("/cases")
    assert sent_to_sign_in(response)
    assert "after 30 minutes without activity" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert sent_to_sign_in(client.get("/dashboard?fragment=1")), "once ended, the wall needs a sign-in too"
    assert events("auth.session-expired")[-1].details["reason"] == "idle"


def test_an_unattended_wall_still_ends_at_the_absolute_lifetime(app):
    clock.freeze(T0)
    client = signed_in(app, "mash-manager")
    clock.advance(timedelta(hours=11, minutes=59))
    assert client.get("/dashboard?fragment=1").status_code == 200
    clock.advance(timedelta(minutes=1))
    assert sent_to_sign_in(client.get("/dashboard?fragment=1"))
