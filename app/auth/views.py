from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user

from app.auth.operations import authenticate
from app.core.db import get_db
from app.forms import FieldError

bp = Blueprint("auth", __name__, template_folder="templates")


def _safe_next(target: str | None) -> str:
    if not target:
        return url_for("web.home")
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/"):
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
            user = authenticate(db.session, username, password)
            db.session.commit()
            if user is not None:
                login_user(user)
                return redirect(_safe_next(request.args.get("next")))
            errors.append(FieldError("username", "The username or password is not right"))
    return render_template("auth/login.html", errors=errors, username=username)


@bp.post("/logout")
def logout():
    logout_user()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))
