"""The SLA wall page, its refresh fragment and the Retry button for timers that failed to fire.

``?wall=1`` is the same wall for a screen on the office wall (1,920 px, read from across the room): no
navigation or filters, bigger type, and it refreshes itself even without JavaScript. It is authorised and
audited as the wall is.

Reads come from the SLA wall projection (app.deadlines.queries.sla_wall): counts over every open case and
a page of 50 cases (?page=, GOV.UK pagination; the refresh keeps the page), never a workflow
deserialization. Each view of the wall, refreshes included, is a view of personal
data and is audited once.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from app.audit.operations import record
from app.casework.retries import retry_incident
from app.core.clock import now
from app.core.db import get_db, run_in_transaction
from app.core.roles import LANE_ROLES
from app.core.vocabulary import RAG_CODES
from app.deadlines.queries import sla_wall
from app.incidents.models import START, TIMER
from app.incidents.operations import give_task_back
from app.notifications.queries import count_dead_letters
from app.web.refusals import go_back_to

bp = Blueprint("dashboard", __name__, template_folder="templates")

#: Seconds between refreshes of the wall; ?refresh= may shorten it (never below the minimum) for demos and tests.
REFRESH_DEFAULT, REFRESH_MIN, REFRESH_MAX = 15, 2, 3600


def wall_filters(args: Mapping[str, str]) -> dict[str, str | None]:
    """The RAG and role filters from a query string or form; anything unknown is ignored, not an error."""
    rag, role = args.get("rag"), args.get("role")
    return {"rag": rag if rag in RAG_CODES else None, "role": role if role in LANE_ROLES else None}


def refresh_seconds(value: str | None) -> int:
    try:
        seconds = int(value or REFRESH_DEFAULT)
    except ValueError:
        return REFRESH_DEFAULT
    return min(max(seconds, REFRESH_MIN), REFRESH_MAX)


def countdown(due: datetime, at: datetime) -> str:
    """'2 h 03 min 09 s left' / 'Overdue by 35 min 00 s'. dashboard.js words it the same way as it ticks."""
    seconds = int((due - at).total_seconds())
    left = abs(seconds)
    days, rest = divmod(left, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if left >= 2 * 86400:
        span = f"{days} d {hours} h"
    elif left >= 3600:
        span = f"{days * 24 + hours} h {minutes:02d} min {secs:02d} s"
    elif left >= 60:
        span = f"{minutes} min {secs:02d} s"
    else:
        span = f"{secs} s"
    return f"{span} left" if seconds >= 0 else f"Overdue by {span}"


def on_wall_screen(args: Mapping[str, str]) -> bool:
    """Whether the wall is shown in its large-screen mode (?wall=1)."""
    return args.get("wall") == "1"


def wall_page_number(value: str | None) -> int:
    """The page of the wall asked for (?page=); anything but a positive number is the first page."""
    try:
        return max(int(value or 1), 1)
    except ValueError:
        return 1


def _wall_args(filters: Mapping[str, str | None], refresh: int, screen: bool = False, page: int = 1) -> dict[str, Any]:
    """Query arguments that bring a manager back to the wall (and the page of it) they were looking at."""
    args: dict[str, Any] = {key: value for key, value in filters.items() if value}
    if page > 1:
        args["page"] = page
    if refresh != REFRESH_DEFAULT:
        args["refresh"] = refresh
    if screen:
        args["wall"] = 1
    return args


def _back_to_wall() -> str:
    refresh = refresh_seconds(request.form.get("refresh"))
    return url_for("dashboard.index", **_wall_args(wall_filters(request.form), refresh, on_wall_screen(request.form),
                                                   wall_page_number(request.form.get("page"))))


@bp.get("/dashboard")
def index():
    db = get_db()
    filters = wall_filters(request.args)
    refresh = refresh_seconds(request.args.get("refresh"))
    fragment = request.args.get("fragment") == "1"
    screen = on_wall_screen(request.args)
    wall = sla_wall(db.session, now(), **filters, page=wall_page_number(request.args.get("page")))
    record(db.session, g.actor, "dashboard.viewed",
           details={**filters, "fragment": fragment, "screen": screen, "cases": len(wall.rows), "page": wall.page})
    return render_template("dashboard/_wall.html" if fragment else "dashboard/index.html", wall=wall,
                           filters=filters, refresh=refresh, wall_args=_wall_args(filters, refresh, screen, wall.page),
                           screen=screen, leave_args=_wall_args(filters, refresh, page=wall.page),
                           page_url=lambda number: url_for("dashboard.index",
                                                           **_wall_args(filters, refresh, screen, number)),
                           countdown=countdown,
                           lane_roles=LANE_ROLES, rag_filters=RAG_CODES,
                           dead_letters=0 if fragment else count_dead_letters(db.session))


@bp.post("/dashboard/incidents/<int:incident_id>/retry")
def retry(incident_id: int):
    """The cause is fixed (or worth re-testing): timers are due again now; a held task is completed now."""
    back = _back_to_wall()
    go_back_to(back)
    incident = retry_incident(incident_id, g.actor)
    if incident.kind == TIMER:
        flash("The case's deadline timers will be tried again now.", "success")
    elif incident.kind == START:
        flash("The case's process has started.", "success")
    else:
        flash(f"{incident.task_name} went through with the saved answers; the case has moved on.", "success")
    return redirect(back)


@bp.post("/dashboard/incidents/<int:incident_id>/give-back")
def give_back(incident_id: int):
    """Set a task incident's saved answers aside: the task is back in its inbox to be done again."""
    back = _back_to_wall()
    go_back_to(back)
    incident = run_in_transaction(give_task_back, incident_id, g.actor)
    flash(f"{incident.task_name} is back in the inbox to be done again.", "success")
    return redirect(back)
