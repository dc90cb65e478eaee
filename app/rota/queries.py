"""Reads of the duty rota: who is on duty for a role at a moment, and the shifts a manager plans around."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.rota.models import DutyShift


@dataclass(frozen=True)
class OnDuty:
    shift: DutyShift
    user_id: int
    username: str
    display_name: str


def on_duty(session: Session, role: str, at: datetime) -> OnDuty | None:
    """The person on duty for ``role`` at ``at`` (shifts of a role never overlap), or None."""
    row = session.execute(select(DutyShift, User).join(User, User.id == DutyShift.user_id)
                          .where(DutyShift.role == role, DutyShift.starts_at <= at, DutyShift.ends_at > at)
                          .order_by(DutyShift.starts_at.desc()).limit(1)).first()
    if row is None:
        return None
    shift, user = row
    return OnDuty(shift, user.id, user.username, user.display_name)


def on_duty_now(session: Session, at: datetime) -> list[OnDuty]:
    """Everyone on duty at ``at``, by role (the SLA wall's "On duty now")."""
    rows = session.execute(select(DutyShift, User).join(User, User.id == DutyShift.user_id)
                           .where(DutyShift.starts_at <= at, DutyShift.ends_at > at)
                           .order_by(DutyShift.role, DutyShift.starts_at))
    return [OnDuty(shift, user.id, user.username, user.display_name) for shift, user in rows]


def shifts_from(session: Session, since: datetime, *, limit: int = 200) -> list[OnDuty]:
    """Shifts still running or to come after ``since``, soonest first."""
    rows = session.execute(select(DutyShift, User).join(User, User.id == DutyShift.user_id)
                           .where(DutyShift.ends_at > since)
                           .order_by(DutyShift.starts_at, DutyShift.role).limit(limit))
    return [OnDuty(shift, user.id, user.username, user.display_name) for shift, user in rows]


def overlapping(session: Session, role: str, starts_at: datetime, ends_at: datetime,
                ignore: int | None = None) -> DutyShift | None:
    """Another shift of the same role that overlaps [starts_at, ends_at)."""
    query = select(DutyShift).where(DutyShift.role == role, DutyShift.starts_at < ends_at,
                                    DutyShift.ends_at > starts_at)
    if ignore is not None:
        query = query.where(DutyShift.id != ignore)
    return session.scalars(query.order_by(DutyShift.starts_at).limit(1)).first()
