"""The page where a professional disagreement is raised, and the case page's section listing them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from app.audit.operations import record
from app.core.db import get_db, run_in_transaction
from app.disagreements.models import ProfessionalDisagreement
from app.disagreements.operations import case_to_dispute, disagreement_form, raise_disagreement, raising_role
from app.disagreements.queries import disagreements_on, reads_every_disagreement
from app.web.refusals import go_back_to, read_form

bp = Blueprint("disagreements", __name__, template_folder="templates")


def _page(case_id: int, values: dict, errors: list) -> ResponseReturnValue:
    session = get_db().session
    case, role = case_to_dispute(session, case_id, g.actor)
    record(session, g.actor, "case.viewed", case_id=case_id, details={"page": "disagreement"})
    return render_template("disagreements/new.html", case=case, form=disagreement_form(session, case),
                           values=values, errors=errors, referrer=role == "referrer")


@bp.get("/cases/<int:case_id>/disagreements/new")
def new(case_id: int) -> ResponseReturnValue:
    return _page(case_id, {}, [])


@bp.post("/cases/<int:case_id>/disagreements")
def create(case_id: int) -> ResponseReturnValue:
    session = get_db().session
    case, role = case_to_dispute(session, case_id, g.actor)
    back = url_for("cases.show", case_id=case_id) if role != "referrer" else url_for("intake.my_contacts")
    go_back_to(back)
    values = read_form(disagreement_form(session, case), lambda values, errors: _page(case_id, values, errors))
    run_in_transaction(raise_disagreement, case_id, values, g.actor)
    flash(f"Your disagreement about {case.reference} is recorded. The operations manager will resolve it within "
          "2 working days and tell you the outcome.", "success")
    return redirect(back)


@dataclass(frozen=True)
class CaseDisagreements:
    """The case page's section: the disagreements the reader may read, and whether they may raise one."""

    rows: list[ProfessionalDisagreement]
    whole: bool
    may_raise: bool


@bp.app_template_global()
def disagreements_for(detail: Any) -> CaseDisagreements:
    """The case page's disagreements (``detail``: app.casework.detail.CaseDetail) and whether the reader may raise
    one."""
    session, case = get_db().session, detail.case
    may_raise = case.anonymised_at is None and raising_role(session, g.actor, case.id) is not None
    if not may_raise and not reads_every_disagreement(g.actor):
        return CaseDisagreements([], whole=False, may_raise=False)
    rows = disagreements_on(session, case.id, g.actor) if detail.may_hold(ProfessionalDisagreement) else []
    return CaseDisagreements(rows, reads_every_disagreement(g.actor), may_raise)


@bp.app_template_global()
def disagreement_of_task(task_id: str) -> ProfessionalDisagreement | None:
    """The disagreement a "Resolve professional disagreement" step resolves, for its task page (the task page
    is its resolver's, who reads every disagreement)."""
    if not reads_every_disagreement(g.actor):
        return None
    return get_db().session.scalar(select(ProfessionalDisagreement).where(ProfessionalDisagreement.task_id == task_id))
