"""Need-to-know pages: an agency releases its return to another agency on the case (or withdraws an unread
release), a hub member breaks glass to open a case they are not involved in, and the oversight page where the
operations manager and the auditor see refused looks and review break-glass access."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.audit.queries import refusals_by_user
from app.auth.authorisation import BREAK_GLASS_REVIEWERS
from app.core.clock import now
from app.core.db import get_db, run_in_transaction
from app.core.errors import Conflict, NotFound, OperationError, ValidationFailed
from app.core.roles import role_label
from app.need_to_know.break_glass import REASONS, REVIEW_OUTCOMES, awaiting_review, open_break_glass, review
from app.need_to_know.releases import release_return as release
from app.need_to_know.releases import withdraw_release as withdraw
from app.web.refusals import go_back_to, on_refusal

bp = Blueprint("need_to_know", __name__, template_folder="templates")

#: How far back the oversight page counts refused looks.
REFUSALS_OVER = timedelta(days=7)


def _case_page(case_id: int) -> str:
    return url_for("cases.show", case_id=case_id) + "#agency-returns"


@bp.post("/cases/<int:case_id>/agency-returns/<agency>/releases")
def release_return(case_id: int, agency: str) -> ResponseReturnValue:
    go_back_to(_case_page(case_id), Conflict, NotFound)

    def explain(refusal: OperationError) -> ResponseReturnValue:
        errors = refusal.errors if isinstance(refusal, ValidationFailed) else []
        flash(" ".join(f"{e.message}." for e in errors) or refusal.message, "info")
        return redirect(_case_page(case_id))
    on_refusal(explain, ValidationFailed)
    made = run_in_transaction(release, case_id, agency, request.form.getlist("to"), g.actor, now())
    flash("Your return is now released to " + ", ".join(sorted({role_label(r.to_agency) for r in made}))
          if made else "Your return was already released to those agencies.", "success")
    return redirect(_case_page(case_id))


@bp.post("/cases/<int:case_id>/agency-returns/<agency>/releases/<to>/withdraw")
def withdraw_release(case_id: int, agency: str, to: str) -> ResponseReturnValue:
    go_back_to(_case_page(case_id), Conflict, NotFound)
    run_in_transaction(withdraw, case_id, agency, to, g.actor, now())
    flash(f"Your return is no longer released to {role_label(to)}.", "success")
    return redirect(_case_page(case_id))


def _break_glass_page(values: dict, errors: list) -> ResponseReturnValue:
    return render_template("need_to_know/break_glass.html", values=values, errors=errors, reasons=REASONS)


@bp.route("/cases/break-glass", methods=["GET", "POST"])
def break_glass() -> ResponseReturnValue:
    if request.method == "GET":
        return _break_glass_page({"reference": request.args.get("reference", "")}, [])
    values = {key: request.form.get(key, "") for key in ("reference", "reason", "explanation")}
    on_refusal(lambda refusal: _break_glass_page(values, refusal.errors if isinstance(refusal, ValidationFailed)
                                                 else []), ValidationFailed)
    case, access = run_in_transaction(open_break_glass, g.actor, values["reference"], values["reason"],
                                      values["explanation"], now())
    if access is None:
        flash(f"Your agency is involved in {case.reference}, so it opened without breaking glass.", "info")
    return redirect(url_for("cases.show", case_id=case.id))


def _oversight_page(errors: list | None = None) -> ResponseReturnValue:
    session = get_db().session
    return render_template("need_to_know/oversight.html", refusals=refusals_by_user(session, now() - REFUSALS_OVER),
                           awaiting=awaiting_review(session), reasons=REASONS, outcomes=REVIEW_OUTCOMES,
                           may_review=bool(g.actor.roles & BREAK_GLASS_REVIEWERS), errors=errors or [])


@bp.get("/oversight")
def oversight() -> ResponseReturnValue:
    return _oversight_page()


@bp.post("/oversight/break-glass/<int:access_id>/review")
def review_break_glass(access_id: int) -> ResponseReturnValue:
    on_refusal(lambda refusal: _oversight_page(refusal.errors if isinstance(refusal, ValidationFailed) else []),
               ValidationFailed)
    go_back_to(url_for("need_to_know.oversight"))
    run_in_transaction(review, access_id, request.form.get("outcome", ""), g.actor, now())
    flash("Review recorded.", "success")
    return redirect(url_for("need_to_know.oversight"))
