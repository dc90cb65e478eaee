"""The duty rota's tables: shifts, and the marker that an unclaimed urgent task was escalated (once)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime


class DutyShift(Base):
    """One person on duty for one role from ``starts_at`` until ``ends_at`` (exclusive). Shifts of one role
    never overlap: at any moment a role has at most one named duty person. Staff data: the user is named by
    id only (their name stays on their account, see app/retention/staff.py)."""

    __tablename__ = "duty_shift"
    __table_args__ = (Index("ix_duty_shift_role_starts_at", "role", "starts_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    role: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    changed_by: Mapped[str] = mapped_column(String(80))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DutyEscalation(Base):
    """An urgent task escalated to the person on duty. The task id is the key, so a task is escalated once
    however many schedulers, restarts or passes see it."""

    __tablename__ = "duty_escalation"

    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mash_case.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    to_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("duty_shift.id", ondelete="SET NULL"))
    escalated_at: Mapped[datetime] = mapped_column(UTCDateTime())
