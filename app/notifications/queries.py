"""Reads for the pages: the dead letters and what each person chose."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.notifications.models import DEAD, DIGEST, HELD, Notification, NotificationPreference


def dead_letters(session: Session) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.status == DEAD)
                                .order_by(Notification.dead_at.desc(), Notification.id.desc())))


def staff_names(session: Session, messages: list[Notification]) -> dict[int, str]:
    """The members of staff these messages are for (their address stays in their account)."""
    ids = {m.recipient_user_id for m in messages if m.recipient_user_id is not None}
    if not ids:
        return {}
    return {user.id: f"{user.display_name} ({user.username})"
            for user in session.scalars(select(User).where(User.id.in_(ids)))}


def count_dead_letters(session: Session) -> int:
    """For the SLA wall: messages waiting for an operations manager."""
    return session.scalar(select(func.count()).select_from(Notification).where(Notification.status == DEAD)) or 0


def count_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(Notification.status, func.count()).group_by(Notification.status))
    return {status: count for status, count in rows}  # noqa: C416 (rows, not pairs, to mypy)


def delivery_of(session: Session, user_id: int) -> str:
    """Immediate or digest: the digest until the person chooses."""
    preference = session.get(NotificationPreference, user_id)
    return preference.delivery if preference is not None else DIGEST


def held_for(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.status == HELD, Notification.recipient_user_id == user_id)) or 0
