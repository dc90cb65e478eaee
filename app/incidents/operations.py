"""Keeping the record of incidents: raising one, counting failed retries, resolving, giving a task back.

Case work (app.casework) decides when a step has failed and retries it; this module only keeps the
incident rows and their audit events, inside the caller's transaction.
"""
from __future__ import annotations

import json
import logging

from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import Case
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import Conflict, NotFound, ProcessFailed
from app.inbox.models import OpenTask
from app.incidents.models import START, TASK, TIMER, Incident
from app.incidents.queries import open_timer_incident
from app.notifications import notify

log = logging.getLogger(__name__)


def hold_answers(session: Session, task_id: str, form_data: dict, actor: Actor,
                 failure: ProcessFailed) -> tuple[int, int]:
    """Keep a submission whose next steps failed (its own transaction rolled back); returns (incident, case)."""
    task = session.get(OpenTask, task_id)
    if task is None:  # completed by someone else between the two transactions
        raise Conflict("This task was completed by someone else. Reload the case to see what happens next.")
    at = now()
    # Log ids and the kind of failure only: engine messages can quote case data.
    log.warning("task %s of case id %s raised an incident at %s", task.bpmn_id, task.case_id, failure.element_id)
    incident = Incident.raised_now(case_id=task.case_id, kind=TASK, error=failure.message,
                                   element_id=failure.element_id, at=at, task_id=task_id, task_name=task.name,
                                   submission=json.dumps(form_data),
                                   submitted_by=actor.username, submitted_by_id=actor.user_id)
    session.add(incident)
    session.flush()
    record(session, actor, "task.incident-raised", case_id=task.case_id, task_id=task_id,
           element_id=failure.element_id, summary=task.name, details={"incident_id": incident.id})
    _tell_process_owners(session, incident)
    return incident.id, task.case_id


def raise_start_incident(session: Session, case_id: int, failure: ProcessFailed, actor: Actor) -> Incident:
    """A contact whose process could not start: the case is kept, waiting for a fix and a retry."""
    incident = Incident.raised_now(case_id=case_id, kind=START, at=now(), element_id=failure.element_id,
                                   error=failure.message, task_name="Start of the process")
    session.add(incident)
    session.flush()
    record(session, actor, "case.incident-raised", case_id=case_id, element_id=failure.element_id,
           summary="The process could not start", details={"incident_id": incident.id})
    _tell_process_owners(session, incident)
    return incident


def count_timer_failure(session: Session, case_id: int, message: str, element_id: str | None, *,
                        raise_after: int, actor: Actor) -> Incident:
    """Count one failed firing of a case's timers; the incident is raised for managers at ``raise_after``."""
    at = now()
    incident = open_timer_incident(session, case_id)
    if incident is None:
        incident = Incident(case_id=case_id, kind=TIMER, attempts=0, first_failed_at=at)
        session.add(incident)
    incident.attempts += 1
    incident.error = message[:2000]
    incident.element_id = element_id
    incident.last_failed_at = at
    if incident.attempts >= raise_after and incident.raised_at is None:
        incident.raised_at = at
        record(session, actor, "timer.incident-raised", case_id=case_id, element_id=element_id,
               summary="Deadline timers failed to fire", details={"attempts": incident.attempts})
        _tell_process_owners(session, incident)
    return incident


def _tell_process_owners(session: Session, incident: Incident) -> None:
    """Process owners hear when an incident is raised (once: a failed retry is the same incident), with the step
    and the element at fault, never the engine's message (it can quote case data)."""
    case = session.get_one(Case, incident.case_id)
    notify(session, "incident", to_role="process-owner", case_id=incident.case_id, page="/process-models",
           facts={"step": incident.task_name or "Deadline timers", "element": incident.element_id or "",
                  "reference": case.reference or "", "kind": incident.kind})


def resolve_timer_incident(session: Session, case_id: int, actor: Actor) -> None:
    """The case's timers fired after failing before: its open timer incident, if any, is resolved."""
    incident = open_timer_incident(session, case_id)
    if incident is not None:
        incident.resolved_at, incident.resolved_by, incident.resolution = now(), actor.username, "fired"
        record(session, actor, "timer.incident-resolved", case_id=case_id, summary="Deadline timers fired")


def open_incident(session: Session, incident_id: int) -> Incident:
    """The incident a manager acts on; refused when it does not exist or is already resolved."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("There is no such incident.")
    if incident.resolved_at is not None:
        raise Conflict("This incident is already resolved.")
    return incident


def count_failed_retry(session: Session, incident_id: int, actor: Actor, failure: ProcessFailed) -> None:
    incident = open_incident(session, incident_id)
    incident.attempts += 1
    incident.error = failure.message[:2000]
    incident.element_id = failure.element_id
    incident.last_failed_at = now()
    record(session, actor, _action(incident, "failed-again"), case_id=incident.case_id, task_id=incident.task_id,
           element_id=failure.element_id, summary=incident.task_name or "", details={"incident_id": incident.id})


def give_task_back(session: Session, incident_id: int, actor: Actor) -> Incident:
    """Close a task incident without using its answers: the task is open in the inbox to be done again."""
    incident = open_incident(session, incident_id)
    if incident.kind != TASK:
        raise Conflict("Only a task's incident can be given back.")
    record(session, actor, "task.incident-returned", case_id=incident.case_id, task_id=incident.task_id,
           element_id=incident.element_id, summary=incident.task_name or "", details={"incident_id": incident.id})
    resolve(session, incident, actor, "returned")
    return incident


def resolve(session: Session, incident: Incident, actor: Actor, resolution: str) -> None:
    incident.resolved_at, incident.resolved_by, incident.resolution = now(), actor.username, resolution
    incident.submission = None  # the held answers have done their job (or were set aside): not kept beyond it
    record(session, actor, _action(incident, "resolved"), case_id=incident.case_id, task_id=incident.task_id,
           summary=incident.task_name or "Deadline timers fired", details={"incident_id": incident.id,
                                                                            "resolution": resolution})


def _action(incident: Incident, what: str) -> str:
    """Audit actions by what stopped: "timer.", "task." or (a case that could not start) "case."."""
    return f"{'case' if incident.kind == START else incident.kind}.incident-{what}"
