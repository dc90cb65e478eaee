"""Garbage from a partner system gets a clear 4xx and stores nothing, on every JSON POST of the API.

Extends test_refusals_and_races.py (which covers the contact endpoint's field errors, text/plain and a
non-object body) to the task, re-rating and subject-access endpoints, oversized bodies, more content types,
and injection strings in every string field. "Stores nothing" is checked on every table but the ones a
request writes whatever it carries (the audit trail, the token's last use, sessions, the scheduler lease).
"""
from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import func, inspect, select, table

from tests import factories as f
from tests.api.test_referral_walks import report, task_id

#: Written by any authenticated request (its token use is audited), so not part of "stores nothing".
REQUEST_TABLES = {"audit_event", "audit_chain_head", "api_token", "user_session", "login_throttle",
                  "scheduler_lease", "alembic_version"}
INJECTIONS = ["'; DROP TABLE mash_case; --", "<script>alert(1)</script>", "{{7*7}}", "nul\x00byte",
              "x" * 10_000, "\u202eevil\u202c txt.exe"]
TOO_LARGE = 2 * 1024 * 1024 + 1  # MAX_CONTENT_LENGTH in app/__init__.py, plus one byte


def snapshot(db) -> dict[str, int]:
    with db.unit_of_work(write=False) as session:
        names = inspect(session.connection()).get_table_names()
        return {name: session.scalar(select(func.count()).select_from(table(name)))
                for name in names if name not in REQUEST_TABLES}


@pytest.fixture
def endpoints(api):
    """(path, user, a valid body) for each JSON POST of the API, against one case waiting for screening."""
    case_id = report(api)
    screening = task_id(api, case_id, "screening", "mash-manager")
    return {
        "contact": ("/api/v1/contacts", "referrer", f.contact()),
        "complete": (f"/api/v1/tasks/{screening}/complete", "mash-manager", f.screening()),
        "rag": (f"/api/v1/cases/{case_id}/rag", "mash-manager", {"rag": "red", "rag_rationale": "New concern."}),
        "subject-access": ("/api/v1/subject-access-exports", "admin", {"given_name": "Ava", "family_name": "Smith"}),
    }


def send(api, path: str, user: str, data, content_type: str):
    client = api(user)
    return client.client.post(path, data=data, headers={**client._headers(), "Content-Type": content_type})


def refused(response, *statuses: int) -> str:
    assert response.status_code in statuses, (response.status_code, response.get_data(as_text=True)[:300])
    message = response.get_json()["errors"][0]["message"]
    assert message
    return message


ENDPOINTS = ["contact", "complete", "rag", "subject-access"]


@pytest.mark.parametrize("name", ENDPOINTS)
def test_a_body_over_the_size_limit_is_refused_with_413(api, db, endpoints, name):
    path, user, _ = endpoints[name]
    before = snapshot(db)
    body = '{"concern": "' + "x" * TOO_LARGE + '"}'
    assert "too large" in refused(send(api, path, user, body, "application/json"), 413)
    assert snapshot(db) == before


@pytest.mark.parametrize("name", ENDPOINTS)
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_body_that_is_not_json_is_refused_with_a_clear_message(api, db, endpoints, name, content_type):
    path, user, body = endpoints[name]
    before = snapshot(db)
    assert "JSON" in refused(send(api, path, user, json.dumps(body), content_type), 400, 415)
    assert snapshot(db) == before


@pytest.mark.parametrize("name", ENDPOINTS)
@pytest.mark.parametrize("text", ['{"rag": "red",', "{'rag': 'red'}", "", "null", "[1, 2]", "\xff\xfe"])
def test_malformed_json_is_refused_and_stores_nothing(api, db, endpoints, name, text):
    path, user, _ = endpoints[name]
    before = snapshot(db)
    # 422 like test_refusals_and_races.py pins for contacts: "The body must be a JSON object."
    assert "JSON object" in refused(send(api, path, user, text, "application/json"), 422)
    assert snapshot(db) == before


@pytest.mark.parametrize("name", ENDPOINTS[1:])  # the contact's unknown field is in test_refusals_and_races.py
def test_an_unknown_field_is_refused_with_422_naming_it(api, db, endpoints, name):
    path, user, body = endpoints[name]
    before = snapshot(db)
    response = api(user).post(path, json={**body, "is_admin": True})
    refused(response, 422)
    assert "is_admin" in {e["field"] for e in response.get_json()["errors"]}
    assert snapshot(db) == before


def _string_fields(value, path=()):
    """Paths to every string leaf of a JSON body."""
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _string_fields(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _string_fields(item, (*path, index))


def _with(body, path, text):
    body = copy.deepcopy(body)
    target = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = text
    return body


def _stored_text(db, case_id: int) -> list:
    """Every value of the contact's row and its subjects' rows, exactly as stored."""
    from app.cases.models import Subject
    from app.intake.models import Contact

    with db.unit_of_work(write=False) as session:
        rows = [session.scalar(select(Contact).where(Contact.case_id == case_id)),
                *session.scalars(select(Subject).where(Subject.case_id == case_id))]
        return [getattr(row, column.key) for row in rows for column in inspect(type(row)).columns]


def test_injection_strings_in_every_contact_field_are_refused_or_stored_as_plain_text(api, db):
    from app.cases.models import Case

    client = api("referrer")
    stored = 0
    for field in _string_fields(f.contact()):
        for text in INJECTIONS:
            before = snapshot(db)
            response = client.post("/api/v1/contacts", json=_with(f.contact(), field, text))
            if response.status_code == 201:
                stored += 1
                assert text in _stored_text(db, response.get_json()["case_id"]), field
            else:
                refused(response, 422)
                assert snapshot(db) == before, (field, text[:40])
    with db.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Case)) == stored  # the table is still there
    assert stored > 0


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_strings_in_a_re_rating_and_a_subject_access_request_are_answered_with_4xx_or_kept_as_text(
        api, db, endpoints, text):
    path, user, body = endpoints["rag"]
    response = api(user).post(path, json={**body, "rag_rationale": text})
    if response.status_code == 200:
        assert response.get_json()["rag_history"][-1]["rationale"] == text
    else:
        refused(response, 422)
    path, user, body = endpoints["subject-access"]
    before = snapshot(db)
    response = api(user).post(path, json={"given_name": text, "family_name": text})
    if response.status_code == 200:
        assert response.get_json()["subject_access_export"]["case_count"] == 0
    else:
        refused(response, 422)
    assert snapshot(db) == before
