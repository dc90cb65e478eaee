from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime


def deadline_state(due_at: datetime, at_risk_at: datetime | None, at: datetime, *, met_at: datetime | None = None,
                   breached_at: datetime | None = None) -> str:
    """on-track | at-risk | breached | met. Met late stays "breached": it still counts as a miss."""
    if met_at is not None:
        return "met" if met_at <= due_at else "breached"
    if breached_at is not None or at >= due_at:
        return "breached"
    if at_risk_at is not None and at >= at_risk_at:
        return "at-risk"
    return "on-track"


class Deadline(Base):
    """One deadline of a case, kept from the diagram's timer events inside the same transaction as the step.

    Timers that share a name in one process are one deadline (the RAG timescale is drawn on the MASH review
    and on the decision). ``met_at`` after ``due_at`` means it was met late; ``cancelled_at`` means the work
    it guarded ended another way (the contact closed first), so it no longer counts.
    """

    __tablename__ = "deadline"
    __table_args__ = (
        Index("ix_deadline_case_id_name", "case_id", "name"),
        # The wall and reports read unfinished deadlines by due time.
        Index("ix_deadline_open_due", "met_at", "cancelled_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mash_case.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    process_id: Mapped[str] = mapped_column(String(100))
    element_id: Mapped[str] = mapped_column(String(200))
    timer_task_id: Mapped[str] = mapped_column(String(36))
    attached_task_id: Mapped[str | None] = mapped_column(String(36))
    attached_element_id: Mapped[str | None] = mapped_column(String(200))
    armed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    at_risk_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def state(self, at: datetime) -> str:
        return deadline_state(self.due_at, self.at_risk_at, at, met_at=self.met_at, breached_at=self.breached_at)

    @property
    def open(self) -> bool:
        return self.met_at is None and self.cancelled_at is None


class SlaCase(Base):
    """The SLA wall's projection: one row per open case that has been through a step, kept in step with its
    deadline rows (app.deadlines.tracking.project_case) so the wall counts and pages cases without grouping
    millions of deadline rows. A case's state moves with the clock, so the row keeps the times it changes at
    (``next_due``: its earliest unmet deadline; ``risk_from``: its earliest at-risk time) rather than the state.
    A closed case has no row. ``mash sla-rebuild`` rebuilds every row from the deadlines.
    """

    __tablename__ = "sla_case"
    __table_args__ = (
        # The wall's order: nearest deadline first, cases with none after, oldest first.
        Index("ix_sla_case_order", "next_due", "received_at", "case_id"),
        Index("ix_sla_case_rag_order", "rag", "next_due", "received_at", "case_id"),
        # The wall's counts (app.deadlines.queries._counts), each a range of one of these read from the index
        # alone: the cases a fired timer breached; the others whose deadline has passed (few: timers fire on
        # time); the others whose at-risk time has passed and deadline has not. rag last, for the RAG filter.
        Index("ix_sla_case_flagged", "rag", postgresql_where=text("breached"), sqlite_where=text("breached")),
        Index("ix_sla_case_unflagged_due", "next_due", "rag", postgresql_where=text("NOT breached"),
              sqlite_where=text("NOT breached")),
        Index("ix_sla_case_unflagged_risk", "risk_from", "next_due", "rag", postgresql_where=text("NOT breached"),
              sqlite_where=text("NOT breached")),
    )

    case_id: Mapped[int] = mapped_column(ForeignKey("mash_case.id", ondelete="CASCADE"), primary_key=True,
                                         autoincrement=False)
    rag: Mapped[str | None] = mapped_column(String(10))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    risk_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: A timer of an unmet deadline fired: breached whatever the clock says.
    breached: Mapped[bool] = mapped_column(Boolean, default=False)


class SchedulerLease(Base):
    """Which process may fire timers. Held by renewing before it expires; taken over once it has expired."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime())
