"""Sign in and sign out. Every attempt is throttled and audited; each sign-in starts a new server session.

A right password may leave steps to take (app/auth/steps.py): the browser then holds the part-way session's
secret under ``PENDING_KEY`` (never under SESSION_KEY, so nothing else signs it in) and is sent to the step's
page: the code from an authenticator app, a new password in place of a one-time password, or enrolling an app.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta
from urllib.parse import urlparse

from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_user, logout_user

from app.auth import second_factor as totp
from app.auth import steps
from app.auth.hashing_pool import RETRY_AFTER_SECONDS, HashingBusy
from app.auth.models import UserSession
from app.auth.operations import check_ahead, sign_in, sign_out
from app.auth.throttle import wait_if_slowed
from app.core.calendar import london
from app.core.db import get_db
from app.core.errors import FieldError, ValidationFailed
from app.web.access import SESSION_KEY, policy
from app.web.refusals import on_refusal

bp = Blueprint("auth", __name__, template_folder="templates")

#: The cookie's key for a part-way sign-in's secret.
PENDING_KEY = "pending-sid"
STEP_PAGES = {steps.SECOND_FACTOR: "auth.second_factor", steps.NEW_PASSWORD: "auth.new_password",
              steps.ENROL: "auth.enrol_second_factor"}


def app_secret() -> str:
    """The app's secret key (throttle keys, the second factor's encryption)."""
    return str(current_app.config["SECRET_KEY"])


def _safe_next(target: str | None) -> str:
    if not target:
        return url_for("web.home")
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("web.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    errors: list[FieldError] = []
    username = request.form.get("username", "")
    if request.method == "GET" and (row := _pending()) is not None:
        return redirect(url_for(STEP_PAGES[row.stage or ""]))
    if request.method == "POST":
        password = request.form.get("password", "")
        if not username.strip():
            errors.append(FieldError("username", "Enter your username"))
        if not password:
            errors.append(FieldError("password", "Enter your password"))
        if not errors:
            db = get_db()
            rules = policy()
            on_refusal(lambda busy: (render_template("auth/login.html", errors=[FieldError("username", busy.message)],
                                                     username=username), 503), HashingBusy)
            wait_if_slowed(db, app_secret(), username, rules)  # guessed at from many places: slower
            # The hash (and its turn in the hashing pool) before the request's transaction: no lock held.
            checked = check_ahead(db, username, password, address=request.remote_addr, secret_key=app_secret(),
                                  policy=rules)
            attempt = sign_in(db.session, username, password, address=request.remote_addr,
                              secret_key=app_secret(), policy=rules,
                              replacing=session.get(SESSION_KEY) or session.get(PENDING_KEY), checked=checked)
            if attempt.user is not None and attempt.secret is not None:
                session.clear()  # nothing from before signing in carries over, the form token included
                if attempt.stage is None:
                    return _signed_in(attempt.user, attempt.secret, _safe_next(request.args.get("next")))
                session[PENDING_KEY] = attempt.secret
                session["next"] = _safe_next(request.args.get("next"))
                return redirect(url_for(STEP_PAGES[attempt.stage]))
            if attempt.locked_until is not None:
                return _throttled(username, attempt.locked_until, rules.now())
            errors.append(FieldError("username", "The username or password is not right"))
    return render_template("auth/login.html", errors=errors, username=username)


def _signed_in(user, secret: str, target: str) -> ResponseReturnValue:
    session[SESSION_KEY] = secret
    login_user(user)
    return redirect(target)


def _throttled(username: str, until: datetime, at: datetime, template: str = "auth/login.html", **page):
    """429 with the time to try again, in words and in Retry-After."""
    shown = until.replace(second=0, microsecond=0)
    if shown < until:
        shown += timedelta(minutes=1)  # "wait until 09:16", never a minute too early
    message = (f"You have tried to sign in too many times. Wait until {london(shown, '%H:%M')} "
               f"and try again, or ask your system administrator to help.")
    body = render_template(template, errors=[FieldError("username", message)], username=username, **page)
    return body, 429, {"Retry-After": str(max(1, math.ceil((until - at).total_seconds())))}


@bp.after_app_request
def _retry_after_busy(response: Response) -> Response:
    """A password change or a user's new password refused because the hashing pool was busy (a 503 on a page
    or in the API) says when to try again."""
    if isinstance(g.get("refusal"), HashingBusy):
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@bp.post("/logout")
def logout():
    db = get_db()
    sign_out(db.session, session.get(SESSION_KEY), policy().now())
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))


# ----------------------------------------------------------------------------- the steps after the password
def _pending() -> UserSession | None:
    return steps.pending(get_db().session, session.get(PENDING_KEY), policy().now())


def _at_step(stage: str) -> tuple[UserSession | None, ResponseReturnValue | None]:
    """The part-way sign-in if it is at ``stage``; otherwise where the browser should go instead."""
    row = _pending()
    if row is None:
        session.pop(PENDING_KEY, None)
        flash("Sign in to carry on.", "info")
        return None, redirect(url_for("auth.login"))
    if row.stage != stage:
        return None, redirect(url_for(STEP_PAGES[row.stage or ""]))
    return row, None


def _after_step(row: UserSession, step: steps.Step, template: str, **page) -> ResponseReturnValue:
    if step.locked_until is not None:
        session.clear()
        return _throttled(row.user.username, step.locked_until, policy().now(), template, **page)
    assert step.secret is not None  # noqa: S101  (a step that passed always gives a secret)
    target = session.get("next") or url_for("web.home")
    session.clear()
    if step.stage is None:
        return _signed_in(row.user, step.secret, _safe_next(target))
    session[PENDING_KEY] = step.secret
    session["next"] = target
    return redirect(url_for(STEP_PAGES[step.stage]))


_WRONG_CODE = "The code is not right, or it has already been used. Enter the code your app shows now"


@bp.route("/login/code", methods=["GET", "POST"])
def second_factor():
    row, elsewhere = _at_step(steps.SECOND_FACTOR)
    if row is None:
        return elsewhere
    errors: list[FieldError] = []
    if request.method == "POST":
        code = request.form.get("code", "")
        if not code.strip():
            errors.append(FieldError("code", "Enter the 6-digit code from your authenticator app"))
        else:
            step = steps.pass_second_factor(get_db().session, row, code, address=request.remote_addr,
                                            secret_key=app_secret(), policy=policy())
            if not step.wrong:
                return _after_step(row, step, "auth/code.html")
            errors.append(FieldError("code", _WRONG_CODE))
    return render_template("auth/code.html", errors=errors)


@bp.route("/login/new-password", methods=["GET", "POST"])
def new_password():
    row, elsewhere = _at_step(steps.NEW_PASSWORD)
    if row is None:
        return elsewhere
    errors: list[FieldError] = []
    if request.method == "POST":
        try:
            step = steps.choose_new_password(get_db().session, row, request.form.get("password", ""),
                                             request.form.get("password_confirm", ""), address=request.remote_addr,
                                             secret_key=app_secret(), policy=policy())
        except ValidationFailed as refused:  # nothing was written: the page shows why
            errors = refused.errors
        else:
            return _after_step(row, step, "auth/new_password.html", user=row.user)
    return render_template("auth/new_password.html", errors=errors, user=row.user)


@bp.route("/login/second-factor", methods=["GET", "POST"])
def enrol_second_factor():
    row, elsewhere = _at_step(steps.ENROL)
    if row is None:
        return elsewhere
    db = get_db()
    secret = totp.begin_enrolment(db.session, row.user, app_secret(), policy().now())
    errors: list[FieldError] = []
    if request.method == "POST":
        code = request.form.get("code", "")
        if not code.strip():
            errors.append(FieldError("code", "Enter the 6-digit code from your authenticator app"))
        else:
            step = steps.confirm_enrolment(db.session, row, code, address=request.remote_addr,
                                           secret_key=app_secret(), policy=policy())
            if not step.wrong:
                return _after_step(row, step, "auth/enrol.html", **enrol_page(row.user, secret, required=True))
            errors.append(FieldError("code", _WRONG_CODE))
    return render_template("auth/enrol.html", errors=errors, **enrol_page(row.user, secret, required=True))


def enrol_page(user, secret: str, *, required: bool) -> dict:
    """What the enrolment page shows: the QR code, the key to type by hand, and why."""
    uri = totp.provisioning_uri(user, secret)
    return {"qr_code": totp.qr_code_data_uri(uri), "key": totp.grouped(secret),
            "required": required, "issuer": totp.ISSUER, "username": user.username}
