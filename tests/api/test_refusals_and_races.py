"""Bad input gets a clear answer and stores nothing; two people at once leave one winner."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.cases.models import Case, CompletedTask
from tests import factories as f
from tests.api.test_referral_walks import complete, report, task_id


def count(db, model) -> int:
    with db.unit_of_work(write=False) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_an_invalid_contact_is_refused_field_by_field_and_nothing_is_stored(api, db):
    body = f.contact()
    body["subjects"][0].pop("family_name")
    body["referrer"]["email"] = "not-an-email"
    body["unexpected"] = "x"
    response = api("referrer").post("/api/v1/contacts", json=body)
    assert response.status_code == 422
    fields = {e["field"] for e in response.get_json()["errors"]}
    assert {"subjects.0.family_name", "referrer.email", "unexpected"} <= fields
    assert count(db, Case) == 0


@pytest.mark.parametrize(("kwargs", "status"), [
    ({"data": "not json", "headers": {"Content-Type": "text/plain"}}, 400),
    ({"data": "{broken", "headers": {"Content-Type": "application/json"}}, 422),
    ({"json": ["a", "list"]}, 422),
])
def test_bodies_that_are_not_a_json_object_get_a_clear_4xx(api, db, kwargs, status):
    client = api("referrer")
    response = client.client.post("/api/v1/contacts", headers={**client._headers(), **kwargs.pop("headers", {})},
                                  **kwargs)
    assert response.status_code == status
    assert response.get_json()["errors"][0]["message"]
    assert count(db, Case) == 0


def test_without_a_token_the_api_answers_401_and_pages_redirect_to_sign_in(app):
    client = app.test_client()
    assert client.get("/api/v1/tasks").status_code == 401
    assert client.get("/api/v1/tasks", headers={"Authorization": "Bearer nope"}).status_code == 401
    page = client.get("/inbox")
    assert page.status_code == 302 and "/login" in page.headers["Location"]


def test_an_agency_cannot_do_the_managers_screening(api):
    case_id = report(api)
    screening = task_id(api, case_id, "screening", "mash-manager")
    response = api("police").post(f"/api/v1/tasks/{screening}/complete", json=f.screening())
    assert response.status_code == 403
    assert api("police").get(f"/api/v1/tasks/{screening}").status_code == 403
    assert api("referrer").get(f"/api/v1/cases/{case_id}").status_code == 403


def test_a_retried_contact_with_the_same_idempotency_key_creates_nothing_new(api, db):
    client = api("referrer")
    first = client.post("/api/v1/contacts", json=f.contact(), headers={"Idempotency-Key": "abc-123"})
    again = client.post("/api/v1/contacts", json=f.contact(), headers={"Idempotency-Key": "abc-123"})
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert count(db, Case) == 1


def test_twenty_people_completing_the_same_task_leave_one_winner(api, app, db):
    case_id = report(api)
    screening = task_id(api, case_id, "screening", "mash-manager")
    headers = api("mash-manager")._headers()

    def attempt(_):
        return app.test_client().post(f"/api/v1/tasks/{screening}/complete", json=f.screening(), headers=headers)

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(attempt, range(20)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 19, statuses
    loser = next(r for r in responses if r.status_code == 409)
    assert "already completed" in loser.get_json()["errors"][0]["message"]
    with db.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(CompletedTask).where(
            CompletedTask.task_id == screening)) == 1
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "task.completed", AuditEvent.task_id == screening)) == 1


def test_agencies_returning_on_the_same_case_at_once_all_succeed(api, app):
    agencies = ["police", "health", "education", "probation", "housing", "youth-justice", "adult-social-care"]
    case_id = report(api)
    complete(api, case_id, "screening", "mash-manager", f.screening("red", agencies))
    jobs = [(api(a)._headers(), task_id(api, case_id, f.AGENCY_TASKS[a], a)) for a in agencies]

    def answer(job):
        headers, tid = job
        return app.test_client().post(f"/api/v1/tasks/{tid}/complete", json=f.agency_return(), headers=headers)

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        statuses = [r.status_code for r in pool.map(answer, jobs)]
    assert statuses == [200] * len(agencies)
    case = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()
    assert {r["agency"] for r in case["agency_returns"]} == set(agencies)
    assert [t["name"] for t in case["open_tasks"] if t["role"] == "mash-manager"] == ["Review agency returns"]


def test_a_claimed_task_can_only_be_completed_by_the_claimant(api, app):
    case_id = report(api)
    screening = task_id(api, case_id, "screening", "mash-manager")
    from app.auth.operations import create_user
    from app.core.db import get_db
    with get_db().unit_of_work() as session:
        create_user(session, "manager-two", display_name="Second manager", agency="CSC", roles=["mash-manager"],
                    password="x-password-2")
    with app.test_request_context():
        from app.auth.operations import user_by_username
        from app.core.db import run_in_transaction
        from app.inbox.operations import claim
        with get_db().unit_of_work(write=False) as session:
            actor = user_by_username(session, "mash-manager").as_actor()
        run_in_transaction(claim, screening, actor)
    response = api("manager-two").post(f"/api/v1/tasks/{screening}/complete", json=f.screening())
    assert response.status_code == 409
    assert "claimed by mash-manager" in response.get_json()["errors"][0]["message"]
    assert api("mash-manager").post(f"/api/v1/tasks/{screening}/complete", json=f.screening()).status_code == 200
