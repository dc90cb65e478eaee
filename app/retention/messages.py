"""Sent messages' addresses and text: kept ``keep_sent_days`` after they were sent, discarded or gathered into a
digest (long enough to answer "did the police get the chase?"), then erased. Their kind, state, times and ids
stay, as do the audit events about them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.core.actor import Actor
from app.notifications.models import DIGESTED, DISCARDED, SENT, Notification


def forget_sent_messages(session: Session, cutoff: datetime, actor: Actor, *, at: datetime) -> int:
    """Erase the address and text of every message finished before ``cutoff``; how many."""
    finished = list(session.scalars(select(Notification).where(
        Notification.erased_at.is_(None),
        or_((Notification.status == SENT) & (Notification.sent_at < cutoff),
            Notification.status.in_((DISCARDED, DIGESTED)) & (Notification.created_at < cutoff)))))
    for message in finished:
        message.to_address, message.body, message.fields, message.erased_at = "", "", None, at
    if finished:
        record(session, actor, "retention.messages-erased", details={"messages": len(finished)})
    return len(finished)
