"""Sign in and sign out. Every attempt is throttled and audited; each sign-in starts a new server session."""
from __future__ import annotations

import math
from datetime import datetime, timedelta
from urllib.parse import urlparse

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user

from app.auth.operations import sign_in, sign_out
from app.core.calendar import london
from app.core.db import get_db
from app.core.errors import FieldError
from app.web.access import SESSION_KEY, policy

bp = Blueprint("auth", __name__, template_folder="templates")


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
    if request.method == "POST":
        password = request.form.get("password", "")
        if not username.strip():
            errors.append(FieldError("username", "Enter your username"))
        if not password:
            errors.append(FieldError("password", "Enter your password"))
        if not errors:
            db = get_db()
            rules = policy()
            attempt = sign_in(db.session, username, password, address=request.remote_addr,
                              secret_key=current_app.secret_key, policy=rules, replacing=session.get(SESSION_KEY))
            if attempt.user is not None:
                session.clear()  # nothing from before signing in carries over, the form token included
                session[SESSION_KEY] = attempt.secret
                login_user(attempt.user)
                return redirect(_safe_next(request.args.get("next")))
            if attempt.locked_until is not None:
                return _throttled(username, attempt.locked_until, rules.now())
            errors.append(FieldError("username", "The username or password is not right"))
    return render_template("auth/login.html", errors=errors, username=username)


def _throttled(username: str, until: datetime, at: datetime):
    """429 with the time to try again, in words and in Retry-After."""
    shown = until.replace(second=0, microsecond=0)
    if shown < until:
        shown += timedelta(minutes=1)  # "wait until 09:16", never a minute too early
    message = (f"You have tried to sign in too many times. Wait until {london(shown, '%H:%M')} "
               f"and try again, or ask your system administrator to help.")
    page = render_template("auth/login.html", errors=[FieldError("username", message)], username=username)
    return page, 429, {"Retry-After": str(max(1, math.ceil((until - at).total_seconds())))}


@bp.post("/logout")
def logout():
    db = get_db()
    sign_out(db.session, session.get(SESSION_KEY), policy().now())
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))
