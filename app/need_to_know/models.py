"""What need to know keeps: agency returns released by their owner to other agencies on the case, and
exceptional (break-glass) access to a case its reader is not involved in."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime


class ReturnRelease(Base):
    """The owning agency released its return to another agency on the same case. The duty of care for the
    information stays with the owner, so only the owner releases; a release can be withdrawn until the
    receiving agency has read it, never after."""

    __tablename__ = "return_release"
    __table_args__ = (Index("ix_return_release_case_to", "case_id", "to_agency"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mash_case.id", ondelete="CASCADE"))
    return_id: Mapped[int] = mapped_column(ForeignKey("agency_return.id", ondelete="CASCADE"), index=True)
    #: The agency that made the return (app.core.roles.AGENCIES), and the one it is released to.
    from_agency: Mapped[str] = mapped_column(String(40))
    to_agency: Mapped[str] = mapped_column(String(40))
    released_by: Mapped[str] = mapped_column(String(80))
    released_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: When someone of the receiving agency first saw it (a page or an API answer showed it).
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by: Mapped[str | None] = mapped_column(String(80))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def standing(self) -> bool:
        return self.withdrawn_at is None


class BreakGlassAccess(Base):
    """A hub member opened a case they are not involved in, giving a reason. It lasts a working shift and
    waits on the operations manager's oversight page until someone reviews it."""

    __tablename__ = "break_glass_access"
    __table_args__ = (Index("ix_break_glass_access_user_case", "user_id", "case_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mash_case.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    username: Mapped[str] = mapped_column(String(80))
    #: A code from app.need_to_know.break_glass.REASONS (what the audit trail carries).
    reason: Mapped[str] = mapped_column(String(40))
    #: The person's own words. Kept here, not in the audit trail, so retention can remove it with the case.
    explanation: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reviewed_by: Mapped[str | None] = mapped_column(String(80))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: appropriate | not-appropriate (then raised with the person's manager)
    review_outcome: Mapped[str | None] = mapped_column(String(20))
