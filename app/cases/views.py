from __future__ import annotations

from flask import Blueprint, abort, g, render_template, request

from app.audit.operations import record
from app.cases.queries import case_detail, list_cases
from app.core.db import get_db
from app.core.roles import HUB_ROLES
from app.auth.access import allow
from app.process_models.registry import compiled

bp = Blueprint("cases", __name__, template_folder="templates")

HISTORY_LABELS = {"contact.received": "Contact received", "task.completed": "Task completed",
                  "timer.fired": "Deadline reached", "case.rag-changed": "RAG rating", "case.closed": "Case closed",
                  "task.claimed": "Task claimed", "task.released": "Task released"}


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
    contact_form = compiled(detail.process).forms.get("contact")
    source = contact_form.field("source") if contact_form else None
    source_labels = {o.value: o.label for o in source.options} if source else {}
    return render_template("cases/show.html", detail=detail, case=detail.case, source_labels=source_labels,
                           history_labels=HISTORY_LABELS)
