"""The daily domestic-abuse triage: the notifications waiting for the meeting, each with the table's decision, and
the meeting's decisions recorded one by one (each completes that case's triage step, audited on its own).

The page lists every notification still waiting for triage (a notification is never dropped because the meeting
missed it) and those decided since the last meeting (or in the last 24 hours when there was none), grouped by the
officer's DASH risk level. It shows no names: partners identify a family by its reference, and open the case
through need to know."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import Case
from app.casework.completion import AnswersHeld, complete_task
from app.core.actor import Actor
from app.core.clock import now
from app.core.db import run_in_transaction
from app.core.errors import Conflict, FieldError, NotFound, ProcessFailed, ValidationFailed
from app.domestic_abuse.dash import RISK_LEVELS
from app.domestic_abuse.models import DomesticAbuseChild, DomesticAbuseNotification
from app.engine import CaseWorkflow
from app.inbox.models import OpenTask
from app.incidents.operations import hold_answers
from app.process_models.registry import compiled_by_id

#: The triage step of processes/domestic_abuse.bpmn and the form its decision is recorded with.
TRIAGE_STEP = "triage"
TRIAGE_FORM = "domestic_abuse_triage"
DECISIONS: dict[str, str] = {
    "screen": "Screen the children's contact",
    "marac": "Refer to MARAC (and screen)",
    "encompass-only": "Tell the school only",
    "no-further-action": "No further action",
}
#: How far back the meeting looks when it has not met before.
LOOK_BACK = timedelta(hours=24)


def table_decision(data: dict[str, Any]) -> str | None:
    """The table's outputs (marac_required, minimum_rating, tell_school) as one of the meeting's decisions."""
    if "marac_required" not in data:
        return None  # the table has not run yet
    if data.get("marac_required"):
        return "marac"
    if data.get("minimum_rating"):
        return "screen"
    if data.get("tell_school"):
        return "encompass-only"
    return "no-further-action"


@dataclass(frozen=True)
class TriageRow:
    notification: DomesticAbuseNotification
    reference: str
    children: int
    schools_known: int
    task_id: str | None
    table: str | None
    da_rule: str | None
    minimum_rating: str | None
    tell_school: bool


def since_last_meeting(session: Session) -> datetime:
    """When the meeting last decided something (within the last day), else 24 hours ago."""
    last = session.scalar(select(func.max(DomesticAbuseNotification.triaged_at)))
    floor = now() - LOOK_BACK
    return last if last is not None and last > floor else floor


def triage_rows(session: Session) -> dict[str, list[TriageRow]]:
    """Risk level (high first) -> the notifications waiting for the meeting, and those it decided since it last met."""
    since = since_last_meeting(session)
    open_tasks = dict(session.execute(select(OpenTask.case_id, OpenTask.task_id).where(
        OpenTask.bpmn_id == TRIAGE_STEP, OpenTask.form_key == TRIAGE_FORM)).all())
    found = session.scalars(select(DomesticAbuseNotification).where(or_(
        DomesticAbuseNotification.case_id.in_(open_tasks) if open_tasks else False,
        DomesticAbuseNotification.received_at >= since, DomesticAbuseNotification.triaged_at >= since))
        .order_by(DomesticAbuseNotification.received_at)).all()
    cases = {case.id: case for case in session.scalars(select(Case).where(Case.id.in_([n.case_id for n in found])))}
    children: dict[int, list[DomesticAbuseChild]] = {}
    for child in session.scalars(select(DomesticAbuseChild).where(
            DomesticAbuseChild.notification_id.in_([n.id for n in found]))):
        children.setdefault(child.notification_id, []).append(child)
    grouped: dict[str, list[TriageRow]] = {level: [] for level in reversed(RISK_LEVELS)}
    for notification in found:
        case = cases[notification.case_id]
        task_id = open_tasks.get(case.id)
        data = _case_data(session, case) if task_id else {}
        kids = children.get(notification.id, [])
        grouped.setdefault(notification.risk_level, []).append(TriageRow(
            notification=notification, reference=case.reference or str(case.id), children=len(kids),
            schools_known=sum(1 for kid in kids if kid.school), task_id=task_id,
            table=table_decision(data) if task_id else notification.table_decision,
            da_rule=data.get("da_rule") if task_id else notification.da_rule,
            minimum_rating=data.get("minimum_rating"), tell_school=bool(data.get("tell_school"))))
    return grouped


def _case_data(session: Session, case: Case) -> dict[str, Any]:
    return CaseWorkflow.restore(compiled_by_id(session, case.process_version_id), case.state).case_data()


def triage_errors(decisions: dict[int, tuple[str, str]], tables: dict[int, str | None],
                  references: dict[int, str]) -> list[FieldError]:
    """Case id -> (decision, reason): no further action needs its reason, and so does deciding otherwise than the
    table (as a screener overriding the threshold table must say why)."""
    errors = []
    for case_id, (decision, reason) in decisions.items():
        reference = references.get(case_id, str(case_id))
        if decision not in DECISIONS:
            errors.append(FieldError(f"decision-{case_id}", f"{reference}: select what the meeting decided"))
        elif decision == "no-further-action" and not reason.strip():
            errors.append(FieldError(f"reason-{case_id}", f"{reference}: enter the reason for no further action"))
        elif tables.get(case_id) not in (None, decision) and not reason.strip():
            errors.append(FieldError(f"reason-{case_id}", f"{reference}: enter why the meeting decided otherwise "
                                                          "than the table"))
    return errors


def record_triage(session: Session, case_id: int, decision: str, reason: str, actor: Actor) -> str:
    """Before the triage step is completed: keep the meeting's decision beside the table's on the notification,
    audited. Returns the open triage task's id."""
    notification = session.scalar(select(DomesticAbuseNotification).where(DomesticAbuseNotification.case_id == case_id))
    if notification is None:
        raise NotFound("There is no domestic abuse notification with this reference.")
    task = session.scalar(select(OpenTask).where(OpenTask.case_id == case_id, OpenTask.bpmn_id == TRIAGE_STEP))
    if task is None:
        raise Conflict("This notification was already triaged. Reload the page to see the decision.")
    if decision not in DECISIONS:
        raise ValidationFailed([FieldError(f"decision-{case_id}", "Select what the meeting decided")])
    data = _case_data(session, session.get_one(Case, case_id))
    notification.table_decision = table_decision(data)
    notification.da_rule = data.get("da_rule")
    notification.triage_decision = decision
    notification.triage_reason = reason.strip() or None
    notification.triaged_at = now()
    notification.triaged_by = actor.username
    record(session, actor, "domestic-abuse.triaged", case_id=case_id,
           summary=f"Triage: {DECISIONS[decision]}",
           details={"decision": decision, "table_decision": notification.table_decision,
                    "overridden": notification.table_decision not in (None, decision),
                    "risk_level": notification.risk_level})
    return task.task_id


def triage_one(case_id: int, decision: str, reason: str, actor: Actor) -> Case | AnswersHeld:
    """One decision of the meeting, as its own action: kept on the notification, audited, and the case's triage
    step completed with it. If the diagram fails after the step, the decision stands and the answers are held
    for managers (as for any step)."""
    answers = {"da_triage": decision, **({"da_triage_reason": reason.strip()} if reason.strip() else {})}
    try:
        return run_in_transaction(_triage_and_complete, case_id, decision, reason, answers, actor)
    except ProcessFailed as failure:
        task_id = run_in_transaction(record_triage, case_id, decision, reason, actor)
        incident_id, held = run_in_transaction(hold_answers, task_id, answers, actor, failure)
        return AnswersHeld(incident_id, held)


def _triage_and_complete(session: Session, case_id: int, decision: str, reason: str, answers: dict[str, Any],
                         actor: Actor) -> Case:
    task_id = record_triage(session, case_id, decision, reason, actor)
    return complete_task(session, task_id, answers, actor)
