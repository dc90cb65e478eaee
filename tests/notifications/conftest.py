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
