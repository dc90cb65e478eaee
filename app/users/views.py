"""/admin/users: the administrator's pages for joiners, movers and leavers; /account: a person's own password
and authenticator app. A one-time password is shown once, on the page that answers the form that made it
(never put in a flash message: that would carry it in the session cookie)."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.audit.operations import record
from app.auth import second_factor as totp
from app.auth.views import app_secret, enrol_page
from app.core.db import get_db, run_in_transaction
from app.core.errors import Conflict, FieldError, ValidationFailed
from app.core.roles import ALL_ROLES, role_label
from app.users import operations as users
from app.web.access import policy
from app.web.refusals import go_back_to, on_refusal

bp = Blueprint("users", __name__, template_folder="templates")

ROLE_ITEMS = [(role, role_label(role)) for role in ALL_ROLES]


def roles_text(user) -> str:
    return ", ".join(role_label(role) for role in sorted(user.role_names))


def _user_url(username: str) -> str:
    return url_for("users.show", username=username)


# ----------------------------------------------------------------------------- the administrator's pages
@bp.get("/admin/users")
def index() -> ResponseReturnValue:
    session = get_db().session
    return render_template("users/index.html", users=users.list_users(session),
                           enrolled=users.with_second_factor(session), roles_text=roles_text)


def _new_page(values: dict, errors: list) -> ResponseReturnValue:
    return render_template("users/new.html", values=values, errors=errors, role_items=ROLE_ITEMS)


@bp.route("/admin/users/new", methods=["GET", "POST"])
def new() -> ResponseReturnValue:
    if request.method == "GET":
        return _new_page({"roles": []}, [])
    values: dict[str, str | list[str]] = {key: request.form.get(key, "").strip()
                                          for key in ("username", "name", "email", "agency")}
    values["roles"] = request.form.getlist("roles")
    on_refusal(lambda refusal: _new_page(values, refusal.errors if isinstance(refusal, ValidationFailed) else []),
               ValidationFailed)
    user, password = run_in_transaction(users.add_user, g.actor, users.read_new_user(values))
    return render_template("users/one_time_password.html", user=user, password=password, added=True)


@bp.get("/admin/users/<username>")
def show(username: str) -> ResponseReturnValue:
    session = get_db().session
    user = users.the_user(session, username)
    return render_template("users/show.html", user=user, enrolled=user.id in users.with_second_factor(session),
                           role_items=ROLE_ITEMS, roles_text=roles_text, errors=[])


@bp.post("/admin/users/<username>/roles")
def set_roles(username: str) -> ResponseReturnValue:
    session = get_db().session
    user = users.the_user(session, username)
    go_back_to(_user_url(username))
    on_refusal(lambda refusal: (render_template(
        "users/show.html", user=user, enrolled=user.id in users.with_second_factor(session), role_items=ROLE_ITEMS,
        roles_text=roles_text, errors=refusal.errors if isinstance(refusal, ValidationFailed) else []), 422),
        ValidationFailed)
    run_in_transaction(users.set_roles, g.actor, username, request.form.getlist("roles"))
    flash(f"{username}'s roles are changed.", "success")
    return redirect(_user_url(username))


@bp.post("/admin/users/<username>/deactivate")
def deactivate(username: str) -> ResponseReturnValue:
    users.the_user(get_db().session, username)
    go_back_to(_user_url(username))
    run_in_transaction(users.deactivate, g.actor, username, policy().now())
    flash(f"{username} is deactivated: signed out everywhere, and their API tokens no longer work.", "success")
    return redirect(_user_url(username))


@bp.post("/admin/users/<username>/reactivate")
def reactivate(username: str) -> ResponseReturnValue:
    users.the_user(get_db().session, username)
    run_in_transaction(users.reactivate, g.actor, username)
    flash(f"{username} is active again. Their old API tokens stay revoked.", "success")
    return redirect(_user_url(username))


@bp.post("/admin/users/<username>/reset-password")
def reset_password(username: str) -> ResponseReturnValue:
    users.the_user(get_db().session, username)
    user, password = run_in_transaction(users.reset_password, g.actor, username, policy().now())
    return render_template("users/one_time_password.html", user=user, password=password, added=False)


@bp.post("/admin/users/<username>/second-factor/remove")
def remove_second_factor(username: str) -> ResponseReturnValue:
    users.the_user(get_db().session, username)
    run_in_transaction(users.remove_second_factor, g.actor, username)
    flash(f"{username}'s authenticator app is removed.", "success")
    return redirect(_user_url(username))


@bp.route("/admin/second-factor", methods=["GET", "POST"])
def second_factor_roles() -> ResponseReturnValue:
    session = get_db().session
    if request.method == "POST":
        run_in_transaction(users.set_second_factor_roles, g.actor, request.form.getlist("roles"), policy().now())
        flash("The roles that need a second factor are saved. Their holders enrol at their next sign-in.", "success")
        return redirect(url_for("users.second_factor_roles"))
    return render_template("users/second_factor_roles.html", role_items=ROLE_ITEMS,
                           required=totp.required_roles(session))


# ----------------------------------------------------------------------------- a person's own account
@bp.get("/account")
def account() -> ResponseReturnValue:
    session = get_db().session
    return render_template("users/account.html", user=g.user,
                           enrolled=totp.is_enrolled(session, g.user, app_secret()),
                           required=totp.is_required(session, g.user))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password() -> ResponseReturnValue:
    errors: list = []
    if request.method == "POST":
        try:
            run_in_transaction(users.change_own_password, g.user, request.form.get("current_password", ""),
                               request.form.get("password", ""), request.form.get("password_confirm", ""))
        except ValidationFailed as refused:  # nothing was written: the form shows why
            errors = refused.errors
        else:
            flash("Your password is changed.", "success")
            return redirect(url_for("users.account"))
    return render_template("users/change_password.html", errors=errors), 422 if errors else 200


@bp.route("/account/second-factor", methods=["GET", "POST"])
def account_second_factor() -> ResponseReturnValue:
    session = get_db().session
    secret_key = app_secret()
    if totp.is_enrolled(session, g.user, secret_key):
        go_back_to(url_for("users.account"))
        raise Conflict("Your authenticator app is already set up. Ask your administrator to remove it "
                       "if you need to set up another.")
    at = policy().now()
    secret = totp.begin_enrolment(session, g.user, secret_key, at)
    errors: list = []
    if request.method == "POST":
        code = request.form.get("code", "")
        if totp.check_code(session, g.user, code, secret_key, at, enrolling=True):
            record(session, g.actor, "auth.second-factor-enrolled", details={"from": "account"})
            flash("Your authenticator app is set up. You will be asked for a code each time you sign in.", "success")
            return redirect(url_for("users.account"))
        errors = [FieldError("code", "The code is not right, or it has already been used. "
                                     "Enter the code your app shows now")]
    return render_template("users/account_second_factor.html", errors=errors,
                           **enrol_page(g.user, secret, required=False)), 422 if errors else 200
