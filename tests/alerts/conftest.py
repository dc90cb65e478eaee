"""What the alert tests share: staff with e-mail addresses, the hub's working hours, and the queued messages read
back as the notify package wrote them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from app.auth.models import User
from app.core.clock import clock
from app.notifications.models import Notification

#: A Monday morning: the hub is open.
MONDAY_10 = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)
#: The children's names the tests use (tests.factories.contact's Ava Smith, and Ben Jones for a second child).
CHILD = ("Ava", "Smith", "Ben", "Jones")
#: Police read their mail on a secure domain (cjsm); everyone else on an ordinary one.
SECURE_POLICE = "police@force.cjsm.net"


@dataclass(frozen=True)
class Sent:
    """One queued message, as the tests read it."""

    kind: str
    to: str
    username: str | None
    secure: bool
    urgent: bool
    case_id: int | None
    task_id: str | None
    subject: str
    body: str

    @property
    def words(self) -> str:
        return f"{self.subject}\n{self.body}"


@pytest.fixture(autouse=True)
def _in_working_hours():
    clock.freeze(MONDAY_10)


@pytest.fixture(autouse=True)
def _staff_addresses(db):
    """Every demo user gets an address: police a secure one, the rest an ordinary one."""
    with db.unit_of_work() as session:
        for user_id, username in session.execute(select(User.id, User.username)).all():
            address = SECURE_POLICE if username == "police" else f"{username}@hub.example.org"
            session.execute(update(User).where(User.id == user_id).values(email=address))


def queued(db, kind: str | None = None, case_id: int | None = None) -> list[Sent]:
    """The messages queued so far, oldest first."""
    with db.unit_of_work(write=False) as session:
        staff = {user_id: (username, email) for user_id, username, email
                 in session.execute(select(User.id, User.username, User.email)).all()}
        query = select(Notification).order_by(Notification.id)
        if kind is not None:
            query = query.where(Notification.kind == kind)
        if case_id is not None:
            query = query.where(Notification.case_id == case_id)
        # A member of staff's address stays in their account and is read when the message is sent.
        return [Sent(n.kind, n.to_address or staff.get(n.recipient_user_id, ("", ""))[1],
                     staff.get(n.recipient_user_id, (None, ""))[0], n.secure, n.urgent, n.case_id, n.task_id,
                     n.subject, n.body) for n in session.scalars(query)]


def names_the_child(message: Sent) -> bool:
    return any(name in message.words for name in CHILD)
