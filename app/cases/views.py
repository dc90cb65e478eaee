from __future__ import annotations

from flask import Blueprint, abort, g, render_template, request

from app.audit.operations import record
from app.cases.queries import case_detail, list_cases
from app.core.db import get_db
from app.core.roles import HUB_ROLES
from app.auth.access import allow

bp = Blueprint("cases", __name__, template_folder="templates")


@bp.get("/cases")
@allow(HUB_ROLES)
def index():
    status = request.args.get("status", "open")
    if status not in ("open", "closed", "all"):
        status = "open"
    cases = list_cases(get_db().session, status=None if status == "all" else status)
    return render_template("cases/index.html", cases=cases, status=status)


@bp.get("/cases/<int:case_id>")
@allow(HUB_ROLES)
def show(case_id: int):
    db = get_db()
    detail = case_detail(db.session, case_id)
    if detail is None:
        abort(404)
    record(db.session, g.actor, "case.viewed", case_id=case_id)
    db.session.commit()
    return render_template("cases/show.html", detail=detail, case=detail.case)
