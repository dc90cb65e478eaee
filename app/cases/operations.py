"""Use-cases that change a case: start its workflow, complete a task, fire its due timers."""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import Case, CompletedTask
from app.cases.progress import record_progress
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import Conflict, FieldError, Forbidden, NotFound, ProcessFailed, ValidationFailed
from app.engine import CaseWorkflow, NotPermitted, ProcessFault, TaskNotReady
from app.forms import validate
from app.inbox.models import OpenTask
from app.incidents.models import START, Incident
from app.process_models.models import ProcessVersion
from app.process_models.registry import compiled_by_id, latest_version

#: The form (forms/rerate.json) for re-rating a contact from its case page or the API.
RERATE_FORM = "rerate"


def start_workflow(session: Session, case: Case, data: dict, actor: Actor) -> None:
    """Start the case's process. If its first steps fail, the contact is still kept: the case waits at its
    start with an incident for managers, and starts when they retry after the diagram is fixed."""
    definition = compiled_by_id(session, case.process_version_id)
    try:
        workflow, events = CaseWorkflow.start(definition, data)
    except ProcessFault as fault:
        # Kept unstarted: the first steps run again when a manager retries (start_again).
        record_progress(session, case, CaseWorkflow.prepare(definition, data), [], actor)
        case.current_step = "Waiting for a process fix"
        incident = Incident.raised_now(case_id=case.id, kind=START, at=now(), element_id=fault.element_id,
                                       error=f"The process failed at '{fault.element_id}': {fault}",
                                       task_name="Start of the process")
        session.add(incident)
        session.flush()
        record(session, actor, "case.incident-raised", case_id=case.id, element_id=fault.element_id,
               summary="The process could not start", details={"incident_id": incident.id})
        return
    record_progress(session, case, workflow, events, actor)


def start_again(session: Session, case_id: int, actor: Actor) -> Case:
    """Start a case that could not start, on the latest version of its process.

    Nothing of its old version ran, so there is nothing to carry over: the process starts afresh with the
    data the contact gave (the engine's version migration cannot move a workflow that never started)."""
    case = session.get(Case, case_id)
    if case is None or case.status != "open":
        raise Conflict("This case is not waiting to start.")
    data = CaseWorkflow.restore(compiled_by_id(session, case.process_version_id), case.state).case_data()
    version = session.get(ProcessVersion, case.process_version_id)
    latest = latest_version(session, version.process_id)
    if latest.id != version.id:
        record(session, actor, "case.migrated", case_id=case.id, summary=f"Started on version {latest.version}",
               details={"process_id": version.process_id, "from_version": version.version,
                        "to_version": latest.version})
        case.process_version_id = latest.id
    try:
        workflow, events = CaseWorkflow.start(compiled_by_id(session, latest.id), data)
    except ProcessFault as fault:
        raise ProcessFailed(f"The process failed at '{fault.element_id}': {fault}", fault.element_id) from fault
    record_progress(session, case, workflow, events, actor)
    return case


def form_for_task(session: Session, task: OpenTask):
    case = session.get(Case, task.case_id)
    return compiled_by_id(session, case.process_version_id).forms[task.form_key]


def complete_task(session: Session, task_id: str, form_data: dict, actor: Actor) -> Case:
    """Complete one READY task with its form: one winner when two people try at once."""
    task = session.get(OpenTask, task_id)
    if task is None:
        done = session.get(CompletedTask, task_id)
        if done is not None:
            raise Conflict(f"This task was already completed by {done.completed_by}. Reload the case to see what happens next.")
        raise NotFound("There is no task with this reference.")
    if task.role not in actor.roles:
        raise Forbidden("This task belongs to another role.")
    if task.claimed_by_id is not None and task.claimed_by_id != actor.user_id:
        raise Conflict(f"This task is claimed by {task.claimed_by}. Ask them to release it first.")
    errors = validate(form_for_task(session, task), form_data)
    if errors:
        raise ValidationFailed(errors)
    case = session.get(Case, task.case_id)
    definition = compiled_by_id(session, case.process_version_id)
    workflow = CaseWorkflow.restore(definition, case.state)
    try:
        events = workflow.complete_task(task_id, form_data, actor.roles)
    except TaskNotReady as error:
        raise Conflict(str(error)) from error
    except NotPermitted as error:
        raise Forbidden(str(error)) from error
    except ProcessFault as fault:
        raise ProcessFailed(f"The process failed at '{fault.element_id}': {fault}", fault.element_id) from fault
    record(session, actor, "task.completed", case_id=case.id, task_id=task_id, element_id=task.bpmn_id,
           summary=task.name, details={"form": task.form_key})
    record_progress(session, case, workflow, events, actor, submitted=(task, form_data))
    return case


def fire_due_timers(session: Session, case_id: int, actor: Actor) -> int:
    """Let a case's due timers take their paths; returns how many timers fired.

    Runs in its own transaction; the case row's version makes a second firing by a racing scheduler a
    conflict that is retried and then finds nothing due."""
    case = session.get(Case, case_id)
    if case is None or case.status != "open":
        return 0
    workflow = CaseWorkflow.restore(compiled_by_id(session, case.process_version_id), case.state)
    try:
        events = workflow.fire_due_timers()
    except ProcessFault as fault:
        raise ProcessFailed(f"The process failed at '{fault.element_id}': {fault}", fault.element_id) from fault
    record_progress(session, case, workflow, events, actor)
    return len(workflow.fired_timers)


def rerate_form(session: Session, case_id: int):
    case = session.get(Case, case_id)
    return compiled_by_id(session, case.process_version_id).forms[RERATE_FORM]


def rerate(session: Session, case_id: int, form_data: dict, actor: Actor) -> Case:
    """Change a contact's RAG rating outside the diagram's own re-rating step; open deadlines move with it."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("There is no case with this id.")
    if case.status != "open":
        raise Conflict("This contact is closed: its RAG rating can no longer change.")
    definition = compiled_by_id(session, case.process_version_id)
    errors = validate(definition.forms[RERATE_FORM], form_data)
    if errors:
        raise ValidationFailed(errors)
    if form_data["rag"] == case.rag:
        raise ValidationFailed([FieldError("rag", f"The contact is already rated {case.rag.capitalize()}")])
    workflow = CaseWorkflow.restore(definition, case.state)
    workflow.set_data("rag", form_data["rag"])
    record_progress(session, case, workflow, [], actor, rag_rationale=form_data["rag_rationale"])
    return case
