"""The sender: after the action's commit, the scheduler (app/casework/scheduler.py) calls ``drain`` every few
seconds in every worker. Each message is claimed by a conditional UPDATE before it is sent, so two workers never
send one message twice (on SQLite the write lock serialises the claims, on PostgreSQL the row lock does and the
second UPDATE finds the row already claimed). A sender that dies mid-send loses its claim when it lapses and
the message is tried again: at least once, never twice at the same time.

A failure is counted and the message waits ``retry_seconds`` × 2^(attempts-1) before the next try; after
``max_attempts`` it goes to the dead letters. Every outcome is audited by the message's id; logs and the audit
trail carry ids, kinds and error codes, never an address or the text."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.auth.models import User
from app.core.actor import SYSTEM
from app.core.clock import now
from app.core.config import MailSettings, mail_settings
from app.core.db import get_db
from app.notifications import catalogue as catalogues
from app.notifications.digests import gather_digests
from app.notifications.email import send_email
from app.notifications.govuk_notify import send_notify_email
from app.notifications.models import DEAD, QUEUED, SENDING, SENT, Notification

log = logging.getLogger(__name__)

#: A claimed message is the claimer's for this long (real time): longer than any one send.
CLAIM_TTL = timedelta(minutes=2)
BATCH = 50


@dataclass(frozen=True)
class Outgoing:
    """What the channel needs, read before sending so no transaction is open during the network call."""

    id: int
    kind: str
    secure: bool
    channel: str
    to: str
    subject: str
    body: str
    template_id: str | None
    fields: dict[str, str]


def _wall_clock() -> datetime:
    return datetime.now(UTC)


def drain(holder: str = "sender", *, settings: MailSettings | None = None, limit: int = BATCH) -> int:
    """Gather the digests that are due, then send what is due; returns how many were sent. Never raises: the
    scheduler's other work must go on."""
    settings = settings or mail_settings()
    if os.environ.get("MASH_TRAINING") == "1" and not settings.dev_mail:
        return 0  # the sandbox's cases are made up: nothing leaves it but to the local sink
    try:
        gather_digests(settings)
    except Exception:
        log.exception("gathering notification digests failed")
    sent = 0
    try:
        for message_id in claim_due(holder, limit=limit):
            sent += deliver(message_id, holder, settings)
    except Exception:
        log.exception("sending notifications failed")
    return sent


def _claimable(current: datetime, wall: datetime):
    return or_(and_(Notification.status == QUEUED, Notification.next_attempt_at <= current),
               and_(Notification.status == SENDING, Notification.claimed_until < wall))


def claim_due(holder: str, *, limit: int = BATCH) -> list[int]:
    """Claim up to ``limit`` due messages for ``holder``: the ones another sender claimed first are skipped."""
    current, wall = now(), _wall_clock()
    claimed: list[int] = []
    db = get_db()
    with db.unit_of_work(write=False) as session:  # almost always nothing: no write lock for that
        candidates = list(session.scalars(select(Notification.id).where(_claimable(current, wall))
                                          .order_by(Notification.next_attempt_at, Notification.id).limit(limit)))
    if not candidates:
        return claimed
    with db.unit_of_work() as session:
        for message_id in candidates:
            result = session.execute(
                update(Notification).where(Notification.id == message_id, _claimable(current, wall))
                .values(status=SENDING, claimed_by=holder[:80], claimed_until=wall + CLAIM_TTL)
                .execution_options(synchronize_session=False))
            if result.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append(message_id)
    return claimed


class NoAddress(Exception):
    """The member of staff has left or has no e-mail address: trying again will not help."""


class NoLongerSecure(Exception):
    """The text names the child, and the member of staff's address is no longer on the secure list."""


def _outgoing(message_id: int) -> Outgoing:
    with get_db().unit_of_work(write=False) as session:
        m = session.get_one(Notification, message_id)
        return Outgoing(id=m.id, kind=m.kind, secure=m.secure, channel=m.channel,
                        to=m.to_address or _staff_address(session, m), subject=m.subject, body=m.body,
                        template_id=m.template_id, fields=dict(m.fields or {}))


def _staff_address(session: Session, message: Notification) -> str:
    user = session.get(User, message.recipient_user_id) if message.recipient_user_id is not None else None
    return user.email if user is not None and user.is_active_user and user.email else ""


def send(message: Outgoing, settings: MailSettings) -> str:
    """Through the message's channel; returns the provider's reference."""
    if message.channel == "notify":
        return send_notify_email(settings, to=message.to, template_id=message.template_id or "",
                                 fields=message.fields, reference=f"mash-notification-{message.id}")
    return send_email(settings, to=message.to, subject=message.subject, body=message.body)


def deliver(message_id: int, holder: str, settings: MailSettings) -> int:
    """Send one claimed message and record what happened; 1 if it went."""
    message = _outgoing(message_id)
    try:
        if not message.to:
            raise NoAddress
        if message.secure and not catalogues.current().is_secure(message.to, settings.council_domain):
            raise NoLongerSecure
        reference = send(message, settings)
    except Exception as error:  # noqa: BLE001 - every failure is counted; the next try or a person deals with it
        _failed(message_id, holder, error_code(error), settings,
                give_up=isinstance(error, (NoAddress, NoLongerSecure)))
        return 0
    with get_db().unit_of_work() as session:
        row = session.get_one(Notification, message_id)
        row.status, row.sent_at, row.attempts = SENT, now(), row.attempts + 1
        row.provider_ref, row.last_error = reference[:200], None
        row.claimed_by = row.claimed_until = None
        record(session, SYSTEM, "notification.sent", summary=f"Notification {row.id} sent",
               details=_facts(row) | {"attempt": row.attempts})
    log.info("notification %s sent (%s, %s)", message_id, message.kind, message.channel)
    return 1


def _failed(message_id: int, holder: str, code: str, settings: MailSettings, *, give_up: bool = False) -> None:
    log.warning("notification %s failed (%s)", message_id, code)
    with get_db().unit_of_work() as session:
        row = session.get_one(Notification, message_id)
        row.attempts += 1
        row.last_error = code[:200]
        row.claimed_by = row.claimed_until = None
        if give_up or row.attempts >= settings.max_attempts:
            row.status, row.dead_at, row.next_attempt_at = DEAD, now(), None
            record(session, SYSTEM, "notification.dead-lettered",
                   summary=f"Notification {row.id} failed {row.attempts} times: set aside for the operations manager",
                   details=_facts(row) | {"attempt": row.attempts, "error": row.last_error})
            return
        wait = retry_delay(settings, row.attempts)
        row.status, row.next_attempt_at = QUEUED, now() + wait
        record(session, SYSTEM, "notification.failed",
               summary=f"Notification {row.id} failed; tried again in {int(wait.total_seconds())} s",
               details=_facts(row) | {"attempt": row.attempts, "error": row.last_error,
                                      "retry_at": row.next_attempt_at.isoformat()})


def retry_delay(settings: MailSettings, attempts: int) -> timedelta:
    """Exponential back-off: the first retry after ``retry_seconds``, each next one twice as long."""
    return timedelta(seconds=settings.retry_seconds * 2 ** max(attempts - 1, 0))


def error_code(error: BaseException) -> str:
    """What kind of failure, never the server's words (they can quote the address or the text)."""
    name = type(error).__name__
    code = getattr(error, "smtp_code", None) or getattr(error, "status_code", None)
    return f"{name} {code}" if code else name


def _facts(row: Notification) -> dict:
    """The audit's view of a message: ids and codes only."""
    return {"notification_id": row.id, "kind": row.kind, "channel": row.channel, "case_id": row.case_id}

