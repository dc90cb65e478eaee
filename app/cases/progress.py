"""Keep the case record in step with its workflow, inside the caller's transaction.

After every engine step: the serialized state, the open-task rows inboxes read, the RAG history,
the decision columns reports read, the next timer due, closure, and an audit event per step.
Nothing here decides where a case goes; the diagram does.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import Case, CompletedTask, RagChange
from app.cases.recording import record_submission
from app.core.actor import Actor
from app.core.clock import now
from app.engine import CaseWorkflow, StepEvent
from app.inbox.models import OpenTask

#: Case data names that are a contract with reports and integrations.
CONTRACT_FIELDS = ("rag", "outcome", "strategy_outcome", "consent")


def record_progress(session: Session, case: Case, workflow: CaseWorkflow, events: list[StepEvent], actor: Actor,
                    submitted: tuple[OpenTask, dict] | None = None) -> None:
    at = now()
    data = workflow.case_data()
    if submitted is not None:
        task, form_data = submitted
        session.add(CompletedTask(task_id=task.task_id, case_id=case.id, process_id=task.process_id,
                                  bpmn_id=task.bpmn_id, name=task.name, role=task.role, form_key=task.form_key,
                                  data=form_data, completed_by=actor.username, completed_at=at))
        record_submission(session, case, task, form_data, actor, at)
    _record_rag(session, case, data, events, actor, submitted, at)
    case.consent = data.get("consent", case.consent)
    if data.get("outcome") and data.get("outcome") != case.outcome:
        case.outcome = data["outcome"]
        case.decided_at = case.decided_at or at
        case.decided_by = case.decided_by or actor.username
    case.strategy_outcome = data.get("strategy_outcome", case.strategy_outcome)
    _sync_open_tasks(session, case, workflow, at)
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


def _record_rag(session: Session, case: Case, data: dict, events: list[StepEvent], actor: Actor,
                submitted: tuple[OpenTask, dict] | None, at) -> None:
    rag = data.get("rag")
    if not rag or rag == case.rag:
        return
    if submitted is not None and submitted[1].get("rag_rationale"):
        rationale, step = submitted[1]["rag_rationale"], submitted[0].name
    else:
        steps = [e.name for e in events if e.state == "completed"]
        rationale = "Set by the process" + (f" at: {', '.join(steps)}" if steps else "")
        step = steps[-1] if steps else None
    session.add(RagChange(case_id=case.id, from_rag=case.rag, to_rag=rag, rationale=rationale, step=step,
                          changed_by=actor.username, changed_at=at))
    summary = f"Rated {rag.capitalize()}" if case.rag is None else f"Re-rated from {case.rag.capitalize()} to {rag.capitalize()}"
    record(session, actor, "case.rag-changed", case_id=case.id, summary=summary,
           details={"from": case.rag, "to": rag})
    if case.rag_initial is None:
        case.rag_initial = rag
    case.rag = rag


def _sync_open_tasks(session: Session, case: Case, workflow: CaseWorkflow, at) -> None:
    current = {task.task_id: task for task in workflow.open_user_tasks()}
    rows = {row.task_id: row for row in session.scalars(select(OpenTask).where(OpenTask.case_id == case.id))}
    for task_id, row in rows.items():
        if task_id not in current:
            session.delete(row)
    for task_id, task in current.items():
        row = rows.get(task_id)
        if row is None:
            session.add(OpenTask(task_id=task_id, case_id=case.id, process_id=task.process_id,
                                 bpmn_id=task.info.bpmn_id, name=task.info.name, role=task.info.role or "",
                                 form_key=task.info.form_key or "", due_at=task.due_at, created_at=at))
        elif row.due_at != task.due_at:
            row.due_at = task.due_at
    case.current_step = "; ".join(sorted(t.info.name for t in current.values()))[:500]
