"""Enforce the authorisation table (app/auth/authorisation.py) on every request: authenticate by session
or bearer token, then apply the route's rule. A route missing from the table is refused."""
from __future__ import annotations

from flask import current_app, g, jsonify, redirect, request, url_for
from flask_login import current_user

from app.auth.authorisation import PUBLIC, SIGNED_IN, roles_for


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def _api_user():
    from app.auth.operations import user_for_token
    from app.core.db import get_db

    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    session = get_db().session
    user = user_for_token(session, header.removeprefix("Bearer ").strip())
    session.commit()  # token use is its own fact; never hold a write open across the request
    return user


def enforce_access():
    """before_request hook: authenticate (session or bearer token), then apply the view's rule."""
    rule = roles_for(request.endpoint)
    if request.endpoint is None:
        return None  # 404/405 handled by Flask
    if rule is None:
        current_app.logger.error("route %s has no access rule", request.endpoint)
        return _refuse(403, "This page is not available.")
    if PUBLIC in rule:
        return None
    user = _api_user() if is_api_request() else (current_user if current_user.is_authenticated else None)
    if user is None:
        if is_api_request():
            return _refuse(401, "Sign in with a bearer token: Authorization: Bearer <token>.")
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    g.user = user
    g.actor = user.as_actor()
    if SIGNED_IN in rule or g.actor.roles & rule:
        return None
    return _refuse(403, "You do not have access to this page.")


def _refuse(status: int, message: str):
    if is_api_request():
        response = jsonify({"errors": [{"field": None, "message": message}]})
        response.status_code = status
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="mash"'
        return response
    from flask import render_template
    return render_template("error.html", status=status, message=message), status
