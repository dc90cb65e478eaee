"""Keep the case record in step with its workflow, inside the caller's transaction.

After every engine step: the serialized state, the open-task rows inboxes read, the RAG history,
the decision columns reports read, the next timer due, closure, and an audit event per step.
Nothing here decides where a case goes; the diagram does.

A decision field (rag, outcome, strategy_outcome, consent) is a person's only when the form they submitted in
this step holds that value under that name (or they re-rated on the case record). Any other value was set by
the diagram, and is recorded as set by the process at the script that set it: a script never speaks for the
person who happened to complete the step before it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import Case, CompletedTask, RagChange
from app.casework import alerts
from app.casework.recording import Submission, mirror_case_data, record_submission
from app.core.actor import PROCESS as PROCESS_ACTOR
from app.core.actor import Actor
from app.core.clock import now
from app.core.vocabulary import (
    CONSENT_FIELD,
    FEEDBACK_FORM,
    OUTCOME_FIELD,
    RAG_FIELD,
    STRATEGY_OUTCOME_FIELD,
    rag_label,
)
from app.deadlines.models import Deadline
from app.deadlines.tracking import record_retimed, sync_deadlines
from app.engine import CaseWorkflow, StepEvent
from app.inbox.models import OpenTask
from app.inbox.operations import sync_open_tasks
from app.process_models.registry import script_tasks

#: Who set a decision field that no person's form set (app.core.actor.PROCESS), as the record names it.
PROCESS = PROCESS_ACTOR.username
PROCESS_WORDS = "Set by the process"


@dataclass(frozen=True)
class SetBy:
    """Who set a decision field in this step: a person (their task's name) or the process (the script's)."""

    person: bool
    #: The user task (a person) or the script task (the process) that set it; None when not known.
    step: str | None
    element_id: str | None = None

    @property
    def words(self) -> str:
        return f"{PROCESS_WORDS} at: {self.step}" if self.step else PROCESS_WORDS


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
        completed = CompletedTask(task_id=task.task_id, case_id=case.id, process_id=task.process_id,
                                  bpmn_id=task.bpmn_id, name=task.name, role=task.role, form_key=task.form_key,
                                  data=form_data, completed_by=actor.username, completed_at=at)
        session.add(completed)
        ready = {event.task_id for event in events if event.state == "ready"}
        opened = [open_task for open_task in open_tasks if open_task.task_id in ready]
        record_submission(session, Submission(case, task, form_data, actor, at, opened, workflow, completed))
    was = case.rag
    rated = _record_rag(session, case, data, events, actor, submitted, at, rag_rationale, workflow)
    if was is not None and rated is not None:
        # The engine computes a due time once, when the timer is reached: re-arm the open ones.
        workflow.set_data(RAG_FIELD, rated)
        record_retimed(session, case.id, workflow.retime(), actor,
                       reason=f"Re-rated from {rag_label(was)} to {rag_label(rated)}")
    _record_decisions(session, case, data, events, actor, submitted, at, workflow)
    mirror_case_data(case, data)
    breached: list[Deadline] = []
    due_times = sync_deadlines(session, case.id, workflow, at, breached)
    alerts.deadlines_breached(session, case, ((t.process_id, t.name) for t in workflow.fired_timers), at, breached)
    newly_open = sync_open_tasks(session, case.id, open_tasks, at, due_times)
    alerts.tasks_opened(session, case, [task for task in open_tasks if task.task_id in newly_open])
    if submitted is not None and submitted[0].form_key == FEEDBACK_FORM:
        alerts.feedback_given(session, case, submitted[0].task_id, submitted[1])
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


def set_by(name: str, value: Any, events: list[StepEvent], submitted: tuple[OpenTask, dict[str, Any]] | None,
           workflow: CaseWorkflow) -> SetBy:
    """Who set case-data ``name`` to ``value`` in this step (see the module's docstring)."""
    if submitted is not None and name in submitted[1] and submitted[1][name] == value:
        return SetBy(person=True, step=submitted[0].name)
    scripts = script_tasks(workflow.definition.bundle)
    ran = [scripts[e.element_id] for e in events if e.state == "completed" and e.element_id in scripts]
    script = next((s for s in reversed(ran) if name in s.assigns), ran[-1] if ran else None)
    if script is not None:
        return SetBy(person=False, step=script.name, element_id=script.element_id)
    steps = [e.name for e in events if e.state == "completed"]
    return SetBy(person=False, step=", ".join(steps) or None)


def _record_decisions(session: Session, case: Case, data: dict[str, Any], events: list[StepEvent], actor: Actor,
                      submitted: tuple[OpenTask, dict[str, Any]] | None, at: datetime, workflow: CaseWorkflow) -> None:
    """Outcome, strategy outcome and consent: the columns reports read, with who set them."""
    outcome = data.get(OUTCOME_FIELD)
    if outcome and outcome != case.outcome:
        by = set_by(OUTCOME_FIELD, outcome, events, submitted, workflow)
        case.outcome = outcome
        if by.person:
            if case.decided_by in (None, PROCESS):  # a person's decision replaces the process's
                case.decided_by, case.decided_at = actor.username, at
        else:
            case.decided_by, case.decided_at = PROCESS, case.decided_at or at
            case.outcome_rationale = by.words
            _audit_set_by_process(session, case, OUTCOME_FIELD, outcome, by)
    for name in (STRATEGY_OUTCOME_FIELD, CONSENT_FIELD):
        value = data.get(name, getattr(case, name))
        if value is None or value == getattr(case, name):
            continue  # a decision is never undone by an older copy of the case data (a parallel branch's)
        setattr(case, name, value)
        # Every branch reads it from now on: a branch that split off before it was decided (the referrer's
        # feedback beside the strategy discussion) would otherwise bring its old None back at the join.
        workflow.set_data(name, value)
        by = set_by(name, value, events, submitted, workflow)
        if not by.person:
            _audit_set_by_process(session, case, name, value, by)


def _audit_set_by_process(session: Session, case: Case, name: str, value: Any, by: SetBy) -> None:
    record(session, PROCESS_ACTOR, "case.set-by-process", case_id=case.id, element_id=by.element_id,
           summary=f"{name} {by.words[0].lower()}{by.words[1:]}", details={"field": name, "to": value})


def _record_rag(session: Session, case: Case, data: dict[str, Any], events: list[StepEvent], actor: Actor,
                submitted: tuple[OpenTask, dict[str, Any]] | None, at: datetime, rationale: str | None,
                workflow: CaseWorkflow) -> str | None:
    """Record a change of rating, if the step made one; returns the new rating."""
    rag = data.get(RAG_FIELD)
    if not rag or rag == case.rag:
        return None
    changed_by, element_id = actor, None
    step: str | None
    if rationale:
        step = "Re-rated on the case record"
    else:
        by = set_by(RAG_FIELD, rag, events, submitted, workflow)
        step, form = by.step, submitted[1] if submitted is not None else {}
        # The reason the person wrote stands where their form chose this rating (a script that copies a
        # re-rating from a review, say); the rating itself is still recorded as the process's.
        rationale = form.get("rag_rationale") if rag in form.values() else None
        if by.person:
            rationale = rationale or f"Rated at: {step}"
        else:
            changed_by, element_id, rationale = PROCESS_ACTOR, by.element_id, rationale or by.words
    session.add(RagChange(case_id=case.id, from_rag=case.rag, to_rag=rag, rationale=rationale, step=step,
                          changed_by=changed_by.username, changed_at=at))
    summary = (f"Rated {rag_label(rag)}" if case.rag is None
               else f"Re-rated from {rag_label(case.rag)} to {rag_label(rag)}")
    record(session, changed_by, "case.rag-changed", case_id=case.id, element_id=element_id, summary=summary,
           details={"from": case.rag, "to": rag})
    if case.rag_initial is None:
        case.rag_initial = rag
    case.rag = rag
    return str(rag)
