"""Escalating an urgent task nobody has claimed: a task of a Red case still unclaimed after
MASH_DUTY_ESCALATION_MINUTES (default 15) goes, once, to the person on duty for its role, by notification.

Run by the deadline scheduler on each pass (only the lease holder runs it). The marker row (duty_escalation,
keyed by the task) is written in the same transaction as the notification it queues, so a task is escalated
once across passes, restarts and racing schedulers (a second insert of the key fails and rolls its pass back).
A task whose role has nobody on duty is not marked: it is escalated as soon as someone is.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import Case
from app.core.actor import SYSTEM
from app.core.clock import now
from app.core.config import duty_escalation_minutes
from app.core.db import run_in_transaction
from app.core.roles import role_label
from app.core.vocabulary import RAG_LABELS, RED
from app.inbox.models import OpenTask
from app.notifications import notify
from app.rota.models import DutyEscalation
from app.rota.queries import OnDuty, on_duty

log = logging.getLogger(__name__)

#: The notification's message type (notifications.toml chooses its channel).
MESSAGE = "duty-escalation"
#: Tasks escalated in one pass at most (the rest on the next).
BATCH = 100


def unclaimed_urgent(session: Session, at: datetime, after: timedelta) -> list[tuple[OpenTask, str]]:
    """Open tasks of open Red cases, unclaimed since ``at - after`` or longer, not yet escalated."""
    rows = session.execute(
        select(OpenTask, Case.reference).join(Case, Case.id == OpenTask.case_id)
        .where(Case.rag == RED, Case.status == "open", OpenTask.claimed_by_id.is_(None),
               OpenTask.created_at <= at - after,
               ~exists().where(DutyEscalation.task_id == OpenTask.task_id))
        .order_by(OpenTask.created_at, OpenTask.task_id).limit(BATCH))
    return [(task, reference or "") for task, reference in rows]


def escalate_unclaimed(session: Session, at: datetime, after: timedelta) -> int:
    """Escalate every waiting urgent task to its role's duty person; how many were escalated."""
    escalated = 0
    for task, reference in unclaimed_urgent(session, at, after):
        duty = on_duty(session, task.role, at)
        if duty is None:
            continue
        session.add(DutyEscalation(task_id=task.task_id, case_id=task.case_id, role=task.role,
                                   to_user_id=duty.user_id, shift_id=duty.shift.id, escalated_at=at))
        session.flush()
        message_ids = _notify(session, task, reference, duty, at)
        record(session, SYSTEM, "task.escalated-to-duty", case_id=task.case_id, task_id=task.task_id,
               element_id=task.bpmn_id,
               details={"role": task.role, "to_user_id": duty.user_id, "shift_id": duty.shift.id,
                        "unclaimed_minutes": int((at - task.created_at).total_seconds() // 60),
                        "notifications": message_ids})
        escalated += 1
    return escalated


def _notify(session: Session, task: OpenTask, reference: str, duty: OnDuty, at: datetime) -> list[int]:
    """Queue the notification in this transaction (app.notifications sends it after commit). The words say
    which step waits and for how long, never who the child is; the link opens the task."""
    minutes = int((at - task.created_at).total_seconds() // 60)
    return notify(session, MESSAGE, to_user_id=duty.user_id, case_id=task.case_id, task_id=task.task_id,
                  urgent=True, facts={"rag": RAG_LABELS[RED], "step": task.name, "role": role_label(task.role),
                                      "minutes": str(minutes)})


def escalate_due() -> int:
    """The scheduler's pass: one transaction; a failure is logged (ids only) and tried again next pass."""
    try:
        return run_in_transaction(escalate_unclaimed, now(), timedelta(minutes=duty_escalation_minutes()))
    except Exception as error:  # noqa: BLE001 - escalation must never stop timers firing
        log.warning("escalating unclaimed urgent tasks failed (%s)", type(error).__name__)
        return 0
