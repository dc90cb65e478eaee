"""Reads for the pages: the dead letters and what each person chose."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.notifications.models import DEAD, DIGEST, HELD, Notification, NotificationPreference


def dead_letters(session: Session) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.status == DEAD)
                                .order_by(Notification.dead_at.desc(), Notification.id.desc())))


def count_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(Notification.status, func.count()).group_by(Notification.status))
    return dict(rows.tuples())


def delivery_of(session: Session, user_id: int) -> str:
    """Immediate or digest: the digest until the person chooses."""
    preference = session.get(NotificationPreference, user_id)
    return preference.delivery if preference is not None else DIGEST


def held_for(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.status == HELD, Notification.recipient_user_id == user_id)) or 0
