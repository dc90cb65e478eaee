"""Helpers for the web-security tests: sign-in attempts through the real form and reading the audit trail."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from tests.conftest import PASSWORD

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(client, path: str = "/login", **kwargs) -> str:
    return CSRF.search(client.get(path, **kwargs).get_data(as_text=True)).group(1)


def attempt(client, username: str, password: str = PASSWORD, *, address: str = "192.0.2.10", path: str = "/login"):
    """One sign-in through the form, from a client address (as a proxy-less server sees it)."""
    environ = {"REMOTE_ADDR": address}
    return client.post(path, data={"username": username, "password": password,
                                   "csrf_token": csrf_of(client, environ_base=environ)}, environ_base=environ)


@pytest.fixture
def events(db):
    """events("auth.login") → that action's audit events, oldest first."""
    def read(action: str) -> list[AuditEvent]:
        with db.unit_of_work(write=False) as session:
            return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))
    return read
