"""The case pages: the list of cases, one case, and re-rating a contact."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.audit.operations import record
from app.cases.models import Case
from app.cases.queries import CASES_PER_PAGE, HISTORY_LABELS, case_page, case_trail, open_steps, read_case_filter
from app.casework.detail import case_detail
from app.casework.rerating import rerate, rerate_form
from app.core.clock import now
from app.core.db import get_db, run_in_transaction
from app.core.roles import AGENCIES
from app.core.vocabulary import CONTACT_FORM, RAG_FIELD, rag_label
from app.incidents.models import Incident
from app.incidents.queries import case_incidents
from app.need_to_know.sight import may_break_glass, visible_case_ids
from app.process_models.registry import compiled
from app.web.refusals import go_back_to, read_form

bp = Blueprint("cases", __name__, template_folder="templates")


@bp.get("/cases")
def index() -> ResponseReturnValue:
    """The cases the reader may see, filtered (RAG, status, step, agency waiting, received between) and paged.
    ``?q=`` is a search: it goes to the one search (app/search), which applies the same need to know."""
    if (request.args.get("q") or "").strip():
        return redirect(url_for("search.results", q=request.args["q"]))
    session = get_db().session
    wanted, errors = read_case_filter(request.args)
    cases, total = case_page(session, wanted, among=visible_case_ids(session, g.actor, now()),
                             per_page=CASES_PER_PAGE)
    pages = max(1, -(-total // CASES_PER_PAGE))
    record(session, g.actor, "case.listed", details={"status": wanted.status, "shown": len(cases), "total": total,
                                                     "page": wanted.page, "filtered": wanted.any})
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("cases/index.html", cases=cases, status=wanted.status, wanted=wanted, errors=errors,
                           total=total, pages=pages, args=args, steps=open_steps(session), agencies=AGENCIES,
                           may_break_glass=may_break_glass(g.actor))


@bp.get("/cases/<int:case_id>")
def show(case_id: int) -> ResponseReturnValue:
    db = get_db()
    detail = case_detail(db.session, case_id, g.actor)
    if detail is None:
        abort(404)
    record(db.session, g.actor, "case.viewed", case_id=case_id,
           details={"exceptional": True} if detail.sight.exceptional else None)
    contact_form = compiled(detail.process).forms.get(CONTACT_FORM)
    source = contact_form.field("source") if contact_form else None
    source_labels = {o.value: o.label for o in source.options} if source else {}
    # after the view is recorded: "who has seen this case" counts this one
    history, viewers = case_trail(db.session, case_id) if detail.sight.shows("history") else ([], [])
    return render_template("cases/show.html", detail=detail, case=detail.case, source_labels=source_labels,
                           history_labels=HISTORY_LABELS, history=history, viewers=viewers,
                           incidents=case_incidents(db.session, case_id)
                           if detail.sight.whole and detail.may_hold(Incident) else [])


def _rerate_page(case_id: int, values: dict, errors: list) -> ResponseReturnValue:
    db = get_db()
    detail = case_detail(db.session, case_id, g.actor)
    if detail is None:
        abort(404)
    record(db.session, g.actor, "case.viewed", case_id=case_id, details={"page": "rerate"})
    return render_template("cases/rerate.html", detail=detail, case=detail.case,
                           form=rerate_form(db.session, case_id), values=values, errors=errors)


@bp.get("/cases/<int:case_id>/rag")
def rerate_page(case_id: int) -> ResponseReturnValue:
    return _rerate_page(case_id, {}, [])


@bp.post("/cases/<int:case_id>/rag")
def rerate_submit(case_id: int) -> ResponseReturnValue:
    db = get_db()
    if db.session.get(Case, case_id) is None:
        abort(404)
    go_back_to(url_for("cases.show", case_id=case_id))
    values = read_form(rerate_form(db.session, case_id), lambda values, errors: _rerate_page(case_id, values, errors))
    case = run_in_transaction(rerate, case_id, values, g.actor)
    flash(f"{case.reference} is now rated {rag_label(values[RAG_FIELD])}; its open deadlines have moved.", "success")
    return redirect(url_for("cases.show", case_id=case_id))
