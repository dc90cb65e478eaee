"""Every route declares who may use it; without signing in, pages send you to sign in and the API says 401."""
from __future__ import annotations

from app.auth.access import PUBLIC


PLACEHOLDERS = {"<int:case_id>": "1", "<task_id>": "x", "<int:incident_id>": "1", "<path:filename>": "x.css"}


def _routes(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def test_every_route_declares_its_access_rule(app):
    missing = [rule.rule for rule in _routes(app) if getattr(app.view_functions[rule.endpoint], "access_rule", None) is None]
    assert missing == []


def test_without_signing_in_only_public_routes_answer(app):
    client = app.test_client()
    for rule in _routes(app):
        access = app.view_functions[rule.endpoint].access_rule
        path = rule.rule
        for placeholder, value in PLACEHOLDERS.items():
            path = path.replace(placeholder, value)
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(path, method=method)
        if PUBLIC in access:
            continue
        if path.startswith("/api/"):
            assert response.status_code == 401, path
        else:
            assert response.status_code in (302, 400), path  # 400: CSRF refuses an anonymous POST first
            if response.status_code == 302:
                assert "/login" in response.headers["Location"], path


def test_pages_carry_security_headers(app):
    response = app.test_client().get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp and "object-src 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
