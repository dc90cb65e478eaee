"""Starting a case's process: when a contact arrives, and again after a fix when it could not start.

A contact arriving over the web or the API starts in three moves, so that nothing waits behind a diagram:
``store_unstarted`` (in the transaction that stores the contact, committed before any diagram code runs),
``run_start`` (the diagram's first steps, outside any transaction, under the evaluator's budget) and
``record_start`` (a short transaction of its own). ``start_workflow`` does it all in the caller's transaction,
for the command line, the demo and the training runner.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import Case
from app.casework.faults import process_failed
from app.casework.progress import record_progress
from app.core.actor import SYSTEM, Actor
from app.core.db import commit_request_so_far, get_db, run_in_transaction
from app.core.errors import Conflict
from app.engine import CaseWorkflow, CompiledDefinition, ProcessFault, StepEvent
from app.incidents.operations import raise_start_incident
from app.process_models.models import ProcessVersion
from app.process_models.registry import compiled_by_id, latest_version

#: What a case's current step says between storing its contact and its process's first steps.
STARTING = "Starting the process"


@dataclass(frozen=True)
class StartRun:
    """The first steps of a case's process, run but not yet recorded: the workflow, or the fault that
    stopped it."""

    definition: CompiledDefinition
    data: dict[str, Any]
    workflow: CaseWorkflow | None
    events: list[StepEvent]
    fault: ProcessFault | None


def store_unstarted(session: Session, case: Case, data: dict[str, Any], actor: Actor) -> CompiledDefinition:
    """Keep the case's workflow with its data, not yet run (no diagram code runs here): a case whose start
    never gets recorded still has its contact and can be started by a manager's retry."""
    definition = compiled_by_id(session, case.process_version_id)
    record_progress(session, case, CaseWorkflow.prepare(definition, data), [], actor)
    case.current_step = STARTING
    return definition


def run_start(definition: CompiledDefinition, data: dict[str, Any]) -> StartRun:
    """Run the process's first steps. No database: call it outside any transaction."""
    try:
        workflow, events = CaseWorkflow.start(definition, data)
    except ProcessFault as fault:
        return StartRun(definition, data, None, [], fault)
    return StartRun(definition, data, workflow, events, None)


def record_start(session: Session, case_id: int, run: StartRun, actor: Actor) -> None:
    """Record the first steps (or the incident that stopped them) on a case still waiting at its start."""
    case = session.get(Case, case_id)
    if case is None or case.status != "open" or case.current_step != STARTING:
        return  # started meanwhile (a manager's retry), or closed: what happened then stands
    _record_run(session, case, run, actor)


def waiting_to_start(case: Case) -> bool:
    """Stored by ``store_unstarted`` and not started since (the server may have stopped in between)."""
    return case.status == "open" and case.current_step == STARTING


def start_stored(session: Session, case: Case, actor: Actor) -> None:
    """Start a case stored by ``store_unstarted``: commit the request so far (the contact stands), run the
    first steps outside any transaction, and record them in a short transaction. A case already started is
    left alone, so a retried contact whose first attempt stopped between the two commits starts now, once."""
    if not waiting_to_start(case):
        return
    definition = compiled_by_id(session, case.process_version_id)
    data = CaseWorkflow.restore(definition, case.state).case_data()
    commit_request_so_far()
    run_in_transaction(record_start, case.id, run_start(definition, data), actor)


#: A contact stored but not started this long after it was typed in was left by a request that stopped between
#: its two commits (a crash, a restart) and whose sender never retried: the scheduler starts it.
STRANDED_AFTER = timedelta(minutes=2)


def stranded_case_ids(session: Session, at: datetime, limit: int = 50) -> list[int]:
    return list(session.scalars(select(Case.id).where(
        Case.status == "open", Case.current_step == STARTING, Case.typed_in_at < at - STRANDED_AFTER)
        .order_by(Case.typed_in_at).limit(limit)))


def start_stranded(at: datetime) -> int:
    """Start every contact left waiting at its start (see STRANDED_AFTER), each as a request would: read it,
    run its first steps outside any transaction, record them in a short one. Returns how many were started."""
    db = get_db()
    with db.reading() as session:
        waiting = stranded_case_ids(session, at)
    started = 0
    for case_id in waiting:
        with db.reading() as session:
            case = session.get(Case, case_id)
            if case is None or not waiting_to_start(case):
                continue
            definition = compiled_by_id(session, case.process_version_id)
            data = CaseWorkflow.restore(definition, case.state).case_data()
        run_in_transaction(record_start, case_id, run_start(definition, data), SYSTEM)
        started += 1
    return started


def _record_run(session: Session, case: Case, run: StartRun, actor: Actor) -> None:
    if run.fault is not None:
        # Kept unstarted: the first steps run again when a manager retries (start_again).
        record_progress(session, case, CaseWorkflow.prepare(run.definition, run.data), [], actor)
        case.current_step = "Waiting for a process fix"
        raise_start_incident(session, case.id, process_failed(run.fault), actor)
        return
    if run.workflow is not None:
        record_progress(session, case, run.workflow, run.events, actor)


def start_workflow(session: Session, case: Case, data: dict[str, Any], actor: Actor) -> None:
    """Start the case's process. If its first steps fail, the contact is still kept: the case waits at its
    start with an incident for managers, and starts when they retry after the diagram is fixed."""
    _record_run(session, case, run_start(compiled_by_id(session, case.process_version_id), data), actor)


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
