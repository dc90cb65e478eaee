"""What the hub has already told people about a case, so each alert goes once.

Most alerts go with the step that causes them, in its transaction. Two come from the clock alone (a deadline
at risk, the handover summary when the hub opens) and one from a timer that may fire again (a breach chased
on a cycle): for these a marker row says "told", in the same transaction as the message, and a unique key
makes a second one impossible even across restarts. Ids and times only: nothing personal.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime

#: The deadline reached its at-risk time (``deadline_id``).
AT_RISK = "at-risk"
#: The deadline's timer fired: breached (``deadline_id``).
BREACH = "breach"
#: An out-of-hours handover task was in a summary to the MASH managers (``task_id``).
HANDOVER = "handover"


class NotificationMarker(Base):
    """One alert that has been queued: at most one per (kind, deadline) and per (kind, task)."""

    __tablename__ = "notification_marker"
    __table_args__ = (UniqueConstraint("kind", "deadline_id"), UniqueConstraint("kind", "task_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    case_id: Mapped[int] = mapped_column(ForeignKey("mash_case.id", ondelete="CASCADE"), index=True)
    deadline_id: Mapped[int | None] = mapped_column(ForeignKey("deadline.id", ondelete="CASCADE"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime())
