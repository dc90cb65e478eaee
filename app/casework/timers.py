"""Firing a case's due timers: the deadline's path in the diagram (a chase, an escalation) is taken."""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.cases.models import Case
from app.casework.faults import process_failed
from app.casework.progress import record_progress
from app.core.actor import Actor
from app.engine import CaseWorkflow, ProcessFault
from app.process_models.registry import compiled_by_id


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
        raise process_failed(fault) from fault
    record_progress(session, case, workflow, events, actor)
    return len(workflow.fired_timers)
