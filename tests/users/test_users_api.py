"""GET/POST /api/v1/users and PATCH /api/v1/users/{username}: the shapes partner tools rely on, admin only."""
from __future__ import annotations

import pytest

from app.core.roles import ALL_ROLES
from tests.conftest import ApiClient
from tests.users.conftest import NEW_PASSWORD, post, sign_in

NEW = {"username": "j.hill", "name": "Jo Hill", "email": "jo.hill@police.example.org", "agency": "Police",
       "roles": ["police"]}


def patch(client: ApiClient, username: str, body):
    return client.client.patch(f"/api/v1/users/{username}", json=body, headers=client._headers())


def by_name(api, username: str) -> dict:
    return next(u for u in api("admin").get("/api/v1/users").get_json()["users"] if u["username"] == username)


def test_listing_users_gives_agency_roles_last_sign_in_and_whether_active(api):
    users = api("admin").get("/api/v1/users").get_json()["users"]
    police = next(u for u in users if u["username"] == "police")
    assert set(police) == {"username", "name", "email", "agency", "roles", "active", "last_signed_in_at",
                           "must_change_password", "second_factor", "deactivated_at"}
    assert police["roles"] == ["police"] and police["active"] is True and police["second_factor"] is False
    assert {u["username"] for u in users} >= set(ALL_ROLES)


def test_adding_a_user_answers_201_with_the_one_time_password_once(app, api):
    added = api("admin").post("/api/v1/users", json=NEW)
    assert added.status_code == 201, added.get_json()
    body = added.get_json()
    assert body["user"] == {**{k: NEW[k] for k in ("username", "name", "email", "agency", "roles")}, "active": True,
                            "last_signed_in_at": None, "must_change_password": True, "second_factor": False,
                            "deactivated_at": None}
    assert added.headers["Location"].endswith("/api/v1/users/j.hill")
    one_time = body["one_time_password"]
    assert one_time not in api("admin").get("/api/v1/users").get_data(as_text=True)
    client = app.test_client()
    assert sign_in(client, "j.hill", one_time).headers["Location"].endswith("/login/new-password")
    post(client, "/login/new-password", {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert by_name(api, "j.hill")["last_signed_in_at"] is not None
    again = api("admin").post("/api/v1/users", json=NEW)
    assert again.status_code == 422 and again.get_json()["errors"][0]["field"] == "username"


def test_a_new_user_is_checked_field_by_field(api):
    refused = api("admin").post("/api/v1/users", json={"username": "x y", "roles": ["wizard"]})
    assert refused.status_code == 422
    assert {e["field"] for e in refused.get_json()["errors"]} == {"username", "name", "email", "agency", "roles"}


def test_deactivating_through_the_api_ends_sessions_and_tokens_at_once(app, api, web):
    leaver_page = web("probation")
    leaver_token = ApiClient(app, "probation")
    assert leaver_token.get("/api/v1/tasks").status_code == 200
    changed = patch(api("admin"), "probation", {"active": False})
    assert changed.status_code == 200 and changed.get_json()["user"]["active"] is False
    assert leaver_token.get("/api/v1/tasks").status_code == 401
    assert "/login" in leaver_page.get("/inbox").headers["Location"]
    back = patch(api("admin"), "probation", {"active": True})
    assert back.get_json()["user"]["active"] is True and back.get_json()["user"]["deactivated_at"] is None


def test_setting_roles_and_a_one_time_password(app, api):
    roles = patch(api("admin"), "education", {"roles": ["education", "referrer"]})
    assert roles.status_code == 200 and roles.get_json()["user"]["roles"] == ["education", "referrer"]
    reset = patch(api("admin"), "education", {"reset_password": True})
    one_time = reset.get_json()["one_time_password"]
    assert reset.get_json()["user"]["must_change_password"] is True
    assert sign_in(app.test_client(), "education", one_time).headers["Location"].endswith("/login/new-password")


@pytest.mark.parametrize(("body", "field"), [({"active": "no"}, "active"), ({"roles": "police"}, "roles"),
                                         ({"password": "x"}, "password"), ({}, None),
                                         ({"roles": ["wizard"]}, "roles"), ({"roles": []}, "roles")])
def test_a_change_the_api_cannot_make_is_422(api, body, field):
    refused = patch(api("admin"), "police", body)
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == field


def test_an_unknown_user_is_404_and_the_last_admin_cannot_leave(api):
    assert patch(api("admin"), "nobody", {"active": False}).status_code == 404
    # The admin's own token cannot deactivate its own account, nor drop the hub's only admin role.
    assert patch(api("admin"), "admin", {"active": False}).status_code == 409
    assert patch(api("admin"), "admin", {"roles": ["auditor"]}).status_code == 409


@pytest.mark.parametrize("role", [r for r in ALL_ROLES if r != "admin"])
def test_every_other_role_is_refused_403(api, role):
    client = api(role)
    assert client.get("/api/v1/users").status_code == 403
    assert client.post("/api/v1/users", json=NEW).status_code == 403
    assert patch(client, "police", {"active": False}).status_code == 403


def test_the_openapi_document_describes_the_users_routes(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    assert set(document["paths"]["/api/v1/users"]) == {"get", "post"}
    assert set(document["paths"]["/api/v1/users/{username}"]) == {"patch"}


def test_the_names_the_record_uses_for_the_system_and_the_process_cannot_be_taken_by_a_person(api):
    for reserved in ("process", "system", "anonymous"):
        refused = api("admin").post("/api/v1/users", json={"username": reserved, "name": "Someone",
                                                           "email": "someone@example.org", "agency": "Police",
                                                           "roles": ["police"]})
        assert refused.status_code == 422, reserved
        assert refused.get_json()["errors"][0]["field"] == "username"
