"""Enforce the authorisation table (app/auth/authorisation.py) on every request: authenticate by server-side
session or bearer token, then apply the route's rule. A route missing from the table is refused.

Sign-in facts a request produces (token use, session activity, an expired session) are written into the
request's own database session and commit with the request's action; ``commit_sign_in_writes`` commits
them only when the view did not commit anything itself (a read-only request), so no request pays for a
commit of its own.
"""
from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.api.errors import refusal
from app.auth.authorisation import PUBLIC, SIGNED_IN, roles_for
from app.auth.models import User
from app.auth.operations import use_token
from app.auth.policy import SignInPolicy, sign_in_policy
from app.auth.sessions import resume_session
from app.core.db import get_db

#: The Flask cookie's key for the server session's secret (the only sign-in fact the cookie carries
#: besides Flask-Login's user id, which must match the server session's user).
SESSION_KEY = "sid"
#: Views an idle session may go on showing: the SLA wall runs unattended on an office screen. Once its
#: user has been idle past the limit, that session is served the wall only, until its absolute lifetime.
UNATTENDED_VIEWS = frozenset({"dashboard.index"})
#: Session.info key: this transaction holds sign-in facts not yet committed.
_PENDING = "mash.sign_in_writes"


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
    if resumed.wrote:
        _written()
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
    use = use_token(get_db().session, header.removeprefix("Bearer ").strip(), policy().now(),
                    purpose=request.endpoint)
    if use.refused != "unknown":
        _written()  # its use (or its refusal) is audited
    return use


# ----------------------------------------------------------------------------- the rule
def enforce_access():
    """before_request hook: authenticate (session or bearer token), then apply the view's rule."""
    if request.endpoint is None:
        return None  # 404/405 handled by Flask
    rule = roles_for(request.endpoint)
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
        return None
    return _refuse(403, "You do not have access to this page.")


def _refuse(status: int, message: str):
    if is_api_request():
        response = refusal(status, message)
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="mash"'
        return response
    return render_template("error.html", status=status, message=message), status


# ----------------------------------------------------------------------------- committing sign-in facts
def _written() -> None:
    get_db().session.info[_PENDING] = True


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _settled(db_session: Session, *_transaction) -> None:
    db_session.info.pop(_PENDING, None)


def commit_sign_in_writes(response):
    """after_request: commit sign-in facts the view left uncommitted (a read-only request). A view that
    committed took them with its own action; a failed request (5xx) keeps nothing."""
    db = get_db()
    if not db.scoped.registry.has():
        return response
    db_session = db.session
    if db_session.info.pop(_PENDING, False) and response.status_code < 500:
        try:
            db_session.commit()
        except SQLAlchemyError as error:
            db_session.rollback()
            current_app.logger.error("could not record sign-in facts for %s (%s)", request.endpoint,
                                     type(error).__name__)
    return response
