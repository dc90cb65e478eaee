"""Starting a case's process: when a contact arrives, and again after a fix when it could not start."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import Case
from app.casework.faults import process_failed
from app.casework.progress import record_progress
from app.core.actor import Actor
from app.core.errors import Conflict
from app.engine import CaseWorkflow, ProcessFault
from app.incidents.operations import raise_start_incident
from app.process_models.models import ProcessVersion
from app.process_models.registry import compiled_by_id, latest_version


def start_workflow(session: Session, case: Case, data: dict[str, Any], actor: Actor) -> None:
    """Start the case's process. If its first steps fail, the contact is still kept: the case waits at its
    start with an incident for managers, and starts when they retry after the diagram is fixed."""
    definition = compiled_by_id(session, case.process_version_id)
    try:
        workflow, events = CaseWorkflow.start(definition, data)
    except ProcessFault as fault:
        # Kept unstarted: the first steps run again when a manager retries (start_again).
        record_progress(session, case, CaseWorkflow.prepare(definition, data), [], actor)
        case.current_step = "Waiting for a process fix"
        raise_start_incident(session, case.id, process_failed(fault), actor)
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
    version = session.get_one(ProcessVersion, case.process_version_id)
    latest = latest_version(session, version.process_id) or version
    if latest.id != version.id:
        record(session, actor, "case.migrated", case_id=case.id, summary=f"Started on version {latest.version}",
               details={"process_id": version.process_id, "from_version": version.version,
                        "to_version": latest.version})
        case.process_version_id = latest.id
    try:
        workflow, events = CaseWorkflow.start(compiled_by_id(session, latest.id), data)
    except ProcessFault as fault:
        raise process_failed(fault) from fault
    record_progress(session, case, workflow, events, actor)
    return case
