"""What people do to messages: an operations manager retries or discards a dead letter; each person chooses
immediate messages or the digest. Each is audited by id."""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import Conflict, NotFound
from app.notifications.models import (
    DEAD,
    DELIVERIES,
    DISCARDED,
    HELD,
    IMMEDIATE,
    QUEUED,
    Notification,
    NotificationPreference,
)


def _dead_letter(session: Session, message_id: int) -> Notification:
    message = session.get(Notification, message_id)
    if message is None:
        raise NotFound("No such message.")
    if message.status != DEAD:
        raise Conflict(f"Message {message_id} is not a dead letter any more: someone has already dealt with it.")
    return message


def retry_dead_letter(session: Session, message_id: int, actor: Actor) -> None:
    """Send it again from the start: the relay or Notify key has been put right."""
    message = _dead_letter(session, message_id)
    message.status, message.attempts, message.next_attempt_at, message.dead_at = QUEUED, 0, now(), None
    record(session, actor, "notification.retried", summary=f"Notification {message.id} sent again by hand",
           details={"notification_id": message.id, "kind": message.kind, "channel": message.channel})


def discard_dead_letter(session: Session, message_id: int, actor: Actor) -> None:
    """Give up on it (the person has been told another way, or the address is gone)."""
    message = _dead_letter(session, message_id)
    message.status = DISCARDED
    record(session, actor, "notification.discarded", summary=f"Notification {message.id} discarded",
           details={"notification_id": message.id, "kind": message.kind, "channel": message.channel})


def choose_delivery(session: Session, user_id: int, delivery: str, actor: Actor) -> None:
    """Immediate or digest for non-urgent messages. Choosing immediate sends what was waiting for the digest."""
    if delivery not in DELIVERIES:
        raise Conflict("Choose immediate messages or a digest.")
    preference = session.get(NotificationPreference, user_id)
    if preference is None:
        preference = NotificationPreference(user_id=user_id)
        session.add(preference)
    preference.delivery, preference.updated_at = delivery, now()
    if delivery == IMMEDIATE:
        session.execute(update(Notification).where(Notification.status == HELD,
                                                   Notification.recipient_user_id == user_id)
                        .values(status=QUEUED, next_attempt_at=now())
                        .execution_options(synchronize_session=False))
    record(session, actor, "notification.delivery-chosen", summary=f"Notifications: {delivery}",
           details={"delivery": delivery})
