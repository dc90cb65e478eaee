"""A police domestic-abuse notification's structured parts: the incident, the people, the DASH answers and the
daily triage's decision. The officer's words (location, circumstances) stay on the contact and here, and are
anonymised with them (app/retention/records.py)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime


class DomesticAbuseNotification(Base):
    """One notification (a "PPN" or "VPRF"): one per case it started."""

    __tablename__ = "da_notification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mash_case.id", ondelete="CASCADE"), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    incident_at: Mapped[datetime] = mapped_column(UTCDateTime())
    incident_location: Mapped[str | None] = mapped_column(Text)
    officer_name: Mapped[str | None] = mapped_column(String(200))
    officer_number: Mapped[str | None] = mapped_column(String(40))
    victim_given_name: Mapped[str | None] = mapped_column(String(100))
    victim_family_name: Mapped[str | None] = mapped_column(String(100))
    victim_date_of_birth: Mapped[date | None] = mapped_column(Date)
    victim_nhs_number: Mapped[str | None] = mapped_column(String(20))
    perpetrator_given_name: Mapped[str | None] = mapped_column(String(100))
    perpetrator_family_name: Mapped[str | None] = mapped_column(String(100))
    perpetrator_date_of_birth: Mapped[date | None] = mapped_column(Date)
    perpetrator_nhs_number: Mapped[str | None] = mapped_column(String(20))
    #: The officer's DASH risk level: standard | medium | high.
    risk_level: Mapped[str] = mapped_column(String(10), index=True)
    #: How many of the 27 DASH questions were answered yes.
    dash_ticks: Mapped[int] = mapped_column(Integer)
    #: Question key (q1..q27) -> yes | no | not-known. Answers, never names.
    dash_answers: Mapped[dict] = mapped_column(JSON)
    escalation: Mapped[bool] = mapped_column(Boolean)
    pregnancy: Mapped[bool] = mapped_column(Boolean)
    #: The triage meeting's decision (app/domestic_abuse/triage.py), and the table's, kept for the MI's overrides.
    table_decision: Mapped[str | None] = mapped_column(String(20))
    da_rule: Mapped[str | None] = mapped_column(String(200))
    triage_decision: Mapped[str | None] = mapped_column(String(20))
    triage_reason: Mapped[str | None] = mapped_column(Text)
    triaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    triaged_by: Mapped[str | None] = mapped_column(String(80))


class DomesticAbuseChild(Base):
    """A child present at the incident or living in the household, as the officer named them."""

    __tablename__ = "da_child"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mash_case.id", ondelete="CASCADE"), index=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("da_notification.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    given_name: Mapped[str | None] = mapped_column(String(100))
    family_name: Mapped[str | None] = mapped_column(String(100))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    #: A school id from processes/schools.toml, when the officer knows the school.
    school: Mapped[str | None] = mapped_column(String(80))
    present: Mapped[bool] = mapped_column(Boolean)
