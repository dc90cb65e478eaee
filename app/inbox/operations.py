"""Claiming a task tells colleagues in the same role that someone is working on it."""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.audit.operations import record
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import Conflict, Forbidden, NotFound
from app.inbox.models import OpenTask


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
