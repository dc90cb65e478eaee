"""The digest: a person who chose it gets their non-urgent messages gathered into one e-mail, at most every
``digest_minutes``. It lists each message's subject and link (never personal), and is sent like any message."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.core.actor import SYSTEM
from app.core.clock import now
from app.core.config import MailSettings
from app.core.db import get_db
from app.notifications import catalogue as catalogues
from app.notifications.catalogue import DIGEST_KIND
from app.notifications.models import DIGESTED, HELD, QUEUED, Notification
from app.notifications.rendering import page_path, render

SETTINGS_PAGE = "/account/notifications"


class _Raced(Exception):
    """Another sender gathered these messages first."""


def people_due(session: Session, settings: MailSettings) -> list[int]:
    """Those whose oldest held message has waited a whole digest period."""
    due_before = now() - timedelta(minutes=settings.digest_minutes)
    return [uid for uid in session.scalars(
        select(Notification.recipient_user_id).where(Notification.status == HELD)
        .group_by(Notification.recipient_user_id).having(func.min(Notification.created_at) <= due_before))
        if uid is not None]


def gather_digests(settings: MailSettings) -> int:
    """One digest per person who is due; returns how many were gathered."""
    db = get_db()
    with db.unit_of_work(write=False) as session:
        due = people_due(session, settings)
    gathered = 0
    for user_id in due:
        try:
            with db.unit_of_work() as session:
                gathered += gather_for(session, user_id, settings) is not None
        except _Raced:
            continue
    return gathered


def gather_for(session: Session, user_id: int, settings: MailSettings) -> int | None:
    """Queue the digest of all ``user_id``'s held messages; returns its id, or None when nothing was held."""
    held = list(session.scalars(select(Notification).where(Notification.status == HELD,
                                                           Notification.recipient_user_id == user_id)
                                .order_by(Notification.created_at, Notification.id)))
    if not held:
        return None
    catalogue = catalogues.current()
    items = "\n".join(f"- {m.subject}\n  {settings.base_url}{page_path(m.case_id, m.task_id)}" for m in held)
    words = render(catalogue.kinds[DIGEST_KIND], facts={"count": str(len(held)), "items": items}, personal={},
                   secure=False, link=settings.base_url + SETTINGS_PAGE)
    created = now()
    digest = Notification(kind=DIGEST_KIND, channel=catalogue.kinds[DIGEST_KIND].channel,
                          recipient_user_id=user_id, to_address="", secure=False, urgent=False,
                          subject=words.subject[:300], body=words.body, template_id=words.template_id,
                          fields=words.fields, status=QUEUED, attempts=0, next_attempt_at=created,
                          created_at=created)
    session.add(digest)
    session.flush()
    ids = [m.id for m in held]
    result = session.execute(update(Notification).where(Notification.id.in_(ids), Notification.status == HELD)
                             .values(status=DIGESTED, digest_id=digest.id)
                             .execution_options(synchronize_session=False))
    if result.rowcount != len(ids):  # type: ignore[attr-defined]
        raise _Raced
    record(session, SYSTEM, "notification.digest-gathered",
           summary=f"Notification {digest.id} gathers {len(ids)} messages",
           details={"notification_id": digest.id, "kind": DIGEST_KIND, "gathers": ids})
    return digest.id
