"""The duty rota page (/duty-rota): the MASH manager adds, changes and removes shifts."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from app.auth.models import User, UserRole
from app.core.calendar import LONDON
from app.core.clock import now
from app.core.db import get_db, run_in_transaction
from app.core.errors import NotFound, ValidationFailed
from app.core.roles import role_label
from app.rota.models import DutyShift
from app.rota.operations import DUTY_ROLES, add_shift, change_shift, remove_shift
from app.rota.queries import on_duty_now, shifts_from
from app.web.refusals import go_back_to, on_refusal

bp = Blueprint("rota", __name__, template_folder="templates")


def _people() -> list[tuple[str, str, list[str]]]:
    """(username, name, duty roles held) of everyone active who can be on duty, by name."""
    session = get_db().session
    rows = session.execute(select(User.username, User.display_name, UserRole.role)
                           .join(UserRole, UserRole.user_id == User.id)
                           .where(User.is_active_user.is_(True), UserRole.role.in_(DUTY_ROLES))
                           .order_by(User.display_name, UserRole.role))
    people: dict[str, tuple[str, list[str]]] = {}
    for username, name, role in rows:
        people.setdefault(username, (name, []))[1].append(role)
    return [(username, name, roles) for username, (name, roles) in people.items()]


def _page(values: dict, errors: list, *, shift: DutyShift | None = None) -> ResponseReturnValue:
    session = get_db().session
    at = now()
    return render_template("rota/index.html" if shift is None else "rota/edit.html", values=values, errors=errors,
                           shift=shift, shifts=shifts_from(session, at - timedelta(hours=12)),
                           on_duty=on_duty_now(session, at), people=_people(),
                           roles=[(role, role_label(role)) for role in DUTY_ROLES])


def _values_of(shift: DutyShift) -> dict:
    start, end = shift.starts_at.astimezone(LONDON), shift.ends_at.astimezone(LONDON)
    user = get_db().session.get_one(User, shift.user_id)
    return {"role": shift.role, "username": user.username, "date-day": str(start.day),
            "date-month": str(start.month), "date-year": str(start.year),
            "start_time": start.strftime("%H:%M"), "end_time": end.strftime("%H:%M")}


@bp.get("/duty-rota")
def index() -> ResponseReturnValue:
    return _page({}, [])


@bp.post("/duty-rota")
def add() -> ResponseReturnValue:
    values = request.form.to_dict()
    on_refusal(lambda refusal: _page(values, refusal.errors if isinstance(refusal, ValidationFailed) else []),
               ValidationFailed)
    shift = run_in_transaction(add_shift, values, g.actor)
    flash(f"Shift added: {role_label(shift.role)} from {shift.starts_at.astimezone(LONDON):%-d %b %Y %H:%M}.",
          "success")
    return redirect(url_for("rota.index"))


@bp.get("/duty-rota/<int:shift_id>")
def edit(shift_id: int) -> ResponseReturnValue:
    shift = get_db().session.get(DutyShift, shift_id)
    if shift is None:
        abort(404)
    return _page(_values_of(shift), [], shift=shift)


@bp.post("/duty-rota/<int:shift_id>")
def change(shift_id: int) -> ResponseReturnValue:
    shift = get_db().session.get(DutyShift, shift_id)
    if shift is None:
        abort(404)
    values = request.form.to_dict()
    on_refusal(lambda refusal: _page(values, refusal.errors if isinstance(refusal, ValidationFailed) else [],
                                     shift=shift), ValidationFailed)
    run_in_transaction(change_shift, shift_id, values, g.actor)
    flash("Shift changed.", "success")
    return redirect(url_for("rota.index"))


@bp.post("/duty-rota/<int:shift_id>/remove")
def remove(shift_id: int) -> ResponseReturnValue:
    go_back_to(url_for("rota.index"), NotFound)
    run_in_transaction(remove_shift, shift_id, g.actor)
    flash("Shift removed.", "success")
    return redirect(url_for("rota.index"))


@bp.app_template_global("duty_now")
def duty_now() -> list:
    """Who is on duty now, for the SLA wall's include (rota/wall_on_duty.html)."""
    return on_duty_now(get_db().session, now())
