from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime


class Contact(Base):
    """The concern as the referrer reported it, kept apart from the hub's analysis."""

    __tablename__ = "contact"
    __table_args__ = (UniqueConstraint("created_by_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mash_case.id", ondelete="CASCADE"), unique=True)
    source: Mapped[str] = mapped_column(String(4))
    channel: Mapped[str] = mapped_column(String(20))
    referrer_name: Mapped[str] = mapped_column(String(200))
    referrer_organisation: Mapped[str | None] = mapped_column(String(200))
    referrer_role: Mapped[str | None] = mapped_column(String(200))
    referrer_email: Mapped[str | None] = mapped_column(String(320))
    referrer_phone: Mapped[str | None] = mapped_column(String(40))
    concern: Mapped[str] = mapped_column(Text)
    immediate_risk: Mapped[bool] = mapped_column(Boolean)
    consent_status: Mapped[str] = mapped_column(String(20))
    consent_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    #: SHA-256 of the contact as sent with the key (app.intake.operations.contact_digest): the same key with a
    #: different contact is refused, never answered with this one. Derived from personal data: anonymised with it.
    idempotency_digest: Mapped[str | None] = mapped_column(String(64))
    #: The true receipt time (the case's ``received_at``), and why it was stated when the contact was typed in
    #: after it arrived by phone or e-mail (free text: anonymised with the contact).
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at_reason: Mapped[str | None] = mapped_column(Text)
    #: What kind of contact this is (app/intake/contact_types.py): it names the process the contact starts.
    type: Mapped[str] = mapped_column(String(40), default="contact", server_default="contact")
