"""The LADO's record of an allegation against a person who works with children, and its allegation management
meetings. Kept apart from the child's record: its own tables, its own retention (app/lado/retention.py) and its own
readers (app/lado/queries.py). The child's case keeps only the fact that an allegation was passed to the LADO."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime


class LadoAllegation(Base):
    """One allegation: the person, the allegation, the employer's safeguarding lead and what the LADO decided."""

    __tablename__ = "lado_allegation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mash_case.id", ondelete="CASCADE"), index=True)
    reference: Mapped[str | None] = mapped_column(String(40), unique=True)
    #: contact (an allegation contact) | mash-decision (a MASH decision referred it).
    source: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    recorded_by: Mapped[str] = mapped_column(String(80))
    # The person the allegation is about.
    given_name: Mapped[str | None] = mapped_column(String(100))
    family_name: Mapped[str | None] = mapped_column(String(100))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    job_title: Mapped[str | None] = mapped_column(String(200))
    employer: Mapped[str | None] = mapped_column(String(200))
    #: The employer's sector (the LADO annual return's categories): education, early-years, health...
    sector: Mapped[str] = mapped_column(String(30), index=True)
    #: yes | no | not-known: in regulated activity with children.
    regulated_activity: Mapped[str] = mapped_column(String(10))
    # The allegation.
    #: physical | sexual | emotional | neglect | suitability (the harm test's transferable risk).
    category: Mapped[str] = mapped_column(String(20))
    allegation: Mapped[str | None] = mapped_column(Text)
    happened_on: Mapped[date | None] = mapped_column(Date)
    #: When it came to the employer's (or the referrer's) notice: the one working day runs from here.
    came_to_notice_on: Mapped[date] = mapped_column(Date)
    # The employer's safeguarding lead.
    lead_name: Mapped[str | None] = mapped_column(String(200))
    lead_contact: Mapped[str | None] = mapped_column(String(200))
    # The initial evaluation.
    threshold: Mapped[str | None] = mapped_column(String(20))
    meeting_needed: Mapped[bool | None] = mapped_column(Boolean)
    police_involved: Mapped[bool | None] = mapped_column(Boolean)
    evaluation_note: Mapped[str | None] = mapped_column(Text)
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    evaluated_by: Mapped[str | None] = mapped_column(String(80))
    # The outcome.
    #: substantiated | unsubstantiated | unfounded | false | malicious.
    outcome: Mapped[str | None] = mapped_column(String(20), index=True)
    outcome_on: Mapped[date | None] = mapped_column(Date)
    employer_action: Mapped[str | None] = mapped_column(String(30))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    dbs_referral_needed: Mapped[bool | None] = mapped_column(Boolean)
    regulator_referral_needed: Mapped[bool | None] = mapped_column(Boolean)
    # The referral to the DBS or a regulator.
    dbs_referred_on: Mapped[date | None] = mapped_column(Date)
    regulator: Mapped[str | None] = mapped_column(String(30))
    regulator_referred_on: Mapped[date | None] = mapped_column(Date)
    referred_by: Mapped[str | None] = mapped_column(String(20))
    # Retention (app/lado/retention.py).
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Kept on the person's file (substantiated, unsubstantiated); never for unfounded, false or malicious.
    on_person_file: Mapped[bool | None] = mapped_column(Boolean)
    retain_until: Mapped[date | None] = mapped_column(Date, index=True)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LadoMeeting(Base):
    """An allegation management meeting: when, who attended (codes), what was agreed."""

    __tablename__ = "lado_meeting"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    allegation_id: Mapped[int] = mapped_column(ForeignKey("lado_allegation.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mash_case.id", ondelete="CASCADE"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    attendees: Mapped[list] = mapped_column(JSON)
    #: [{"action", "owner", "due_on"}]: the actions agreed.
    actions: Mapped[list] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
