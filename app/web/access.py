"""Enforce the authorisation table (app/auth/authorisation.py) on every request: authenticate by server-side
session or bearer token, then apply the route's rule. A route missing from the table is refused.

Sign-in facts a request produces (token use, session activity, an expired session) are written into the
request's own unit of work before its action starts (app.web.unit_of_work), so they commit with the action,
and still commit when the action is refused; no request pays for a commit of its own.
"""
from __future__ import annotations

from flask import Response, current_app, flash, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.api.errors import refusal
from app.audit.operations import record
from app.auth.authorisation import PUBLIC, SIGNED_IN, roles_for
from app.auth.models import User
from app.auth.operations import use_token
from app.auth.policy import SignInPolicy, sign_in_policy
from app.auth.sessions import resume_session
from app.cases.models import Case
from app.core.db import get_db, request_unit
from app.core.errors import Forbidden, NeedToKnow
from app.web.security import refusal_response

#: The Flask cookie's key for the server session's secret (the only sign-in fact the cookie carries
#: besides Flask-Login's user id, which must match the server session's user).
SESSION_KEY = "sid"
#: Views an idle session may go on showing: the SLA wall runs unattended on an office screen. Once its
#: user has been idle past the limit, that session is served the wall only, until its absolute lifetime.
UNATTENDED_VIEWS = frozenset({"dashboard.index"})


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def policy() -> SignInPolicy:
    return sign_in_policy(current_app.config["MASH_SETTINGS"])


# ----------------------------------------------------------------------------- browser sessions
def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the cookie signs someone in only while its server session is live."""
    secret = session.get(SESSION_KEY)
    if not secret:
        return None
    unattended = request.method == "GET" and request.endpoint in UNATTENDED_VIEWS
    # The wall's own 15-second refresh (dashboard.js asks for ?fragment=1) is not a person: not activity.
    automatic = unattended and request.args.get("fragment") == "1"
    rules = policy()
    resumed = resume_session(get_db().session, secret, user_id, rules.now(), rules, activity=not automatic,
                             unattended=unattended)
    if resumed.user is None:
        g.sign_in_ended = resumed.ended
    return resumed.user


def _to_sign_in():
    """Send a browser to sign in, telling the person why if their session has just timed out."""
    ended = g.get("sign_in_ended")
    if SESSION_KEY in session or "_user_id" in session:
        session.clear()  # the dead session's id and form token go; a new sign-in starts clean
    settings = current_app.config["MASH_SETTINGS"]
    if ended == "idle":
        flash(f"You were signed out after {settings.session_idle_minutes} minutes without activity. "
              "Sign in again to carry on.", "info")
    elif ended == "lifetime":
        flash(f"You were signed out because you had been signed in for {settings.session_max_hours} hours. "
              "Sign in again to carry on.", "info")
    return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))


# ----------------------------------------------------------------------------- API tokens
def _api_actor():
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    return use_token(get_db().session, header.removeprefix("Bearer ").strip(), policy().now(),
                     purpose=request.endpoint)


# ----------------------------------------------------------------------------- the rule
def enforce_access():
    """before_request hook: authenticate (session or bearer token), then apply the view's rule."""
    if request.endpoint is None:
        return None  # 404/405 handled by Flask
    rule = roles_for(request.endpoint, training=current_app.config["MASH_SETTINGS"].training)
    if rule is None:
        current_app.logger.error("route %s has no access rule", request.endpoint)
        return _refuse(403, "This page is not available.")
    if PUBLIC in rule:
        return None
    if is_api_request():
        use = _api_actor()
        if use is None or use.actor is None:
            return _refuse(401, "Sign in with a bearer token: Authorization: Bearer <token>."
                           if use is None or use.refused == "unknown" else f"This token is {use.refused}.")
        g.user, g.actor = use.user, use.actor
    else:
        if not current_user.is_authenticated:
            return _to_sign_in()
        g.user, g.actor = current_user._get_current_object(), current_user.as_actor()
    if SIGNED_IN in rule or g.actor.roles & rule:
        if (unit := request_unit()) is not None:
            unit.start_action()  # who asked is settled: what follows is the action, undone if it is refused
        return None
    return _refuse(403, "You do not have access to this page.")


def _refuse(status: int, message: str) -> ResponseReturnValue:
    if status == 401 and is_api_request():
        response = refusal(status, message)
        response.headers["WWW-Authenticate"] = 'Bearer realm="mash"'
        return response
    return refusal_response(status, message)


# ----------------------------------------------------------------------------- refused looks
def record_refused_access(response: Response) -> Response:
    """after_request hook: a signed-in person refused a page or an answer (403, or the 404 that hides a case
    they may not see) is recorded as ``access.refused`` with the route and the case, kept even though the
    action was undone: the audit shows who tried to look where they should not."""
    actor = g.get("actor")
    refused = g.get("refusal")
    if actor is None or not (response.status_code == 403 or isinstance(refused, (NeedToKnow, Forbidden))):
        return response
    session = get_db().session
    case_id = (request.view_args or {}).get("case_id")
    known = isinstance(case_id, int) and session.get(Case, case_id) is not None
    record(session, actor, "access.refused", case_id=case_id if known else None,
           details={"route": request.endpoint, "method": request.method, "status": response.status_code,
                    **({"case": case_id} if case_id is not None and not known else {})}, security=True)
    return response
