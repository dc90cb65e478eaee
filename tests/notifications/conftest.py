"""Staff with e-mail addresses, and the messages the hub has queued."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.notifications import catalogue
from app.notifications.models import Notification

#: Who gets what in these tests: the police practitioner at a non-secure address, the health practitioner at
#: nhs.net (secure), the MASH manager at the council (secure through MASH_COUNCIL_DOMAIN).
ADDRESSES = {"police": "pc.jones@police.example", "health": "nurse.khan@nhs.net",
             "mash-manager": "manager@council.gov.uk", "ops-manager": "ops@council.gov.uk",
             "admin": "admin@council.gov.uk"}


@pytest.fixture
def staff_addresses(db, monkeypatch):
    monkeypatch.setenv("MASH_COUNCIL_DOMAIN", "council.gov.uk")
    monkeypatch.setenv("MASH_BASE_URL", "https://mash.council.gov.uk")
    with db.unit_of_work() as session:
        for user in session.scalars(select(User)):
            user.email = ADDRESSES.get(user.username)
    return ADDRESSES


@pytest.fixture(autouse=True)
def _hub_words():
    catalogue.use(None)
    yield
    catalogue.use(None)


def user_id(session, username: str) -> int:
    return session.scalars(select(User.id).where(User.username == username)).one()


def messages(db) -> list[Notification]:
    with db.unit_of_work(write=False) as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


class Mailbox:
    """A real SMTP server in this process (aiosmtpd): the bytes of every message, and its envelope."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []
        self.refuse_with: str | None = None

    async def handle_DATA(self, _server, _session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.refuse_with:
            return self.refuse_with
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"

    def parsed(self):
        from email import policy
        from email.parser import BytesParser
        return [BytesParser(policy=policy.default).parsebytes(raw) for _sender, _to, raw in self.received]


@pytest.fixture
def mailbox(monkeypatch):
    from aiosmtpd.controller import Controller

    from app.notifications.devmail import free_port

    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("MASH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MASH_SMTP_PORT", str(port))
    monkeypatch.setenv("MASH_SMTP_STARTTLS", "0")
    monkeypatch.setenv("MASH_MAIL_FROM", "MASH <mash@council.gov.uk>")
    monkeypatch.delenv("MASH_DEV_MAIL", raising=False)
    yield box
    controller.stop()


def audit_events(db, prefix: str = "notification."):
    from app.audit.models import AuditEvent
    with db.unit_of_work(write=False) as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action.startswith(prefix))
                                    .order_by(AuditEvent.id)))
