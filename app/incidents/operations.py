"""Raising, retrying and closing incidents.

A task whose next steps fail (a broken expression in the diagram) must not lose what the practitioner
entered, and must not stop the hub: the failed transaction rolls back, then a second one holds the
answers in an incident that managers see. The case stays at the step, its other tasks can still be
worked, and every other case carries on. Once a process owner has deployed a fixed version and moved
the case onto it, a manager retries: the held answers complete the task as the person who gave them.
"""
from __future__ import annotations

import json
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import Case
from app.cases.operations import complete_task, start_again
from app.core.actor import Actor
from app.core.clock import now
from app.core.db import run_in_transaction
from app.core.errors import Conflict, NotFound, ProcessFailed, ValidationFailed
from app.inbox.models import OpenTask
from app.incidents.models import START, TASK, TIMER, Incident

log = logging.getLogger(__name__)


class IncidentRaised(Exception):
    """Not a refusal: the answers were kept, but the process could not go on from this step. Pages say so;
    the API answers 202 Accepted with the incident."""

    def __init__(self, incident_id: int, case_id: int) -> None:
        self.message = ("Your answers are saved, but the process could not go on from this step. "
                        "Managers have been told; the case will move on once the process is fixed.")
        super().__init__(self.message)
        self.incident_id = incident_id
        self.case_id = case_id


def open_task_incident(session: Session, task_id: str) -> Incident | None:
    return session.scalar(select(Incident).where(Incident.kind == TASK, Incident.task_id == task_id,
                                                 Incident.resolved_at.is_(None)))


def _complete_unless_held(session: Session, task_id: str, form_data: dict, actor: Actor) -> Case:
    if open_task_incident(session, task_id) is not None:
        raise Conflict("This step is waiting for a fix to the process. Its answers are already saved; "
                       "a manager will retry them.")
    return complete_task(session, task_id, form_data, actor)


def complete_or_raise_incident(task_id: str, form_data: dict, actor: Actor) -> Case:
    """Complete a task; if the diagram fails after it, hold the answers in an incident (IncidentRaised)."""
    try:
        return run_in_transaction(_complete_unless_held, task_id, form_data, actor)
    except ProcessFailed as failure:
        incident = run_in_transaction(_hold_answers, task_id, form_data, actor, failure)
        raise IncidentRaised(*incident) from failure


def _hold_answers(session: Session, task_id: str, form_data: dict, actor: Actor,
                  failure: ProcessFailed) -> tuple[int, int]:
    task = session.get(OpenTask, task_id)
    if task is None:  # completed by someone else between the two transactions
        raise Conflict("This task was completed by someone else. Reload the case to see what happens next.")
    at = now()
    # Log ids and the kind of failure only: engine messages can quote case data.
    log.warning("task %s of case id %s raised an incident at %s", task.bpmn_id, task.case_id, failure.element_id)
    incident = Incident.raised_now(case_id=task.case_id, kind=TASK, error=failure.message, element_id=failure.element_id,
                                   at=at, task_id=task_id, task_name=task.name, submission=json.dumps(form_data),
                                   submitted_by=actor.username, submitted_by_id=actor.user_id)
    session.add(incident)
    session.flush()
    record(session, actor, "task.incident-raised", case_id=task.case_id, task_id=task_id,
           element_id=failure.element_id, summary=task.name, details={"incident_id": incident.id})
    return incident.id, task.case_id


# ----------------------------------------------------------------------------- retry
def _open_incident(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("There is no such incident.")
    if incident.resolved_at is not None:
        raise Conflict("This incident is already resolved.")
    return incident


def retry_incident(incident_id: int, actor: Actor) -> Incident:
    """A manager asks for another try once the cause is fixed.

    A timer incident makes the case due again now, for the scheduler. A task incident completes the task
    with the held answers, as the person who gave them. A case that could not start is started. If it fails
    again the incident stays open with the new error, and the refusal says so."""
    try:
        return run_in_transaction(_retry, incident_id, actor)
    except ProcessFailed as failure:
        run_in_transaction(_count_failed_retry, incident_id, actor, failure)
        raise Conflict(f"The step failed again at '{failure.element_id or 'an unknown element'}'. Deploy a fixed "
                       "version of the diagram and move the case onto it (a case that never started needs no "
                       "move), then retry.") from failure
    except ValidationFailed as refusal:
        fields = ", ".join(sorted({e.field for e in refusal.errors if e.field})) or "the form"
        raise Conflict(f"The saved answers no longer fit this step's form ({fields}). "
                       "Give the task back so it can be done again.") from refusal


def _retry(session: Session, incident_id: int, actor: Actor) -> Incident:
    incident = _open_incident(session, incident_id)
    if incident.kind == TIMER:
        incident.attempts = 0
        incident.raised_at = None
        session.get(Case, incident.case_id).next_timer_due = now()
        record(session, actor, "timer.incident-retried", case_id=incident.case_id, summary="Deadline timers retried")
        return incident
    # A retry is audited by its result: resolved here, or "failed-again" (this transaction rolls back).
    if incident.kind == START:
        start_again(session, incident.case_id, actor)
        _resolve(session, incident, actor, "started")
        return incident
    if session.get(OpenTask, incident.task_id) is None:
        # The step is no longer waiting (the case was closed or moved past it): nothing to complete.
        _resolve(session, incident, actor, "not-needed")
        return incident
    complete_task(session, incident.task_id, json.loads(incident.submission or "{}"), _submitter(session, incident))
    _resolve(session, incident, actor, "completed")
    return incident


def _submitter(session: Session, incident: Incident) -> Actor:
    """The person who gave the answers, with the step's role: they were authorised when they submitted."""
    task = session.get(OpenTask, incident.task_id)
    return Actor(user_id=incident.submitted_by_id, username=incident.submitted_by or "unknown",
                 roles=frozenset({task.role}))


def _count_failed_retry(session: Session, incident_id: int, actor: Actor, failure: ProcessFailed) -> None:
    incident = _open_incident(session, incident_id)
    incident.attempts += 1
    incident.error = failure.message[:2000]
    incident.element_id = failure.element_id
    incident.last_failed_at = now()
    record(session, actor, _action(incident, "failed-again"), case_id=incident.case_id, task_id=incident.task_id,
           element_id=failure.element_id, summary=incident.task_name, details={"incident_id": incident.id})


def give_task_back(session: Session, incident_id: int, actor: Actor) -> Incident:
    """Close a task incident without using its answers: the task is open in the inbox to be done again."""
    incident = _open_incident(session, incident_id)
    if incident.kind != TASK:
        raise Conflict("Only a task's incident can be given back.")
    record(session, actor, "task.incident-returned", case_id=incident.case_id, task_id=incident.task_id,
           element_id=incident.element_id, summary=incident.task_name, details={"incident_id": incident.id})
    _resolve(session, incident, actor, "returned")
    return incident


def _resolve(session: Session, incident: Incident, actor: Actor, resolution: str) -> None:
    incident.resolved_at, incident.resolved_by, incident.resolution = now(), actor.username, resolution
    incident.submission = None  # the held answers have done their job (or were set aside): not kept beyond it
    record(session, actor, _action(incident, "resolved"), case_id=incident.case_id, task_id=incident.task_id,
           summary=incident.task_name or "Deadline timers fired", details={"incident_id": incident.id,
                                                                            "resolution": resolution})


def _action(incident: Incident, what: str) -> str:
    """Audit actions by what stopped: "timer.", "task." or (a case that could not start) "case."."""
    return f"{'case' if incident.kind == START else incident.kind}.incident-{what}"
