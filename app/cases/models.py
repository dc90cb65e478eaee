from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, UTCDateTime


def _typed_in_when_received(context: Any) -> datetime:
    """A case made without a typed-in time was typed in when it was received."""
    return context.get_current_parameters()["received_at"]


class Case(Base):
    """One contact's journey through the hub. ``state`` is the serialized workflow; ``version``
    is the optimistic lock that turns a lost update into a clear conflict."""

    __tablename__ = "mash_case"
    __table_args__ = (Index("ix_mash_case_status_received_at", "status", "received_at"),
                      # The scheduler's "what is due next among open cases" (SQLite otherwise scans open cases).
                      Index("ix_mash_case_status_next_timer_due", "status", "next_timer_due"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    closure: Mapped[str | None] = mapped_column(String(100))
    rag: Mapped[str | None] = mapped_column(String(10))
    rag_initial: Mapped[str | None] = mapped_column(String(10))
    consent: Mapped[str | None] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(40))
    outcome_rationale: Mapped[str | None] = mapped_column(Text)
    strategy_outcome: Mapped[str | None] = mapped_column(String(40))
    immediate_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    has_open_case: Mapped[bool] = mapped_column(Boolean, default=False)
    linked_case_id: Mapped[int | None] = mapped_column(ForeignKey("mash_case.id"))
    #: When the contact reached the hub: every clock runs from it. For a contact taken by phone or e-mail and
    #: typed in later, the time business support or the MASH manager stated (with a reason, audited).
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: When the contact was typed into the system (the same as ``received_at`` unless a receipt time was stated).
    typed_in_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=_typed_in_when_received)
    #: The referral date (case data ``referral_date``): when the decision made the contact a referral (section 17
    #: assessment or strategy discussion). The CIN census counts referrals by it.
    referral_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(80))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    current_step: Mapped[str] = mapped_column(String(500), default="")
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    state: Mapped[str] = mapped_column(Text, default="")
    next_timer_due: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    #: When the retention policy removed this contact's personal data (app/retention); ``state`` is then empty.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: A coded reason (app.retention.policy.HOLD_REASONS) that keeps the contact from anonymisation.
    retention_hold: Mapped[str | None] = mapped_column(String(40))
    #: CIN census factor codes (DOMAIN.md 5.2) the screener coded the concern with (app/core/codes.py).
    presenting_factors: Mapped[list | None] = mapped_column(JSON)
    #: The threshold table's suggestion at screening (app.casework.threshold), the rating the screener chose, and
    #: whether it differed (None: no suggestion was available). The reason stays with the screening's submission.
    suggested_rag: Mapped[str | None] = mapped_column(String(10))
    suggested_rule: Mapped[str | None] = mapped_column(String(200))
    screened_rag: Mapped[str | None] = mapped_column(String(10))
    rag_overridden: Mapped[bool | None] = mapped_column(Boolean)

    subjects: Mapped[list[Subject]] = relationship(back_populates="case", order_by="Subject.position",
                                                   cascade="all, delete-orphan", lazy="selectin")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it as a plain dict)


class Subject(Base):
    __tablename__ = "subject"
    __table_args__ = (Index("ix_subject_match", "family_name", "given_name", "date_of_birth"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mash_case.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(20))
    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    address: Mapped[str | None] = mapped_column(String(500))
    nhs_number: Mapped[str | None] = mapped_column(String(10))
    #: CIN ``GenderCurrent`` code, as the referrer gave it.
    gender: Mapped[str | None] = mapped_column(String(1))
    #: The person record made for this subject at intake (app/people); merges may make it part of another.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    case: Mapped[Case] = relationship(back_populates="subjects")

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip() or "Anonymised"


class RagChange(Base):
    """Every RAG rating a case has had, with who, when and why (the rationale is required)."""

    __tablename__ = "rag_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mash_case.id", ondelete="CASCADE"), index=True)
    from_rag: Mapped[str | None] = mapped_column(String(10))
    to_rag: Mapped[str] = mapped_column(String(10))
    rationale: Mapped[str] = mapped_column(Text, default="")
    step: Mapped[str | None] = mapped_column(String(200))
    changed_by: Mapped[str] = mapped_column(String(80))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CompletedTask(Base):
    """Each completed user task exactly once, with the form as submitted."""

    __tablename__ = "completed_task"

    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mash_case.id", ondelete="CASCADE"), index=True)
    process_id: Mapped[str] = mapped_column(String(100))
    bpmn_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    form_key: Mapped[str] = mapped_column(String(100))
    data: Mapped[dict] = mapped_column(JSON)
    completed_by: Mapped[str] = mapped_column(String(80))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AgencyReturn(Base):
    """What one agency found (or that nothing is known), with any handling restriction."""

    __tablename__ = "agency_return"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mash_case.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str] = mapped_column(String(36), unique=True)
    agency: Mapped[str] = mapped_column(String(40))
    nothing_known: Mapped[bool] = mapped_column(Boolean)
    findings: Mapped[str | None] = mapped_column(Text)
    handling_restriction: Mapped[str] = mapped_column(String(40))
    restriction_note: Mapped[str | None] = mapped_column(Text)
    third_parties_to_protect: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    returned_by: Mapped[str] = mapped_column(String(80))
    returned_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StrategyDiscussion(Base):
    __tablename__ = "strategy_discussion"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mash_case.id", ondelete="CASCADE"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    attendees: Mapped[list] = mapped_column(JSON)
    summary: Mapped[str] = mapped_column(Text)
    strategy_outcome: Mapped[str] = mapped_column(String(40))
    actions: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReferrerFeedback(Base):
    """How the referrer was told, and where the information product went."""

    __tablename__ = "referrer_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mash_case.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text)
    recipients: Mapped[list] = mapped_column(JSON)
    dissemination_note: Mapped[str | None] = mapped_column(Text)
    sent_by: Mapped[str] = mapped_column(String(80))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
