"""Sending a signal to a case: something outside the diagram happened (a professional disagreement was raised)
and the event subprocess that catches the signal starts, beside whatever the case is doing.

A closed contact can still be signalled: its finished workflow opens again for the subprocess, the case is
open again (on the SLA wall, its deadlines fired by the scheduler) and closes again, with its closure, when the
subprocess ends (record_progress). An anonymised contact cannot: its workflow is gone.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import Case
from app.casework.faults import process_failed
from app.casework.progress import record_progress
from app.core.actor import Actor
from app.core.errors import Conflict
from app.engine import CaseWorkflow, NotListening, OpenUserTask, ProcessFault
from app.process_models.registry import compiled_by_id


def signal_case(session: Session, case: Case, signal: str, payload: dict[str, Any], actor: Actor, *,
                not_listening: str) -> list[OpenUserTask]:
    """Send ``signal`` with ``payload`` (merged into the started subprocess's data) in the caller's transaction;
    returns the steps it opened. Refuses (Conflict, with ``not_listening``) a case whose process version has no
    event subprocess for the signal; ProcessFailed when the diagram fails (the caller rolls back)."""
    if case.anonymised_at is not None:
        raise Conflict("This contact's personal data was removed under the retention policy, so nothing more can "
                       "happen on it. Make a new contact if there is a new concern.")
    workflow = CaseWorkflow.restore(compiled_by_id(session, case.process_version_id), case.state)
    try:
        events = workflow.send_signal(signal, payload)
    except NotListening as error:
        raise Conflict(not_listening) from error
    except ProcessFault as fault:
        raise process_failed(fault) from fault
    if case.status == "closed" and not workflow.completed:
        case.status = "open"
        record(session, actor, "case.reopened", case_id=case.id, summary="Opened again",
               details={"signal": signal, "closure": case.closure})
    record_progress(session, case, workflow, events, actor)
    opened = {event.task_id for event in events if event.state == "ready"}
    return [task for task in workflow.open_user_tasks() if task.task_id in opened]
