"""Queued messages and each person's choice of how non-urgent ones reach them.

A message is written in the transaction of the action that causes it and sent by the scheduler after that
commits, so it exists exactly when the action does. Its address and text are personal data (retention erases
them with the case, and after a sent message's keeping period); its kind, state and ids are not.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime

#: Waiting to be sent (or to be tried again at ``next_attempt_at``).
QUEUED = "queued"
#: Waiting for its recipient's next digest.
HELD = "held"
#: Claimed by a sender until ``claimed_until``.
SENDING = "sending"
SENT = "sent"
#: Gathered into a digest message (``digest_id``), which is sent in its place.
DIGESTED = "digested"
#: Failed ``max_attempts`` times: on the dead-letter list for an operations manager to retry or discard.
DEAD = "dead"
DISCARDED = "discarded"
STATES = (QUEUED, HELD, SENDING, SENT, DIGESTED, DEAD, DISCARDED)

IMMEDIATE = "immediate"
DIGEST = "digest"
DELIVERIES = (IMMEDIATE, DIGEST)


class Notification(Base):
    """One message to one recipient."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_due", "status", "next_attempt_at"),
                      Index("ix_notification_held", "status", "recipient_user_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    #: "email" (the council's SMTP relay) or "notify" (GOV.UK Notify), from notifications.toml.
    channel: Mapped[str] = mapped_column(String(20))
    #: The staff member it is for (a role expanded to its people), or none for a team or referrer address.
    recipient_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"),
                                                          index=True)
    #: Personal data: the address it goes to, for a team or a referrer. Empty for a member of staff, whose address
    #: stays in their own account (read when the message is sent).
    to_address: Mapped[str] = mapped_column(String(254))
    #: The address's domain was on the secure list when queued, so the text may name the child.
    secure: Mapped[bool] = mapped_column(Boolean, default=False)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    #: Never personal (validated against the template's personal fields).
    subject: Mapped[str] = mapped_column(String(300), default="")
    #: Personal data when ``secure``: the text sent.
    body: Mapped[str] = mapped_column(Text, default="")
    #: GOV.UK Notify: the template and the personalisation it is filled with (personal data when ``secure``).
    template_id: Mapped[str | None] = mapped_column(String(80))
    fields: Mapped[dict | None] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The kind of the last failure (an exception class, an SMTP or HTTP code): never the server's words.
    last_error: Mapped[str | None] = mapped_column(String(200))
    #: The digest message that carried this one.
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("notification.id", ondelete="SET NULL"))
    #: Notify's id for the message, or the SMTP Message-ID.
    provider_ref: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dead_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The address and text were erased (retention): codes and ids stay.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class NotificationPreference(Base):
    """How a person wants non-urgent messages: one by one, or gathered into a digest. Red and urgent
    messages always go at once."""

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    delivery: Mapped[str] = mapped_column(String(20), default=DIGEST)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
