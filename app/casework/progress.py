"""Keep the case record in step with its workflow, inside the caller's transaction.

After every engine step: the serialized state, the open-task rows inboxes read, the RAG history,
the decision columns reports read, the next timer due, closure, and an audit event per step.
Nothing here decides where a case goes; the diagram does.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import Case, CompletedTask, RagChange
from app.casework.recording import record_submission
from app.core.actor import Actor
from app.core.clock import now
from app.deadlines.tracking import record_retimed, sync_deadlines
from app.engine import CaseWorkflow, StepEvent
from app.inbox.models import OpenTask
from app.inbox.operations import sync_open_tasks

#: Case data names that are a contract with reports and integrations.
CONTRACT_FIELDS = ("rag", "outcome", "strategy_outcome", "consent")


def record_progress(session: Session, case: Case, workflow: CaseWorkflow, events: list[StepEvent], actor: Actor,
                    submitted: tuple[OpenTask, dict] | None = None, rag_rationale: str | None = None) -> None:
    at = now()
    for timer in workflow.fired_timers:
        # Whatever step ran them (the scheduler, a task, the start, a version move): each firing once, here.
        record(session, actor, "timer.fired", case_id=case.id, task_id=timer.task_id, element_id=timer.bpmn_id,
               summary=timer.name, details={"due_at": timer.due_at.isoformat() if timer.due_at else None,
                                            "fired_at": at.isoformat(), "kind": timer.kind})
    data = workflow.case_data()
    if submitted is not None:
        task, form_data = submitted
        session.add(CompletedTask(task_id=task.task_id, case_id=case.id, process_id=task.process_id,
                                  bpmn_id=task.bpmn_id, name=task.name, role=task.role, form_key=task.form_key,
                                  data=form_data, completed_by=actor.username, completed_at=at))
        record_submission(session, case, task, form_data, actor, at)
    was = case.rag
    _record_rag(session, case, data, events, actor, submitted, at, rag_rationale)
    if was is not None and case.rag != was:
        # The engine computes a due time once, when the timer is reached: re-arm the open ones.
        workflow.set_data("rag", case.rag)
        record_retimed(session, case.id, workflow.retime(), actor,
                       reason=f"Re-rated from {was.capitalize()} to {case.rag.capitalize()}")
    case.consent = data.get("consent", case.consent)
    if data.get("outcome") and data.get("outcome") != case.outcome:
        case.outcome = data["outcome"]
        case.decided_at = case.decided_at or at
        case.decided_by = case.decided_by or actor.username
    case.strategy_outcome = data.get("strategy_outcome", case.strategy_outcome)
    due_times = sync_deadlines(session, case.id, workflow, at)
    open_tasks = workflow.open_user_tasks()
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


def _record_rag(session: Session, case: Case, data: dict, events: list[StepEvent], actor: Actor,
                submitted: tuple[OpenTask, dict] | None, at, rationale: str | None) -> None:
    rag = data.get("rag")
    if not rag or rag == case.rag:
        return
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
    summary = (f"Rated {rag.capitalize()}" if case.rag is None
               else f"Re-rated from {case.rag.capitalize()} to {rag.capitalize()}")
    record(session, actor, "case.rag-changed", case_id=case.id, summary=summary,
           details={"from": case.rag, "to": rag})
    if case.rag_initial is None:
        case.rag_initial = rag
    case.rag = rag
