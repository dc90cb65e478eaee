"""The adult safeguarding record: one row per run of the adult_at_risk pathway on a case (a contact about an adult at
risk, or a children's decision that raised a concern). Personal data (the adult's needs, wishes, the capacity and
best-interests reasoning, the enquiry's actions): anonymised with the case, in the subject access export and in the
personal-data scan (app/retention). The codes (kinds of abuse, decision, outcomes) stay for the SAC return."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime


class AdultSafeguarding(Base):
    """A concern about an adult at risk and what adult social care did with it: consent and capacity, the adult's
    wishes, the section 42 decision and the enquiry's outcome."""

    __tablename__ = "adult_safeguarding"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mash_case.id", ondelete="CASCADE"), index=True)
    #: "contact" (a contact about an adult at risk) or "decision" (a children's decision raised it).
    raised_from: Mapped[str] = mapped_column(String(20))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    #: The children's case the same contact started for the children it named (each sees the other).
    children_case_id: Mapped[int | None] = mapped_column(ForeignKey("mash_case.id", ondelete="SET NULL"))
    # The concern as raised (SAC: type, location and source of risk).
    care_needs: Mapped[str | None] = mapped_column(Text)
    abuse_kinds: Mapped[list | None] = mapped_column(JSON)
    location_of_risk: Mapped[str | None] = mapped_column(String(30))
    source_of_risk: Mapped[str | None] = mapped_column(String(30))
    adult_aware: Mapped[bool | None] = mapped_column(Boolean)
    adult_consents_to_concern: Mapped[str | None] = mapped_column(String(20))
    consent_reason: Mapped[str | None] = mapped_column(Text)
    # Consent, mental capacity (the five principles) and making safeguarding personal.
    consent: Mapped[str | None] = mapped_column(String(20))
    capacity: Mapped[str | None] = mapped_column(String(20))
    mca_principles: Mapped[list | None] = mapped_column(JSON)
    capacity_note: Mapped[str | None] = mapped_column(Text)
    advocate: Mapped[bool | None] = mapped_column(Boolean)
    outcomes_asked: Mapped[str | None] = mapped_column(String(20))
    desired_outcomes: Mapped[str | None] = mapped_column(Text)
    override_reason: Mapped[str | None] = mapped_column(Text)
    capacity_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A best-interests decision where the adult lacks capacity.
    best_interests_decision: Mapped[str | None] = mapped_column(Text)
    best_interests_consulted: Mapped[str | None] = mapped_column(Text)
    best_interests_by: Mapped[str | None] = mapped_column(String(200))
    # The section 42 decision: the three criteria, the decision, who and when, and whether it was in time.
    s42_duty_met: Mapped[bool | None] = mapped_column(Boolean)
    s42_decision: Mapped[str | None] = mapped_column(String(20))
    decision_rationale: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decision_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The enquiry's outcome (SAC: result; making safeguarding personal: outcomes met).
    risk_outcome: Mapped[str | None] = mapped_column(String(20))
    outcomes_met: Mapped[str | None] = mapped_column(String(20))
    actions_taken: Mapped[str | None] = mapped_column(Text)
    concluded_on: Mapped[date | None] = mapped_column(Date)
    concluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    concluded_by: Mapped[str | None] = mapped_column(String(80))

    @property
    def decided_in_time(self) -> bool | None:
        """Whether the section 42 decision was made by its due time (None until both are known)."""
        if self.decided_at is None or self.decision_due_at is None:
            return None
        return self.decided_at <= self.decision_due_at
