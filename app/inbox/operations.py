"""Claiming a task tells colleagues in the same role that someone is working on it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import Conflict, Forbidden, NotFound
from app.core.memo import memo
from app.engine import OpenUserTask
from app.inbox.models import OpenTask
from app.inbox.queries import SYNCED


def _task_for(session: Session, task_id: str, actor: Actor) -> OpenTask:
    task = session.get(OpenTask, task_id)
    if task is None:
        raise NotFound("This task is no longer open.")
    if task.role not in actor.roles:
        raise Forbidden("This task belongs to another role.")
    return task


def claim(session: Session, task_id: str, actor: Actor) -> OpenTask:
    task = _task_for(session, task_id, actor)
    if task.claimed_by_id not in (None, actor.user_id):
        raise Conflict(f"This task is already claimed by {task.claimed_by}.")
    task.claimed_by_id, task.claimed_by, task.claimed_at = actor.user_id, actor.username, now()
    record(session, actor, "task.claimed", case_id=task.case_id, task_id=task.task_id, element_id=task.bpmn_id,
           summary=task.name)
    return task


def unclaim(session: Session, task_id: str, actor: Actor) -> OpenTask:
    task = _task_for(session, task_id, actor)
    if task.claimed_by_id is None:
        return task
    if task.claimed_by_id != actor.user_id and not actor.has_any("mash-manager", "admin"):
        raise Conflict(f"Only {task.claimed_by} or a manager can release this task.")
    record(session, actor, "task.released", case_id=task.case_id, task_id=task.task_id, element_id=task.bpmn_id,
           summary=task.name, details={"was_claimed_by": task.claimed_by})
    task.claimed_by_id, task.claimed_by, task.claimed_at = None, None, None
    return task


#: Memo (app.core.memo) of cases' inbox rows read ahead (``prefetch_open_tasks``, ``hold_open_tasks``).
_AHEAD = "open_tasks_ahead"


def prefetch_open_tasks(session: Session, case_ids: list[int]) -> None:
    """Read the inbox rows of many cases in one query, for ``sync_open_tasks`` to take instead of asking once per
    case (the scheduler's batch of firings). Kept in the transaction's memo (forgotten when any transaction or
    savepoint ends); a case taken is forgotten, so a second step on it reads afresh."""
    rows: dict[int, list[OpenTask]] = {case_id: [] for case_id in case_ids}
    for row in session.scalars(select(OpenTask).where(OpenTask.case_id.in_(case_ids))):
        rows[row.case_id].append(row)
    memo(session, _AHEAD).update(rows)


def hold_open_tasks(session: Session, case_id: int, rows: list[OpenTask]) -> None:
    """The case's inbox rows as just read (a completion reads them with its task), for ``sync_open_tasks`` to take
    instead of reading them again: valid as ``prefetch_open_tasks``'s."""
    memo(session, _AHEAD)[case_id] = rows


def _open_task_rows(session: Session, case_id: int) -> list[OpenTask]:
    held: list[OpenTask] | None = memo(session, _AHEAD).pop(case_id, None)
    if held is not None:
        return held
    query = select(OpenTask).where(OpenTask.case_id == case_id).order_by(OpenTask.created_at)
    if any(isinstance(pending, OpenTask) for pending in session.new):
        return list(session.scalars(query))  # a row added in this transaction: written first
    with session.no_autoflush:  # the case's pending changes wait for the step's one flush
        return list(session.scalars(query))


def sync_open_tasks(session: Session, case_id: int, open_tasks: list[OpenUserTask], at: datetime,
                    due_times: dict[str, tuple[datetime, datetime | None]] | None = None) -> set[str]:
    """Make the case's inbox rows equal the engine's READY user tasks (same transaction as the step); returns the
    ids of the tasks that were not open before (the ones whose people are told).

    ``due_times`` (task id -> earliest unmet deadline and when it is at risk, breached ones included)
    overrides the engine's armed timers, which forget a deadline once it has fired."""
    due_times = due_times or {}
    current = {task.task_id: task for task in open_tasks}
    rows = {row.task_id: row for row in _open_task_rows(session, case_id)}
    kept = []
    for task_id, gone in rows.items():
        if task_id not in current:
            session.delete(gone)
        else:
            kept.append(gone)
    for task_id, task in current.items():
        row = rows.get(task_id)
        if row is None:
            row = OpenTask(task_id=task_id, case_id=case_id, process_id=task.process_id, bpmn_id=task.info.bpmn_id,
                           name=task.info.name, role=task.info.role or "", form_key=task.info.form_key or "",
                           created_at=at)
            session.add(row)
            kept.append(row)
        elif (row.name, row.role, row.form_key) != (task.info.name, task.info.role or "", task.info.form_key or ""):
            # The case moved to a version that renamed the step, gave it another form or another lane.
            if row.role != (task.info.role or ""):
                row.claimed_by_id, row.claimed_by, row.claimed_at = None, None, None
            row.name, row.role, row.form_key = task.info.name, task.info.role or "", task.info.form_key or ""
        due_at, at_risk_at = due_times.get(task_id, (task.due_at, None))
        if (row.due_at, row.at_risk_at) != (due_at, at_risk_at):
            row.due_at, row.at_risk_at = due_at, at_risk_at
    memo(session, SYNCED)[case_id] = kept
    return set(current) - set(rows)
