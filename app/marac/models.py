"""The record of Operation Encompass notifications and MARAC referrals and actions. Personal data (names of
the safeguarding lead told, notes about the family, the MARAC's actions for them): anonymised with the case,
in the subject access export and in the personal-data scan (app/retention)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime


class EncompassNotification(Base):
    """One school told about one notification: who was told, when, how, and by whom."""

    __tablename__ = "encompass_notification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mash_case.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    #: The school's id in processes/schools.toml and its name then (the file may change later).
    school: Mapped[str] = mapped_column(String(60))
    school_name: Mapped[str] = mapped_column(String(200))
    #: Who was told (the designated safeguarding lead or deputy), when (the time stated) and how.
    dsl_name: Mapped[str | None] = mapped_column(String(200))
    told_at: Mapped[datetime] = mapped_column(UTCDateTime())
    told_method: Mapped[str] = mapped_column(String(20))
    told_note: Mapped[str | None] = mapped_column(Text)
    told_by: Mapped[str] = mapped_column(String(80))
    #: The incident (or receipt) the deadline counted from, and the start of the next school day then.
    incident_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MaracReferral(Base):
    """A victim referred to the MARAC: the meeting, whether they are a repeat, and who referred them."""

    __tablename__ = "marac_referral"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mash_case.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    #: The victim in the person index (their root person when found; a new record when not known).
    victim_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    referred_on: Mapped[date] = mapped_column(Date)
    referred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    referred_by: Mapped[str] = mapped_column(String(80))
    meeting_date: Mapped[date | None] = mapped_column(Date)
    #: The person index found a MARAC referral of the same victim in the 12 months before (and which case);
    #: ``repeat`` is the coordinator's answer (a repeat may come from another area's MARAC).
    repeat_found: Mapped[bool] = mapped_column(Boolean, default=False)
    repeat_of_case_id: Mapped[int | None] = mapped_column(ForeignKey("mash_case.id", ondelete="SET NULL"))
    repeat: Mapped[bool] = mapped_column(Boolean, default=False)
    dash_score: Mapped[int | None] = mapped_column(Integer)
    referral_note: Mapped[str | None] = mapped_column(Text)


class MaracAction(Base):
    """One action the MARAC agreed for the family, owned by an agency and due by a date."""

    __tablename__ = "marac_action"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mash_case.id", ondelete="CASCADE"), index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("marac_referral.id", ondelete="CASCADE"), index=True)
    heard_on: Mapped[date] = mapped_column(Date)
    action: Mapped[str] = mapped_column(Text)
    owner_agency: Mapped[str] = mapped_column(String(40))
    due_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
