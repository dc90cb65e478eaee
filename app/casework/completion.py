"""Completing a task: the step itself, and submitting a task's form from a page or the API.

A task whose next steps fail (a broken expression in the diagram) must not lose what the practitioner
entered and must not stop the hub: the failed step rolls back, then the answers are held in an incident
that managers see. The case stays at the step, its other tasks can still be worked, and every other
case carries on; a manager retries once the diagram is fixed (app.casework.retries).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import Case, CompletedTask
from app.casework.faults import process_failed
from app.casework.loading import case_with_contact
from app.casework.progress import record_progress
from app.casework.signals import signal_case
from app.casework.threshold import override_errors, record_suggestion, suggest, with_suggestion
from app.core.actor import Actor
from app.core.db import run_in_transaction
from app.core.errors import Conflict, Forbidden, NotFound, ProcessFailed, ValidationFailed
from app.core.vocabulary import (
    DECISION_FORM,
    FEEDBACK_FORM,
    JOINED_ENQUIRY_CLOSURE,
    NEW_INFORMATION_SIGNAL,
    SCREENING_FORM,
)
from app.engine import CaseWorkflow, NotPermitted, ProcessFault, TaskNotReady
from app.forms import FormDefinition, validate
from app.inbox.models import OpenTask
from app.incidents.operations import hold_answers
from app.incidents.queries import task_incident
from app.process_models.registry import compiled_by_id
from app.sharing.forms import feedback_form


@dataclass(frozen=True)
class AnswersHeld:
    """Not a refusal: the answers were kept, but the process could not go on from this step. Pages say so;
    the API answers 202 Accepted with the incident."""

    incident_id: int
    case_id: int
    message: str = ("Your answers are saved, but the process could not go on from this step. "
                    "Managers have been told; the case will move on once the process is fixed.")


def form_for_task(session: Session, task: OpenTask, case: Case | None = None) -> FormDefinition:
    """The task's form from the case's process version; the feedback form fitted to the case's sharing
    decision (app.sharing.forms: sending what the decision maker decided, or asking as before). ``case``: the
    task's case when the caller holds it (the session keeps only rows someone holds: it would be read again)."""
    case = case if case is not None else session.get_one(Case, task.case_id)
    forms = compiled_by_id(session, case.process_version_id).forms
    if task.form_key == FEEDBACK_FORM:
        return feedback_form(session, case.id, forms[task.form_key], forms.get(DECISION_FORM))
    return forms[task.form_key]


def submit_task(task_id: str, form_data: dict[str, Any], actor: Actor) -> Case | AnswersHeld:
    """What a person's submission of a task does: complete it, or, if the diagram fails after it, hold the
    answers in an incident for managers (AnswersHeld). Refusals (not ready, another role's task, claimed by
    someone else, invalid answers, already held) change nothing."""
    try:
        return run_in_transaction(_complete_unless_held, task_id, form_data, actor)
    except ProcessFailed as failure:
        incident_id, case_id = run_in_transaction(hold_answers, task_id, form_data, actor, failure)
        return AnswersHeld(incident_id, case_id)


def _complete_unless_held(session: Session, task_id: str, form_data: dict[str, Any], actor: Actor) -> Case:
    task, incident = task_incident(session, task_id)  # held here, complete_task finds the task in the session
    if incident is not None:
        raise Conflict("This step is waiting for a fix to the process. Its answers are already saved; "
                       "a manager will retry them.")
    completed = complete_task(session, task_id, form_data, actor)
    del task
    return completed


def complete_task(session: Session, task_id: str, form_data: dict[str, Any], actor: Actor) -> Case:
    """Complete one READY task with its form, in the caller's transaction: one winner when two people try
    at once. Raises ProcessFailed when the diagram fails after the task (the caller rolls back)."""
    task = session.get(OpenTask, task_id)
    if task is None:
        done = session.get(CompletedTask, task_id)
        if done is not None:
            raise Conflict(f"This task was already completed by {done.completed_by}. "
                           "Reload the case to see what happens next.")
        raise NotFound("There is no task with this reference.")
    if task.role not in actor.roles:
        raise Forbidden("This task belongs to another role.")
    if task.claimed_by_id is not None and task.claimed_by_id != actor.user_id:
        raise Conflict(f"This task is claimed by {task.claimed_by}. Ask them to release it first.")
    case = case_with_contact(session, task.case_id)[0]  # one read, with its subjects and its answer's contact
    if case is None:
        raise NotFound("There is no task with this reference.")
    form = form_for_task(session, task, case)
    definition = compiled_by_id(session, case.process_version_id)
    workflow = CaseWorkflow.restore(definition, case.state)
    errors = validate(form, form_data)
    suggestion = None
    if task.form_key == SCREENING_FORM:  # the threshold table's suggestion: a different rating needs a reason
        suggestion = suggest(definition, workflow.case_data(), form_data.get("presenting_factors"),
                             session=session, case=case)
        errors = errors or override_errors(suggestion, form_data)  # asked once the rest of the answers stand
    if errors:
        raise ValidationFailed(errors)
    form_data = form.with_decisions(form.with_defaults(form_data))  # defaults, then what a choice stands for
    if suggestion is not None:
        form_data = with_suggestion(suggestion, form_data)
    if form.records:  # what the person decided on is kept with what they decided
        shown = next((t.data for t in workflow.open_user_tasks() if t.task_id == task_id), {})
        form_data = {**{name: shown[name] for name in form.records if name in shown}, **form_data}
    try:
        events = workflow.complete_task(task_id, form_data, actor.roles)
    except TaskNotReady as error:
        raise Conflict(str(error)) from error
    except NotPermitted as error:
        raise Forbidden(str(error)) from error
    except ProcessFault as fault:
        raise process_failed(fault) from fault
    record(session, actor, "task.completed", case_id=case.id, task_id=task_id, element_id=task.bpmn_id,
           summary=task.name, details={"form": task.form_key})
    if suggestion is not None:
        record_suggestion(session, case, suggestion, form_data, actor, task_id, task.bpmn_id)
    record_progress(session, case, workflow, events, actor, submitted=(task, form_data))
    if case.status == "closed" and case.closure == JOINED_ENQUIRY_CLOSURE and case.linked_case_id is not None:
        _tell_the_open_enquiry(session, case, actor)
    return case


def _tell_the_open_enquiry(session: Session, joined: Case, actor: Actor) -> None:
    """A contact the screener joined to an open enquiry gives that enquiry a "Review new information" step."""
    enquiry = session.get_one(Case, joined.linked_case_id)
    signal_case(session, enquiry, NEW_INFORMATION_SIGNAL, {"joined_contact": joined.reference}, actor,
                not_listening=f"The open enquiry {enquiry.reference} runs on a version of the process that cannot "
                              "take new information: screen this contact on its own instead.")
