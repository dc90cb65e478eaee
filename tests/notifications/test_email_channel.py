"""E-mail through an SMTP relay: a real server in this process receives the bytes the hub sends."""
from __future__ import annotations

import json

from app.notifications import notify
from app.notifications.models import SENT
from app.notifications.sending import drain
from tests.notifications.conftest import audit_events, messages

CHILD = "Ava Smith"


def _queue_new_checks(db) -> None:
    with db.unit_of_work() as session:
        for role, agency in (("police", "Police"), ("health", "Health")):
            notify(session, "new-task", to_role=role, case_id=12, task_id="task-12", urgent=True,
                   facts={"rag": "Amber", "agency": agency, "step": "check"}, personal={"child_name": CHILD})


def test_a_new_check_reaches_each_agency_by_email_and_names_the_child_only_to_a_secure_address(
        db, staff_addresses, mailbox):
    _queue_new_checks(db)
    assert drain("test-sender") == 2

    by_recipient = {to[0]: message for (_sender, to, _raw), message in zip(mailbox.received, mailbox.parsed(),
                                                                           strict=True)}
    police, health = by_recipient["pc.jones@police.example"], by_recipient["nurse.khan@nhs.net"]
    assert police["Subject"] == "A new Amber check is waiting for Police in the MASH"
    assert health["Subject"] == "A new Amber check is waiting for Health in the MASH"
    for message in (police, health):
        assert message["From"] == "MASH <mash@council.gov.uk>"
        assert message["Message-ID"] and message["Date"]
        assert message["Auto-Submitted"] == "auto-generated"
        assert CHILD not in message["Subject"]
        assert "https://mash.council.gov.uk/tasks/task-12" in message.get_content()
    assert CHILD not in police.get_content()
    assert f"Child: {CHILD}" in health.get_content()
    assert all(CHILD.encode() not in raw for _s, to, raw in mailbox.received if to == ["pc.jones@police.example"])
    assert {m.status for m in messages(db)} == {SENT}


def test_each_sent_message_is_audited_by_id_without_the_address_or_the_text(db, staff_addresses, mailbox):
    _queue_new_checks(db)
    drain("test-sender")
    events = audit_events(db)
    assert [e.action for e in events] == ["notification.sent", "notification.sent"]
    assert sorted(e.details["notification_id"] for e in events) == sorted(m.id for m in messages(db))
    written = json.dumps([[e.summary, e.details] for e in events])
    assert "@" not in written and CHILD not in written


def test_a_message_queued_in_an_action_that_was_rolled_back_is_never_sent(db, staff_addresses, mailbox):
    session = db.session_factory()
    session.begin()
    notify(session, "breach", to_role="mash-manager", facts={"rag": "Red", "step": "check"})
    session.rollback()
    session.close()
    assert drain("test-sender") == 0
    assert mailbox.received == []
    assert messages(db) == []


def test_a_message_is_sent_once_however_often_the_sender_runs(db, staff_addresses, mailbox):
    _queue_new_checks(db)
    drain("first")
    drain("second")
    assert len(mailbox.received) == 2


def test_the_scheduler_of_mash_serve_sends_what_an_action_committed(db, staff_addresses, mailbox):
    import time

    from app.casework.scheduler import DeadlineScheduler

    scheduler = DeadlineScheduler("test-worker")
    scheduler.start()
    try:
        _queue_new_checks(db)
        waited = 0.0
        while len(mailbox.received) < 2 and waited < 60:  # a generous bound, not a measurement
            time.sleep(0.2)
            waited += 0.2
    finally:
        scheduler.shutdown()
    assert sorted(to[0] for _sender, to, _raw in mailbox.received) == ["nurse.khan@nhs.net",
                                                                      "pc.jones@police.example"]
