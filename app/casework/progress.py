"""Keep the case record in step with its workflow, inside the caller's transaction.

After every engine step: the serialized state, the open-task rows inboxes read, the RAG history,
the decision columns reports read, the next timer due, closure, and an audit event per step.
Nothing here decides where a case goes; the diagram does.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import Case, CompletedTask, RagChange
from app.casework.recording import Submission, record_submission
from app.core.actor import Actor
from app.core.clock import now
from app.core.vocabulary import CONSENT_FIELD, OUTCOME_FIELD, RAG_FIELD, STRATEGY_OUTCOME_FIELD, rag_label
from app.deadlines.tracking import record_retimed, sync_deadlines
from app.engine import CaseWorkflow, StepEvent
from app.inbox.models import OpenTask
from app.inbox.operations import sync_open_tasks


def record_progress(session: Session, case: Case, workflow: CaseWorkflow, events: list[StepEvent], actor: Actor,
                    submitted: tuple[OpenTask, dict[str, Any]] | None = None,
                    rag_rationale: str | None = None) -> None:
    at = now()
    for timer in workflow.fired_timers:
        # Whatever step ran them (the scheduler, a task, the start, a version move): each firing once, here.
        record(session, actor, "timer.fired", case_id=case.id, task_id=timer.task_id, element_id=timer.bpmn_id,
               summary=timer.name, details={"due_at": timer.due_at.isoformat() if timer.due_at else None,
                                            "fired_at": at.isoformat(), "kind": timer.kind})
    data = workflow.case_data()
    open_tasks = workflow.open_user_tasks()
    if submitted is not None:
        task, form_data = submitted
        session.add(CompletedTask(task_id=task.task_id, case_id=case.id, process_id=task.process_id,
                                  bpmn_id=task.bpmn_id, name=task.name, role=task.role, form_key=task.form_key,
                                  data=form_data, completed_by=actor.username, completed_at=at))
        ready = {event.task_id for event in events if event.state == "ready"}
        opened = [open_task for open_task in open_tasks if open_task.task_id in ready]
        record_submission(session, Submission(case, task, form_data, actor, at, opened))
    was = case.rag
    rated = _record_rag(session, case, data, events, actor, submitted, at, rag_rationale)
    if was is not None and rated is not None:
        # The engine computes a due time once, when the timer is reached: re-arm the open ones.
        workflow.set_data(RAG_FIELD, rated)
        record_retimed(session, case.id, workflow.retime(), actor,
                       reason=f"Re-rated from {rag_label(was)} to {rag_label(rated)}")
    case.consent = data.get(CONSENT_FIELD, case.consent)
    if data.get(OUTCOME_FIELD) and data.get(OUTCOME_FIELD) != case.outcome:
        case.outcome = data[OUTCOME_FIELD]
        case.decided_at = case.decided_at or at
        case.decided_by = case.decided_by or actor.username
    case.strategy_outcome = data.get(STRATEGY_OUTCOME_FIELD, case.strategy_outcome)
    due_times = sync_deadlines(session, case.id, workflow, at)
    sync_open_tasks(session, case.id, open_tasks, at, due_times)
    case.current_step = "; ".join(sorted(t.info.name for t in open_tasks))[:500]
    case.state = workflow.serialize()
    case.next_timer_due = workflow.next_timer_due()
    if workflow.completed and case.status != "closed":
        case.status = "closed"
        case.closure = workflow.end_event()
        case.closed_at = at
        ending = next((e.name for e in events if e.element_id == case.closure), case.closure)
        record(session, actor, "case.closed", case_id=case.id, element_id=case.closure, summary=ending or "Closed")
    for event in events:
        record(session, actor, f"step.{event.state}", case_id=case.id, task_id=event.task_id,
               element_id=event.element_id, summary=event.name, details={"process_id": event.process_id})


def _record_rag(session: Session, case: Case, data: dict[str, Any], events: list[StepEvent], actor: Actor,
                submitted: tuple[OpenTask, dict[str, Any]] | None, at: datetime, rationale: str | None) -> str | None:
    """Record a change of rating, if the step made one; returns the new rating."""
    rag = data.get(RAG_FIELD)
    if not rag or rag == case.rag:
        return None
    step: str | None
    if rationale:
        step = "Re-rated on the case record"
    elif submitted is not None and submitted[1].get("rag_rationale"):
        rationale, step = submitted[1]["rag_rationale"], submitted[0].name
    else:
        steps = [e.name for e in events if e.state == "completed"]
        rationale = "Set by the process" + (f" at: {', '.join(steps)}" if steps else "")
        step = steps[-1] if steps else None
    session.add(RagChange(case_id=case.id, from_rag=case.rag, to_rag=rag, rationale=rationale, step=step,
                          changed_by=actor.username, changed_at=at))
    summary = (f"Rated {rag_label(rag)}" if case.rag is None
               else f"Re-rated from {rag_label(case.rag)} to {rag_label(rag)}")
    record(session, actor, "case.rag-changed", case_id=case.id, summary=summary,
           details={"from": case.rag, "to": rag})
    if case.rag_initial is None:
        case.rag_initial = rag
    case.rag = rag
    return str(rag)
