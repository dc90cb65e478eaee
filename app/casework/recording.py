"""Typed records from submitted forms, for the case page and reports.

The submission is always kept whole in CompletedTask; these add queryable rows for the forms the hub
reports on. Keyed by form, not by diagram position, so a redrawn diagram keeps its records.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy.orm import Session

from app.cases.models import AgencyReturn, Case, ReferrerFeedback, StrategyDiscussion
from app.core.actor import Actor
from app.inbox.models import OpenTask
from app.sharing.operations import record_dissemination, record_screening


def _screening(session: Session, case: Case, task: OpenTask, data: dict, actor: Actor, at: datetime) -> None:
    """The census factors the screener coded the concern with, and the sharing record of the checks asked for."""
    case.presenting_factors = list(data.get("presenting_factors") or [])
    record_screening(session, case, task, data, actor, at)


def _agency_check(session: Session, case: Case, task: OpenTask, data: dict, actor: Actor, at: datetime) -> None:
    session.add(AgencyReturn(
        case_id=case.id, task_id=task.task_id, agency=task.role, nothing_known=bool(data.get("nothing_known")),
        findings=data.get("findings"), handling_restriction=data.get("handling_restriction", "none"),
        restriction_note=data.get("restriction_note"), third_parties_to_protect=data.get("third_parties_to_protect"),
        requested_at=task.created_at, due_at=task.due_at, returned_by=actor.username, returned_at=at))


def _decision(session: Session, case: Case, task: OpenTask, data: dict, actor: Actor, at: datetime) -> None:
    case.outcome_rationale = data.get("outcome_rationale")


def _strategy_discussion(session: Session, case: Case, task: OpenTask, data: dict, actor: Actor, at: datetime) -> None:
    session.add(StrategyDiscussion(
        case_id=case.id, held_on=date.fromisoformat(data["held_on"]), attendees=list(data.get("attendees", [])),
        summary=data.get("summary", ""), strategy_outcome=data.get("strategy_outcome", ""),
        actions=data.get("actions"), recorded_by=actor.username, recorded_at=at))


def _feedback(session: Session, case: Case, task: OpenTask, data: dict, actor: Actor, at: datetime) -> None:
    session.add(ReferrerFeedback(
        case_id=case.id, method=data.get("feedback_method", ""), summary=data.get("feedback_summary", ""),
        recipients=list(data.get("information_product_recipients", [])),
        dissemination_note=data.get("dissemination_note"), sent_by=actor.username, sent_at=at))
    record_dissemination(session, case, task, data, actor, at)


RECORDERS: dict[str, Callable] = {
    "screening": _screening,
    "agency_check": _agency_check,
    "decision": _decision,
    "strategy_discussion_record": _strategy_discussion,
    "feedback": _feedback,
}


def record_submission(session: Session, case: Case, task: OpenTask, data: dict, actor: Actor, at: datetime) -> None:
    recorder = RECORDERS.get(task.form_key)
    if recorder is not None:
        recorder(session, case, task, data, actor, at)
