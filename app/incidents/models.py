from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime

#: A case's due timers failed to fire (retried with back-off by the scheduler, then raised).
TIMER = "timer"
#: A submitted task's next steps failed; the answers are held here until a manager retries them.
TASK = "task"
#: A contact's first steps failed: the contact and its case are kept, waiting at the start for a fix.
START = "start"


class Incident(Base):
    """One fault that stopped part of one case. Other cases, and the case's other tasks, carry on."""

    __tablename__ = "incident"
    __table_args__ = (Index("ix_incident_open", "resolved_at", "raised_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mash_case.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default=TIMER)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: The engine's message. It can quote case data, so it is free text for retention and never audited.
    error: Mapped[str] = mapped_column(Text, default="")
    element_id: Mapped[str | None] = mapped_column(String(200))
    #: For a task incident: the task that was submitted, its form answers (JSON) and who gave them.
    task_id: Mapped[str | None] = mapped_column(String(36), index=True)
    task_name: Mapped[str | None] = mapped_column(String(200))
    submission: Mapped[str | None] = mapped_column(Text)
    submitted_by: Mapped[str | None] = mapped_column(String(80))
    submitted_by_id: Mapped[int | None] = mapped_column(Integer)
    first_failed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    raised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(80))
    #: How it ended: "fired" / "completed" after a retry, or "returned" (the task went back to the inbox).
    resolution: Mapped[str | None] = mapped_column(String(20))

    @property
    def open(self) -> bool:
        return self.resolved_at is None

    @classmethod
    def raised_now(cls, *, case_id: int, kind: str, error: str, element_id: str | None, at, **fields) -> Incident:
        """An incident that goes straight to managers: a broken diagram will not mend itself on a second try."""
        return cls(case_id=case_id, kind=kind, attempts=1, error=error[:2000], element_id=element_id,
                   first_failed_at=at, last_failed_at=at, raised_at=at, **fields)
