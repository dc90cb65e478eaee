"""Every HTML form POST needs the session's CSRF token; a refusal is a GOV.UK page (400) that changes nothing.

Refusals are logged (no form data) but not audited: with SameSite cookies a forged post arrives without a
session, so it names nobody, and an anonymous request must not be able to write into the permanent trail."""
from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from tests import factories as f
from tests.api.test_referral_walks import report, task_id
from tests.security.conftest import csrf_of

PLACEHOLDER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def form_posts(app) -> list[str]:
    """Every route that takes an HTML form POST (the API uses bearer tokens, not cookies)."""
    return sorted({rule.rule for rule in app.url_map.iter_rules()
                   if "POST" in rule.methods and not rule.rule.startswith("/api/")})


def audit_count(db) -> int:
    with db.unit_of_work(write=False) as session:
        return session.scalar(select(func.count()).select_from(AuditEvent))


@pytest.fixture
def values(api):
    case_id = report(api)
    return {"case_id": str(case_id), "task_id": task_id(api, case_id, "screening", "mash-manager")}


def test_there_are_form_posts_to_check(app):
    assert {"/login", "/logout", "/contacts/new", "/tasks/<task_id>"} <= set(form_posts(app))


@pytest.mark.parametrize("token", ["missing", "wrong", "another session's"])
def test_every_form_post_without_the_sessions_token_is_refused_and_changes_nothing(app, web, db, values, token):
    manager = web("mash-manager")
    other = web("police").csrf("/inbox")
    data = {"missing": {}, "wrong": {"csrf_token": "not-a-token"}, "another session's": {"csrf_token": other}}[token]
    before = audit_count(db)
    for rule in form_posts(app):
        path = PLACEHOLDER.sub(lambda m: values.get(m.group(1), "1"), rule)
        response = manager.client.post(path, data={**data, "rag": "red", "rag_rationale": "x"})
        assert response.status_code == 400, f"{path}: {response.status_code}"
        page = response.get_data(as_text=True)
        assert "The form could not be sent" in page and "govuk-heading-l" in page, path
    assert audit_count(db) == before
    assert manager.get("/inbox").status_code == 200, "a refused form does not sign anyone out"


def test_signing_in_needs_the_token_too(app):
    response = app.test_client().post("/login", data={"username": "police", "password": "test-password-1"})
    assert response.status_code == 400


def test_a_form_posted_from_another_site_is_refused_even_with_a_token(web, api):
    case_id = report(api)
    manager = web("mash-manager")
    path = f"/cases/{case_id}/rag"
    token = manager.csrf(path)
    for site in ("cross-site", "same-site"):
        refused = manager.client.post(path, data={"csrf_token": token, "rag": "red", "rag_rationale": "Forged."},
                                      headers={"Sec-Fetch-Site": site})
        assert refused.status_code == 400, site
    done = manager.client.post(path, data={"csrf_token": token, "rag": "red", "rag_rationale": "Police intelligence."},
                               headers={"Sec-Fetch-Site": "same-origin"})
    assert done.status_code == 302
    assert api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()["rag"] == "red"


def test_a_refusal_is_logged_without_the_forms_content(app, caplog):
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    csrf_of(client)
    client.post("/login", data={"username": "police", "password": "Secret-Typed-Here", "csrf_token": "forged"})
    refusals = [r for r in caplog.records if "form refused" in r.getMessage()]
    assert len(refusals) == 1 and refusals[0].levelno == logging.WARNING
    assert "auth.login" in refusals[0].getMessage()
    assert "Secret-Typed-Here" not in caplog.text and "police" not in caplog.text


def test_the_api_needs_no_csrf_token_because_it_takes_no_cookies(api, app):
    assert api("referrer").post("/api/v1/contacts", json=f.contact()).status_code == 201
    # A browser's session cookie does not authenticate the API.
    browser = app.test_client()
    from tests.security.conftest import attempt
    assert attempt(browser, "referrer").status_code == 302
    assert browser.post("/api/v1/contacts", json=f.contact()).status_code == 401
