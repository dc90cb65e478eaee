"""The record of information-sharing decisions (DOMAIN.md 6.5, ``InformationSharingDecision``).

One row per recipient: a screening that asks police and health for checks is two rows, a
dissemination to early help and the assessment team is two rows, and a decision not to share is one
row with no recipient. A dissemination is decided by the decision maker at the decision (``decided_by``)
and sent afterwards by business support (``sent_by``/``sent_at``, with the product as it left): a row
with no ``sent_at`` is decided and not sent yet. Codes and counts are columns so the record is reportable
without reading free text; the narrative (reasons) stays here for the case page, never in reports or the audit trail.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime
from app.core.vocabulary import CONSENT_GIVEN

STAGES = ("screening", "dissemination")
DECISIONS = ("share", "not-share")


class SharingDecision(Base):
    __tablename__ = "sharing_decision"
    __table_args__ = (Index("ix_sharing_decision_decided_at", "decided_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mash_case.id", ondelete="CASCADE"), index=True)
    #: The completed task the decision was made in: screening, decision, or feedback (cases decided before #18).
    task_id: Mapped[str] = mapped_column(String(36), index=True)
    stage: Mapped[str] = mapped_column(String(20))
    decision: Mapped[str] = mapped_column(String(20))
    #: Agency or team code (forms' recipient lists); None when nothing was shared.
    recipient: Mapped[str | None] = mapped_column(String(40))
    purpose: Mapped[str | None] = mapped_column(String(60))
    #: Item kinds and ids that went to the recipient, e.g. ["contact-summary", "agency-return:12"].
    what_shared: Mapped[list] = mapped_column(JSON)
    #: What was left out and why: [{"item": "agency-return:13", "agency": "police", "reason": "hub-only"}].
    withheld: Mapped[list] = mapped_column(JSON)
    #: How many identities partners asked the hub to protect (hidden from the product); never the names.
    identities_protected: Mapped[int] = mapped_column(Integer, default=0)
    #: The UK GDPR Art 6 basis, or the DPA 2018 Part 3 basis (then law_enforcement_part3 is true).
    lawful_basis_art6: Mapped[str | None] = mapped_column(String(60))
    condition_art9: Mapped[str | None] = mapped_column(String(60))
    law_enforcement_part3: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_status: Mapped[str] = mapped_column(String(20))
    reason_without_consent: Mapped[str | None] = mapped_column(Text)
    #: Whether the child and family were told; None where the step does not ask (screening).
    subject_informed: Mapped[bool | None] = mapped_column(Boolean)
    subject_informed_reason: Mapped[str | None] = mapped_column(Text)
    #: The information product exactly as it left the hub (dissemination shares only).
    product: Mapped[dict | None] = mapped_column(JSON)
    decided_by: Mapped[str] = mapped_column(String(80))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Who sent the product as decided, when and how (dissemination only; None until it is sent).
    sent_by: Mapped[str | None] = mapped_column(String(80))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_method: Mapped[str | None] = mapped_column(String(40))
    #: The feedback task that sent it.
    sent_task_id: Mapped[str | None] = mapped_column(String(36))

    @property
    def without_consent(self) -> bool:
        return self.decision == "share" and self.consent_status != CONSENT_GIVEN
