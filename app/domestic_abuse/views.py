"""The daily domestic-abuse triage page: the meeting's list, and its decisions recorded in one pass."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from app.audit.operations import record
from app.casework.completion import AnswersHeld
from app.core.db import get_db
from app.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from app.domestic_abuse.dash import DASH_KEYS, DASH_QUESTIONS
from app.domestic_abuse.models import DomesticAbuseChild, DomesticAbuseNotification
from app.domestic_abuse.triage import DECISIONS, TriageRow, triage_errors, triage_one, triage_rows
from app.web.refusals import on_refusal

bp = Blueprint("domestic_abuse", __name__, template_folder="templates")

#: Who records the meeting's decisions: the triage step's lane (processes/domestic_abuse.bpmn).
RECORDS_DECISIONS = "mash-manager"


def _page(values: dict[str, str], errors: list[FieldError]) -> ResponseReturnValue:
    session = get_db().session
    record(session, g.actor, "domestic-abuse.triage-viewed", summary="Daily domestic abuse triage viewed")
    return render_template("domestic_abuse/triage.html", groups=triage_rows(session), decisions=DECISIONS,
                           values=values, errors=errors, may_decide=RECORDS_DECISIONS in g.actor.roles)


@bp.get("/triage/domestic-abuse")
def triage() -> ResponseReturnValue:
    """The notifications waiting for the daily meeting, grouped by risk, each with the table's decision."""
    return _page({}, [])


@bp.post("/triage/domestic-abuse")
def record_decisions() -> ResponseReturnValue:
    """Every decision the meeting made, each a separate audited action; rows left blank wait for the next pass."""
    values = {name: value for name, value in request.form.items() if name.startswith(("decision-", "reason-"))}
    on_refusal(lambda refusal: _page(values, refusal.errors if isinstance(refusal, ValidationFailed) else []),
               ValidationFailed)
    rows = {row.notification.case_id: row for group in triage_rows(get_db().session).values() for row in group
            if row.task_id}
    chosen = {case_id: (values.get(f"decision-{case_id}", ""), values.get(f"reason-{case_id}", ""))
              for case_id in rows if values.get(f"decision-{case_id}")}
    if not chosen:
        raise ValidationFailed([FieldError("decisions", "Select a decision for at least one notification",
                                           anchor=_first_anchor(rows))])
    errors = triage_errors(chosen, {case_id: row.table for case_id, row in rows.items()},
                           {case_id: row.reference for case_id, row in rows.items()})
    if errors:
        raise ValidationFailed(errors)
    done, refused = [], []
    for case_id, (decision, reason) in chosen.items():
        try:
            result = triage_one(case_id, decision, reason, g.actor)
        except (Conflict, NotFound, Forbidden) as refusal:
            refused.append(f"{rows[case_id].reference}: {refusal.message}")
            continue
        done.append(rows[case_id].reference + (" (answers held for a manager)" if isinstance(result, AnswersHeld)
                                               else ""))
    if done:
        flash(f"Recorded {len(done)} decision{'s' if len(done) != 1 else ''}: {', '.join(done)}.", "success")
    for message in refused:
        flash(message, "warning")
    return redirect(url_for("domestic_abuse.triage"))


def _first_anchor(rows: dict[int, TriageRow]) -> str | None:
    return f"decision-{next(iter(rows))}" if rows else None


@dataclass(frozen=True)
class NotificationSection:
    """The case page's domestic abuse notification: shown to whoever may read the contact's concern."""

    notification: DomesticAbuseNotification
    children: list[DomesticAbuseChild]
    questions: list[tuple[str, str]]


@bp.app_template_global()
def domestic_abuse_notification(detail: Any) -> NotificationSection | None:
    """The notification behind a case, when the reader's need to know shows the contact (``concern``)."""
    if detail.contact is None or not detail.sight.shows("concern") or not detail.may_hold(DomesticAbuseNotification):
        return None
    session = get_db().session
    found = session.scalar(select(DomesticAbuseNotification).where(
        DomesticAbuseNotification.case_id == detail.case.id))
    if found is None:
        return None
    children = list(session.scalars(select(DomesticAbuseChild).where(DomesticAbuseChild.notification_id == found.id)
                                    .order_by(DomesticAbuseChild.position)))
    answers = found.dash_answers or {}
    return NotificationSection(found, children, [(question, answers.get(key, "")) for key, question
                                                 in zip(DASH_KEYS, DASH_QUESTIONS, strict=True)])
