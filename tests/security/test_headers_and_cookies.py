"""Every response carries the security headers (pages, API, errors, static files); cookies are HttpOnly and
SameSite, and Secure with the __Host- prefix and HSTS when served over HTTPS."""
from __future__ import annotations

import re

import pytest

from app import create_app
from app.core.config import load_settings
from tests.security.conftest import attempt

EVERY_RESPONSE = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def assert_hardened(response, *, cacheable: bool = False) -> None:
    for name, value in EVERY_RESPONSE.items():
        assert response.headers.get(name) == value, name
    assert "camera=()" in response.headers["Permissions-Policy"]
    csp = response.headers["Content-Security-Policy"]
    assert re.search(r"script-src 'self' 'nonce-[A-Za-z0-9_-]{16,}'", csp)
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'",
                      "style-src 'self'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    if cacheable:
        assert response.headers.get("Cache-Control") != "no-store"
    else:
        assert response.headers["Cache-Control"] == "no-store"


def test_a_page_has_the_headers_and_its_scripts_carry_the_responses_nonce(app):
    response = app.test_client().get("/login")
    assert_hardened(response)
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    scripts = re.findall(r"<script([^>]*)>", response.get_data(as_text=True))
    assert scripts and all(f'nonce="{nonce}"' in attributes for attributes in scripts)
    again = app.test_client().get("/login").headers["Content-Security-Policy"]
    assert nonce not in again, "a nonce is used once"


def test_signed_in_pages_and_the_wall_have_them(web):
    manager = web("mash-manager")
    for path in ("/inbox", "/dashboard", "/dashboard?fragment=1"):
        response = manager.get(path)
        assert response.status_code == 200, path
        assert_hardened(response)


def test_api_answers_have_them(app, api):
    assert_hardened(api("police").get("/api/v1/tasks"))
    assert_hardened(app.test_client().get("/api/v1/openapi.json"))
    refused = app.test_client().get("/api/v1/tasks")
    assert refused.status_code == 401
    assert_hardened(refused)


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/no-such-page", 404),
    ("GET", "/api/v1/no-such-thing", 404),
    ("DELETE", "/login", 405),
    ("GET", "/api/v1/contacts", 405),
])
def test_errors_have_them(app, method, path, status):
    response = app.test_client().open(path, method=method)
    assert response.status_code == status
    assert_hardened(response)
    if path.startswith("/api/"):
        assert response.get_json()["errors"][0]["message"]
    else:
        assert "govuk-heading-l" in response.get_data(as_text=True)
    if status == 405:
        assert "GET" in response.headers["Allow"] or "POST" in response.headers["Allow"]


def test_a_body_too_large_is_refused_with_them(api):
    response = api("referrer").post("/api/v1/contacts", data="x" * (3 * 1024 * 1024),
                                    headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert_hardened(response)


def test_a_server_error_shows_no_trace_and_has_them(app, api, monkeypatch):
    import app.inbox.api as api_views

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(api_views, "inbox_for", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = api("police").get("/api/v1/tasks")
    assert response.status_code == 500
    assert_hardened(response)
    assert "boom" not in response.get_data(as_text=True) and "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/static/app.css", "/static/govuk/govuk-frontend.min.js",
                                  "/assets/images/favicon.svg"])
def test_static_files_have_them_and_may_be_cached(app, path):
    response = app.test_client().get(path)
    assert response.status_code == 200
    assert_hardened(response, cacheable=True)


def test_cookies_are_httponly_and_samesite_lax_and_last_only_as_long_as_the_browser(app):
    client = app.test_client()
    response = attempt(client, "police")
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("mash-session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Expires" not in cookie and "Max-Age" not in cookie  # the server session decides timeouts
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP (development): no HSTS


@pytest.fixture
def https_app(settings):
    application = create_app(load_settings(**{**settings.__dict__, "https": True}))
    application.config.update(TESTING=True)
    return application


def test_over_https_the_cookie_is_secure_host_prefixed_and_hsts_is_sent(https_app):
    client = https_app.test_client()
    page = client.get("/login", base_url="https://hub.example.org")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "upgrade-insecure-requests" in page.headers["Content-Security-Policy"]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    # Referrer-Policy: no-referrer means browsers post forms with no Referer: sign-in must still work.
    response = client.post("/login", base_url="https://hub.example.org",
                           data={"username": "police", "password": "test-password-1", "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-mash-session=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "Path=/" in cookie and "Domain" not in cookie
    assert client.get("/inbox", base_url="https://hub.example.org").status_code == 200


def test_behind_a_trusted_proxy_https_and_the_client_address_come_from_its_headers(settings, events):
    application = create_app(load_settings(**{**settings.__dict__, "https": True, "proxy_hops": 1}))
    client = application.test_client()
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}
    page = client.get("/login", headers=forwarded)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = client.post("/login", headers=forwarded,
                           data={"username": "police", "password": "test-password-1", "csrf_token": token})
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]
    assert events("auth.login")[-1].details["address"] == "198.51.100.7"
