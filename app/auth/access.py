"""Who may reach which route. Every view declares its rule next to its definition; a route without one
is refused (deny by default), and a test walks every route to prove it."""
from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import current_app, g, jsonify, redirect, request, url_for
from flask_login import current_user

from app.core.roles import HUB_ROLES, LANE_ROLES

PUBLIC = "public"
SIGNED_IN = "signed-in"

#: Roles that can report a concern: referrers and everyone in the hub.
INTAKE_ROLES = frozenset({"referrer"}) | HUB_ROLES
#: Roles that work tasks.
TASK_ROLES = frozenset(LANE_ROLES)
#: Roles that manage the hub's work: re-rate contacts, watch the SLA wall, retry failed timers.
MANAGER_ROLES = frozenset({"mash-manager", "ops-manager"})
#: Roles that may move the training sandbox's clock.
TRAINING_CLOCK_ROLES = frozenset({"trainer", "admin"})


def allow(*roles: str | Iterable[str]) -> Callable:
    """Declare the roles that may call a view (or PUBLIC / SIGNED_IN)."""
    flat: set[str] = set()
    for role in roles:
        flat.update([role] if isinstance(role, str) else role)

    def decorate(view: Callable) -> Callable:
        view.access_rule = frozenset(flat)
        return view

    return decorate


def rule_for(endpoint: str | None) -> frozenset[str] | None:
    if endpoint is None:
        return None
    if endpoint == "static" or endpoint.endswith(".static"):
        return frozenset({PUBLIC})
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access_rule", None)


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
    rule = rule_for(request.endpoint)
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
