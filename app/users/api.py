"""GET/POST /api/v1/users and PATCH /api/v1/users/{username}: staff accounts, for the hub's admin only.

A one-time password appears once, in the answer that made it (adding a user, or ``"reset_password": true``).
"""
from __future__ import annotations

from flask import g, jsonify, url_for

from app.api import bp, json_body
from app.api.openapi import responses
from app.core.db import get_db, run_in_transaction
from app.core.errors import FieldError, ValidationFailed
from app.core.roles import ALL_ROLES
from app.users import operations as users
from app.web.access import policy

_CHANGES = ("active", "roles", "reset_password")


@bp.get("/users")
def list_users():
    """Every user with agency, roles, last sign-in and whether active (admin)."""
    session = get_db().session
    enrolled = users.with_second_factor(session)
    return jsonify({"users": [users.user_view(user, enrolled) for user in users.list_users(session)]})


@bp.post("/users")
def create_user():
    """Add a user (admin): {"username", "name", "email", "agency", "roles"}; the answer holds the one-time password."""
    new = users.read_new_user(json_body())
    user, password = run_in_transaction(users.add_user, g.actor, new)
    response = jsonify({"user": users.user_view(user, frozenset()), "one_time_password": password})
    response.status_code = 201
    response.headers["Location"] = url_for("api.list_users") + "/" + user.username
    return response


@bp.patch("/users/<username>")
def change_user(username: str):
    """Deactivate or reactivate ({"active": false}), set roles ({"roles": [...]}) or set a new one-time password
    ({"reset_password": true}); several at once are applied in that order."""
    body = json_body()
    unknown = sorted(set(body) - set(_CHANGES))
    errors = [FieldError(key, "Not something that can be changed here") for key in unknown]
    if "active" in body and not isinstance(body["active"], bool):
        errors.append(FieldError("active", "Must be true or false"))
    if "roles" in body and not (isinstance(body["roles"], list) and all(isinstance(r, str) for r in body["roles"])):
        errors.append(FieldError("roles", "Must be a list of roles"))
    if "reset_password" in body and body["reset_password"] is not True:
        errors.append(FieldError("reset_password", "Must be true"))
    if not set(body) & set(_CHANGES) and not errors:
        errors.append(FieldError(None, f"Send at least one of {', '.join(_CHANGES)}."))
    if errors:
        raise ValidationFailed(errors)
    users.the_user(get_db().session, username)  # 404 before anything else
    if body.get("active") is False:
        run_in_transaction(users.deactivate, g.actor, username, policy().now())
    elif body.get("active") is True:
        run_in_transaction(users.reactivate, g.actor, username)
    if "roles" in body:
        run_in_transaction(users.set_roles, g.actor, username, body["roles"])
    password = None
    if body.get("reset_password"):
        _user, password = run_in_transaction(users.reset_password, g.actor, username, policy().now())
    session = get_db().session
    answer: dict = {"user": users.user_view(users.the_user(session, username), users.with_second_factor(session))}
    if password is not None:
        answer["one_time_password"] = password
    return jsonify(answer)


USER = {"type": "object", "required": ["username", "name", "email", "agency", "roles", "active", "last_signed_in_at",
                                       "must_change_password", "second_factor"], "properties": {
    "username": {"type": "string"}, "name": {"type": "string"}, "email": {"type": ["string", "null"]},
    "agency": {"type": "string"}, "roles": {"type": "array", "items": {"type": "string", "enum": list(ALL_ROLES)}},
    "active": {"type": "boolean"},
    "last_signed_in_at": {"type": ["string", "null"], "format": "date-time"},
    "deactivated_at": {"type": ["string", "null"], "format": "date-time"},
    "must_change_password": {"type": "boolean", "description": "A one-time password is waiting to be replaced"},
    "second_factor": {"type": "boolean", "description": "An authenticator app is enrolled"}}}

NEW_USER = {"type": "object", "required": ["username", "name", "email", "agency", "roles"], "properties": {
    "username": {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{1,79}$"},
    "name": {"type": "string", "minLength": 1, "maxLength": 200},
    "email": {"type": "string", "format": "email", "maxLength": 254},
    "agency": {"type": "string", "minLength": 1, "maxLength": 80},
    "roles": {"type": "array", "minItems": 1, "items": {"type": "string", "enum": list(ALL_ROLES)}}}}

CHANGE = {"type": "object", "minProperties": 1, "additionalProperties": False, "properties": {
    "active": {"type": "boolean", "description": "false deactivates at once: sessions end, tokens are revoked"},
    "roles": {"type": "array", "minItems": 1, "items": {"type": "string", "enum": list(ALL_ROLES)}},
    "reset_password": {"type": "boolean", "const": True,
                       "description": "Set a new one-time password (in the answer); the user's sessions end"}}}

ONE_TIME = {"type": "string", "description": "Shown once: give it to the person, who must replace it at first sign-in"}


def openapi_paths() -> dict[str, dict]:
    return {
        "/api/v1/users": {
            "get": {"summary": "Every user (admin)", "operationId": "listUsers",
                    "responses": responses({"200": {"description": "The users", "content": {"application/json": {
                        "schema": {"type": "object", "required": ["users"],
                                   "properties": {"users": {"type": "array", "items": USER}}}}}}}, 401, 403)},
            "post": {"summary": "Add a user with a one-time password (admin). Audited.", "operationId": "createUser",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": NEW_USER}}},
                     "responses": responses({"201": {"description": "Added", "content": {"application/json": {
                         "schema": {"type": "object", "required": ["user", "one_time_password"],
                                    "properties": {"user": USER, "one_time_password": ONE_TIME}}}}}},
                         400, 401, 403, 413, 415, 422)}},
        "/api/v1/users/{username}": {"patch": {
            "summary": "Deactivate, reactivate, set roles or set a one-time password (admin). Audited.",
            "operationId": "changeUser",
            "parameters": [{"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": CHANGE}}},
            "responses": responses({"200": {"description": "The user as changed", "content": {"application/json": {
                "schema": {"type": "object", "required": ["user"],
                           "properties": {"user": USER, "one_time_password": ONE_TIME}}}}}},
                400, 401, 403, 404, 409, 413, 415, 422)}},
    }
