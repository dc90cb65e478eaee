from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime


class OpenTask(Base):
    """One READY user task. Kept in step with the workflow inside the same transaction."""

    __tablename__ = "open_task"
    __table_args__ = (Index("ix_open_task_role_created_at", "role", "created_at"),
                      # Inboxes sort by time to breach, then age: the whole order, so a page however deep is
                      # read from the index alone (an index-only scan that skips to the page) and never sorted.
                      Index("ix_open_task_inbox_order", "role", "due_at", "created_at", "task_id"),
                      # The inbox's step list (its filter) counts a role's tasks by name: an index-only scan.
                      Index("ix_open_task_role_name", "role", "name"))

    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mash_case.id", ondelete="CASCADE"), index=True)
    process_id: Mapped[str] = mapped_column(String(100))
    bpmn_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    form_key: Mapped[str] = mapped_column(String(100))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    at_risk_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
