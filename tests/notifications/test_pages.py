"""The operations manager's dead letters, each person's notification settings, and /dev/mail, which exists only
on a development server with the local mail sink."""
from __future__ import annotations

import logging

import pytest

from app.core.actor import SYSTEM
from app.notifications import notify
from app.notifications.models import DISCARDED, IMMEDIATE, QUEUED
from app.notifications.operations import choose_delivery
from app.notifications.queries import delivery_of
from app.notifications.sending import drain
from tests.notifications.conftest import audit_events, messages, user_id


@pytest.fixture
def dead_letter(db, staff_addresses, monkeypatch) -> int:
    """A breach alert the relay would not take (no relay is set), given up after one try."""
    monkeypatch.setenv("MASH_NOTIFY_MAX_ATTEMPTS", "1")
    monkeypatch.delenv("MASH_SMTP_HOST", raising=False)
    with db.unit_of_work() as session:
        [message_id] = notify(session, "breach", to_role="mash-manager", case_id=None,
                              facts={"rag": "Red", "agency": "Police", "step": "check"})
    drain("sender")
    return message_id


def test_the_operations_manager_sees_a_dead_letter_and_sends_it_again(web, db, dead_letter):
    ops = web("ops-manager")
    page = ops.get("/operations/notifications").get_data(as_text=True)
    assert f'data-notification-id="{dead_letter}"' in page
    assert "A Red check for Police has missed its deadline" in page
    assert "ChannelNotConfigured" in page
    assert "(mash-manager)" in page  # who it is for

    response = ops.post_form(f"/operations/notifications/{dead_letter}/retry", {},
                             csrf_from="/operations/notifications")
    assert response.status_code == 302
    assert messages(db)[0].status == QUEUED
    assert "will be sent again" in ops.get("/operations/notifications").get_data(as_text=True)
    assert audit_events(db)[-1].action == "notification.retried"
    assert audit_events(db)[-1].username == "ops-manager"

    again = ops.post_form(f"/operations/notifications/{dead_letter}/retry", {}, csrf_from="/operations/notifications")
    assert again.status_code == 302
    assert "already dealt with it" in ops.get("/operations/notifications").get_data(as_text=True)


def test_the_operations_manager_discards_a_dead_letter(web, db, dead_letter):
    ops = web("ops-manager")
    ops.post_form(f"/operations/notifications/{dead_letter}/discard", {}, csrf_from="/operations/notifications")
    assert messages(db)[0].status == DISCARDED
    assert 'id="no-dead-letters"' in ops.get("/operations/notifications").get_data(as_text=True)


def test_a_practitioner_chooses_immediate_messages(web, db, staff_addresses):
    police = web("police")
    page = police.get("/account/notifications").get_data(as_text=True)
    assert "pc.jones@police.example" in page
    assert 'value="digest" checked' in page

    response = police.post_form("/account/notifications", {"delivery": "immediate"})
    assert response.status_code == 302
    with db.unit_of_work(write=False) as session:
        assert delivery_of(session, user_id(session, "police")) == IMMEDIATE
    assert 'value="immediate" checked' in police.get("/account/notifications").get_data(as_text=True)


def test_saving_without_a_choice_shows_the_error_summary(web, db, staff_addresses):
    police = web("police")
    with db.unit_of_work() as session:
        choose_delivery(session, user_id(session, "police"), "immediate", SYSTEM)
    response = police.post_form("/account/notifications", {})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "govuk-error-summary" in page and 'href="#delivery"' in page
    assert "<title>Error: Notification settings" in page


def test_dev_mail_does_not_exist_on_a_server_without_the_sink(web, monkeypatch):
    monkeypatch.delenv("MASH_DEV_MAIL", raising=False)
    assert web("admin").get("/dev/mail").status_code == 404


def test_dev_mail_shows_what_the_local_sink_received(settings, monkeypatch, staff_addresses, caplog):
    """With MASH_DEV_MAIL=1 mail goes to the sink (on 127.0.0.1) and the administrator reads it at /dev/mail.
    Neither the sender nor the sink logs an address."""
    caplog.set_level(logging.DEBUG)
    from app import create_app
    from app.core.db import get_db
    from app.notifications.devmail import free_port, start_sink
    from tests.conftest import WebClient

    port = free_port()
    monkeypatch.setenv("MASH_DEV_MAIL", "1")
    monkeypatch.setenv("MASH_DEV_MAIL_PORT", str(port))
    monkeypatch.setenv("MASH_SMTP_HOST", "relay.council.example")  # ignored: the sink takes the mail
    sink = start_sink(settings.instance_path, port)
    try:
        app = create_app(settings)
        with get_db().unit_of_work() as session:
            notify(session, "incident", to_role="mash-manager", facts={"step": "Screening"})
        assert drain("sender") == 1
        assert not [r for r in caplog.records if "manager@council.gov.uk" in r.getMessage()]

        admin = WebClient(app, "admin")
        page = admin.get("/dev/mail").get_data(as_text=True)
        assert "A step failed in the MASH process: Screening" in page
        assert "To manager@council.gov.uk" in page
        assert WebClient(app, "mash-manager").get("/dev/mail").status_code == 403
    finally:
        sink.stop()
        get_db().dispose()


def test_the_sla_wall_tells_the_operations_manager_of_messages_that_could_not_be_sent(web, dead_letter):
    page = web("ops-manager").get("/dashboard").get_data(as_text=True)
    assert 'id="dead-letters-notice"' in page and "1 message could not be" in page
    assert 'href="/operations/notifications"' in page
    assert 'id="dead-letters-notice"' not in web("mash-manager").get("/dashboard").get_data(as_text=True)
