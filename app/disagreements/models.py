"""The record of professional disagreements about a contact: who disputed what, their view, and how it was
resolved. Personal data (the view and the rationale name the family): anonymised with the case and in the
subject access export (app/retention/records.py)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime

#: What can be disputed (the raise form's ``disputed``).
DISPUTED = ("rag", "outcome", "other")
#: How a disagreement ends (the resolve form's ``resolution``).
RESOLUTIONS = ("resolved-agreed", "decision-upheld", "decision-changed", "escalated")


class ProfessionalDisagreement(Base):
    __tablename__ = "professional_disagreement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mash_case.id", ondelete="CASCADE"), index=True)
    #: The "Resolve professional disagreement" task the signal opened (None until it has opened).
    task_id: Mapped[str | None] = mapped_column(String(36), index=True)
    raised_by: Mapped[str] = mapped_column(String(80))
    #: The role they raised it in (an agency, a decision maker, or ``referrer``) and their user's agency.
    raised_by_role: Mapped[str] = mapped_column(String(40))
    raised_by_agency: Mapped[str | None] = mapped_column(String(80))
    #: ``rag`` | ``outcome`` | ``other`` (DISPUTED), with the RAG and outcome disputed as they stood then.
    disputed: Mapped[str] = mapped_column(String(20))
    rag_at_raising: Mapped[str | None] = mapped_column(String(10))
    outcome_at_raising: Mapped[str | None] = mapped_column(String(40))
    #: The disputing party's view and why, in their words.
    view: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(80))
    #: RESOLUTIONS, with the operations manager's words.
    resolution: Mapped[str | None] = mapped_column(String(30))
    resolution_rationale: Mapped[str | None] = mapped_column(Text)
    changed_to: Mapped[str | None] = mapped_column(Text)
    escalated_to: Mapped[str | None] = mapped_column(Text)
    disputing_party_told: Mapped[str | None] = mapped_column(String(10))

    @property
    def open(self) -> bool:
        return self.resolved_at is None

    def resolve(self, answers: dict, by: str, at: datetime) -> None:
        """The operations manager's answers at "Resolve professional disagreement"."""
        self.resolution = answers.get("resolution")
        self.resolution_rationale = answers.get("resolution_rationale")
        self.changed_to = answers.get("changed_to")
        self.escalated_to = answers.get("escalated_to")
        self.disputing_party_told = answers.get("disputing_party_told")
        self.resolved_by, self.resolved_at = by, at
