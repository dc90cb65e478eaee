"""A relay that refuses: tried again with back-off, then set aside for the operations manager. Non-urgent
messages for someone who chose the digest: gathered every 30 minutes into one e-mail."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from app.core.actor import SYSTEM
from app.core.clock import clock, now
from app.core.errors import Conflict
from app.notifications import notify, sending
from app.notifications.models import DEAD, DIGESTED, DISCARDED, HELD, QUEUED, SENT
from app.notifications.operations import choose_delivery, discard_dead_letter, retry_dead_letter
from app.notifications.sending import claim_due, drain
from tests.notifications.conftest import audit_events, messages, user_id

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def frozen():
    clock.freeze(now())


def _breach(db) -> int:
    with db.unit_of_work() as session:
        [message_id] = notify(session, "breach", to_role="mash-manager", case_id=2,
                              facts={"rag": "Red", "agency": "Police", "step": "check"})
    return message_id


def test_a_refusing_relay_is_tried_again_later_and_later_then_the_message_is_a_dead_letter(
        db, staff_addresses, mailbox, frozen, monkeypatch):
    monkeypatch.setenv("MASH_NOTIFY_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("MASH_NOTIFY_RETRY_SECONDS", "60")
    mailbox.refuse_with = "451 4.3.0 Try again later"
    message_id = _breach(db)
    start = now()

    assert drain("sender") == 0
    [message] = messages(db)
    assert (message.status, message.attempts, message.last_error) == (QUEUED, 1, "SMTPDataError 451")
    assert message.next_attempt_at == start + timedelta(seconds=60)

    clock.advance(timedelta(seconds=59))
    drain("sender")
    assert messages(db)[0].attempts == 1  # not due yet

    clock.advance(timedelta(seconds=1))
    drain("sender")
    [message] = messages(db)
    assert message.attempts == 2 and message.next_attempt_at == now() + timedelta(seconds=120)

    clock.advance(timedelta(seconds=120))
    drain("sender")
    [message] = messages(db)
    assert message.status == DEAD and message.attempts == 3 and message.next_attempt_at is None
    assert [e.action for e in audit_events(db)] == ["notification.failed", "notification.failed",
                                                    "notification.dead-lettered"]
    assert {e.details["notification_id"] for e in audit_events(db)} == {message_id}

    clock.advance(timedelta(days=1))
    drain("sender")
    assert mailbox.received == [] and messages(db)[0].status == DEAD


def test_the_operations_manager_retries_a_dead_letter_once_the_relay_is_mended(
        db, staff_addresses, mailbox, frozen, monkeypatch):
    monkeypatch.setenv("MASH_NOTIFY_MAX_ATTEMPTS", "1")
    mailbox.refuse_with = "554 5.7.1 Relay access denied"
    message_id = _breach(db)
    drain("sender")
    assert messages(db)[0].status == DEAD

    mailbox.refuse_with = None
    with db.unit_of_work() as session:
        retry_dead_letter(session, message_id, SYSTEM)
    drain("sender")
    assert messages(db)[0].status == SENT and len(mailbox.received) == 1
    assert [e.action for e in audit_events(db)][-2:] == ["notification.retried", "notification.sent"]
    with pytest.raises(Conflict), db.unit_of_work() as session:
        discard_dead_letter(session, message_id, SYSTEM)


def test_a_discarded_dead_letter_is_never_sent(db, staff_addresses, mailbox, frozen, monkeypatch):
    monkeypatch.setenv("MASH_NOTIFY_MAX_ATTEMPTS", "1")
    mailbox.refuse_with = "554 5.7.1 Relay access denied"
    message_id = _breach(db)
    drain("sender")
    mailbox.refuse_with = None
    with db.unit_of_work() as session:
        discard_dead_letter(session, message_id, SYSTEM)
    clock.advance(timedelta(days=1))
    drain("sender")
    assert messages(db)[0].status == DISCARDED and mailbox.received == []


def _new_amber_checks(db, count: int) -> None:
    with db.unit_of_work() as session:
        for n in range(count):
            notify(session, "new-task", to_role="police", case_id=n + 1,
                   facts={"rag": "Amber", "agency": "Police", "step": "check"}, personal={"child_name": "Ava"})


def test_non_urgent_messages_are_gathered_into_one_digest_every_30_minutes(db, staff_addresses, mailbox, frozen):
    _new_amber_checks(db, 3)
    drain("sender")
    assert mailbox.received == [] and {m.status for m in messages(db)} == {HELD}

    clock.advance(timedelta(minutes=29))
    drain("sender")
    assert mailbox.received == []

    clock.advance(timedelta(minutes=1))
    drain("sender")
    [digest] = mailbox.parsed()
    assert digest["To"] == "pc.jones@police.example"
    assert digest["Subject"] == "MASH: 3 updates in the last half hour"
    text = digest.get_content()
    assert text.count("A new Amber check is waiting for Police in the MASH") == 3
    assert all(f"https://mash.council.gov.uk/cases/{n}" in text for n in (1, 2, 3))
    assert "Ava" not in text
    held = [m for m in messages(db) if m.kind == "new-task"]
    assert {m.status for m in held} == {DIGESTED}
    digest_row = next(m for m in messages(db) if m.kind == "digest")
    assert {m.digest_id for m in held} == {digest_row.id} and digest_row.status == SENT


def test_a_red_check_goes_at_once_even_to_someone_who_chose_the_digest(db, staff_addresses, mailbox, frozen):
    with db.unit_of_work() as session:
        notify(session, "new-task", to_role="police", case_id=1, facts={"rag": "Red", "agency": "Police",
                                                                        "step": "check"})
    drain("sender")
    [message] = mailbox.parsed()
    assert message["Subject"] == "A new Red check is waiting for Police in the MASH"


def test_choosing_immediate_messages_sends_what_was_waiting_for_the_digest(db, staff_addresses, mailbox, frozen):
    _new_amber_checks(db, 2)
    with db.unit_of_work() as session:
        choose_delivery(session, user_id(session, "police"), "immediate", SYSTEM)
    drain("sender")
    assert len(mailbox.received) == 2
    _new_amber_checks(db, 1)
    drain("sender")
    assert len(mailbox.received) == 3


@BOTH
def test_two_senders_at_once_never_send_one_message_twice(db, staff_addresses, mailbox, database_url, monkeypatch):
    with db.unit_of_work() as session:
        for n in range(30):
            notify(session, "breach", to_address=f"manager{n}@council.gov.uk", case_id=n)
    claims: dict[str, list[int]] = {}
    start = threading.Barrier(2)

    def sender(name: str) -> None:
        start.wait()
        claims[name] = claim_due(name, limit=30) + claim_due(name, limit=30)

    threads = [threading.Thread(target=sender, args=(name,)) for name in ("worker-1", "worker-2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    together = claims["worker-1"] + claims["worker-2"]
    assert sorted(together) == sorted(m.id for m in messages(db))  # every message claimed, none twice
    drain("worker-1")
    drain("worker-2")
    assert mailbox.received == []  # claimed messages are the claimer's until the claim lapses

    # Both senders died holding their claims: once the claims lapse, each message goes, once.
    later = sending._wall_clock() + sending.CLAIM_TTL + timedelta(seconds=1)
    monkeypatch.setattr(sending, "_wall_clock", lambda: later)
    drain("worker-3")
    drain("worker-3")
    assert sorted(to[0] for _sender, to, _raw in mailbox.received) == sorted(
        f"manager{n}@council.gov.uk" for n in range(30))


def test_a_message_for_someone_who_has_left_is_set_aside_at_once(db, staff_addresses, mailbox):
    from app.auth.models import User

    _breach(db)
    with db.unit_of_work() as session:
        session.get(User, user_id(session, "mash-manager")).is_active_user = False
    drain("sender")
    [message] = messages(db)
    assert (message.status, message.attempts, message.last_error) == (DEAD, 1, "NoAddress")
    assert mailbox.received == []


def test_text_naming_the_child_is_not_sent_once_the_address_is_no_longer_secure(db, staff_addresses, mailbox):
    from app.auth.models import User

    with db.unit_of_work() as session:
        notify(session, "new-task", to_role="health", urgent=True, facts={"rag": "Red"},
               personal={"child_name": "Ava Smith"})
        session.get(User, user_id(session, "health")).email = "nurse.khan@gmail.example"
    drain("sender")
    [message] = messages(db)
    assert (message.status, message.last_error) == (DEAD, "NoLongerSecure")
    assert mailbox.received == []
