"""A missing episode: one police notification of a child missing from home or care, its return and the return
home interview. Kept in its own table, linked to the child's record in the person index; the names, the address,
where the child was found and what the child said are anonymised with the case (app/retention/records.py)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime


class MissingEpisode(Base):
    """One episode, one per case it started. ``returned_at`` is empty while the child is still missing."""

    __tablename__ = "missing_episode"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mash_case.id", ondelete="CASCADE"), unique=True)
    #: The child's record in the person index (its cluster is the child).
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    police_reference: Mapped[str | None] = mapped_column(String(60))
    officer_name: Mapped[str | None] = mapped_column(String(200))
    given_name: Mapped[str | None] = mapped_column(String(100))
    family_name: Mapped[str | None] = mapped_column(String(100))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    nhs_number: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(Text)
    #: Looked after (missing from care) or living at home: the return home interview's guidance covers both.
    looked_after: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    #: The police risk grading (College of Policing APP, 2022): no-apparent-risk | low | medium | high.
    risk_grading: Mapped[str] = mapped_column(String(20), index=True)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    found_where: Mapped[str | None] = mapped_column(Text)
    return_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Episodes of this child in the rule's window, this one included, when it was notified
    #: (processes/missing-episodes.toml); ``repeat`` when that reached the rule's count.
    repeat_count: Mapped[int] = mapped_column(Integer, default=1)
    repeat: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The return home interview: due 72 elapsed hours from the return, offered (or not), accepted, held.
    interview_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    interview_offered: Mapped[bool | None] = mapped_column(Boolean)
    interview_offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    interview_offered_by: Mapped[str | None] = mapped_column(String(200))
    interview_accepted: Mapped[bool | None] = mapped_column(Boolean)
    interview_held: Mapped[bool | None] = mapped_column(Boolean)
    interview_held_on: Mapped[date | None] = mapped_column(Date)
    interview_held_by: Mapped[str | None] = mapped_column(String(200))
    push_factors: Mapped[str | None] = mapped_column(Text)
    pull_factors: Mapped[str | None] = mapped_column(Text)
    #: Codes (forms/return_home_interview.json): never free text.
    exploitation_indicators: Mapped[list | None] = mapped_column(JSON)
    interview_summary: Mapped[str | None] = mapped_column(Text)
    #: The MASH manager's answer to the repeat-episodes prompt: strategy-discussion | no-strategy-discussion.
    strategy_decision: Mapped[str | None] = mapped_column(String(30))
    strategy_reason: Mapped[str | None] = mapped_column(Text)
