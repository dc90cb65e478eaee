"""A manager's retry of an incident, once the cause is fixed (a corrected diagram deployed, the case moved).

A timer incident makes the case due again now, and wakes the scheduler once that is committed. A task
incident completes the task with the held answers, as the person who gave them. A case that could not start
is started. If it fails again the incident stays open with the new error, and the refusal says so.
"""
from __future__ import annotations

import json

from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import Case
from app.casework.completion import complete_task
from app.casework.scheduler import wake_scheduler
from app.casework.starting import start_again
from app.core.actor import Actor
from app.core.clock import now
from app.core.db import after_commit, run_in_transaction
from app.core.errors import Conflict, ProcessFailed, ValidationFailed
from app.inbox.models import OpenTask
from app.incidents.models import START, TIMER, Incident
from app.incidents.operations import count_failed_retry, open_incident, resolve


def retry_incident(incident_id: int, actor: Actor) -> Incident:
    try:
        return run_in_transaction(_retry, incident_id, actor)
    except ProcessFailed as failure:
        run_in_transaction(count_failed_retry, incident_id, actor, failure)
        raise Conflict(f"The step failed again at '{failure.element_id or 'an unknown element'}'. Deploy a fixed "
                       "version of the diagram and move the case onto it (a case that never started needs no "
                       "move), then retry.", earlier_steps_stand=True) from failure
    except ValidationFailed as refusal:
        fields = ", ".join(sorted({e.field for e in refusal.errors if e.field})) or "the form"
        raise Conflict(f"The saved answers no longer fit this step's form ({fields}). "
                       "Give the task back so it can be done again.") from refusal


def _retry(session: Session, incident_id: int, actor: Actor) -> Incident:
    incident = open_incident(session, incident_id)
    if incident.kind == TIMER:
        incident.attempts = 0
        incident.raised_at = None
        session.get_one(Case, incident.case_id).next_timer_due = now()
        record(session, actor, "timer.incident-retried", case_id=incident.case_id, summary="Deadline timers retried")
        after_commit(session, wake_scheduler)
        return incident
    # A retry is audited by its result: resolved here, or "failed-again" (this transaction rolls back).
    if incident.kind == START:
        start_again(session, incident.case_id, actor)
        resolve(session, incident, actor, "started")
        return incident
    task = session.get(OpenTask, incident.task_id) if incident.task_id is not None else None
    if task is None:
        # The step is no longer waiting (the case was closed or moved past it): nothing to complete.
        resolve(session, incident, actor, "not-needed")
        return incident
    complete_task(session, task.task_id, json.loads(incident.submission or "{}"), _submitter(incident, task))
    resolve(session, incident, actor, "completed")
    return incident


def _submitter(incident: Incident, task: OpenTask) -> Actor:
    """The person who gave the answers, with the step's role: they were authorised when they submitted."""
    return Actor(user_id=incident.submitted_by_id, username=incident.submitted_by or "unknown",
                 roles=frozenset({task.role}))
