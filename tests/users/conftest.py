"""Helpers for the users-and-leavers tests: the admin's pages, signing in step by step, authenticator codes."""
from __future__ import annotations

import re
from datetime import datetime

import pyotp

from tests.conftest import WebClient
from tests.security.conftest import events  # noqa: F401  (the audit reader, a fixture shared with the security tests)

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ONE_TIME = re.compile(r'id="one-time-password">([^<]+)<')
KEY = re.compile(r'id="totp-key">([^<]+)<')
#: A password that passes the rules.
NEW_PASSWORD = "heron quay lantern 42"


def csrf(client, path: str) -> str:
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def post(client, path: str, data: dict, *, csrf_from: str | None = None, **kwargs):
    return client.post(path, data={**data, "csrf_token": csrf(client, csrf_from or path)}, **kwargs)


def sign_in(client, username: str, password: str, *, address: str = "192.0.2.10"):
    environ = {"REMOTE_ADDR": address}
    token = CSRF.search(client.get("/login", environ_base=environ).get_data(as_text=True)).group(1)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                       environ_base=environ)


def add_user_by_page(admin: WebClient, username: str, *, roles=("health",), email: str | None = None) -> str:
    """The admin adds a user on /admin/users/new; returns the one-time password the page shows."""
    page = admin.post_form("/admin/users/new", {
        "username": username, "name": "Priya Okafor", "email": email or f"{username}@nhs.example.org",
        "agency": "Health", "roles": list(roles)})
    assert page.status_code == 200, page.get_data(as_text=True)[:3000]
    return ONE_TIME.search(page.get_data(as_text=True)).group(1)


def totp_key(page_html: str) -> str:
    return "".join(KEY.search(page_html).group(1).split())


def code_at(key: str, at: datetime) -> str:
    return pyotp.TOTP(key).at(at)
