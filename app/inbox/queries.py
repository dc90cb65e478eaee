"""Reads for inboxes: open-task rows joined to their case, never a workflow deserialization."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, Select, bindparam, select
from sqlalchemy.orm import Session

from app.cases.models import Case, Subject
from app.core.memo import memo
from app.deadlines.models import deadline_state
from app.inbox.models import OpenTask


@dataclass(frozen=True)
class InboxItem:
    task_id: str
    case_id: int
    reference: str
    subject_name: str
    name: str
    role: str
    rag: str | None
    due_at: datetime | None
    at_risk_at: datetime | None
    created_at: datetime
    claimed_by: str | None

    def deadline_state(self, at: datetime) -> str | None:
        return deadline_state(self.due_at, self.at_risk_at, at) if self.due_at else None


#: The open-task columns an InboxItem shows: read as plain rows, not OpenTask objects (a page shows fifty, the API
#: five hundred, and an ORM object each cost more than the statement).
ITEM_COLUMNS = (OpenTask.task_id, OpenTask.case_id, OpenTask.name, OpenTask.role, OpenTask.due_at,
                OpenTask.at_risk_at, OpenTask.created_at, OpenTask.claimed_by)


def item_query() -> Select:
    """The columns of inbox items: the task's, its case's reference and rating, and its first subject's name (the
    caller joins the case)."""
    first_subject = (select(Subject.given_name + " " + Subject.family_name)
                     .where(Subject.case_id == Case.id, Subject.position == 0).scalar_subquery())
    return select(*ITEM_COLUMNS, Case.reference, Case.rag, first_subject.label("subject_name"))


def inbox_item(row: Row) -> InboxItem:
    """An inbox item from a row of ``item_query``."""
    return InboxItem(task_id=row.task_id, case_id=row.case_id, reference=row.reference or "",
                     subject_name=row.subject_name or "", name=row.name, role=row.role, rag=row.rag,
                     due_at=row.due_at, at_risk_at=row.at_risk_at, created_at=row.created_at,
                     claimed_by=row.claimed_by)


def inbox_for(session: Session, roles: frozenset[str], *, limit: int = 500) -> list[InboxItem]:
    """The open tasks of the given roles, soonest to breach first; tasks without a deadline after, oldest first."""
    if not roles:
        return []
    rows = session.execute(
        item_query()
        .join(Case, Case.id == OpenTask.case_id)
        .where(OpenTask.role.in_(sorted(roles)))
        # NULLS LAST, not "due_at IS NULL" first: PostgreSQL then reads one role's tasks in ix_open_task_inbox_order's
        # order and stops at the limit, instead of sorting every open task of the role.
        .order_by(OpenTask.due_at.asc().nulls_last(), OpenTask.created_at, OpenTask.task_id)
        .limit(limit))
    return [inbox_item(row) for row in rows]


def open_task(session: Session, task_id: str) -> OpenTask | None:
    return session.get(OpenTask, task_id)


def case_tasks_with(session: Session, task_id: str) -> list[OpenTask]:
    """The open tasks of the case an open task is on, that one among them, oldest first, in one read (none when
    it is not open)."""
    return list(session.scalars(_CASE_TASKS_WITH, {"task_id": task_id}))


#: The case of the open task bound to ``task_id``, for statements that read a task with its case's others.
CASE_OF_TASK = select(OpenTask.case_id).where(OpenTask.task_id == bindparam("task_id")).scalar_subquery()
#: Built once (module constants like this one are the hot path's statements: building one costs more than
#: running it on SQLite).
_CASE_TASKS_WITH = select(OpenTask).where(OpenTask.case_id == CASE_OF_TASK).order_by(OpenTask.created_at)


def open_task_with_its_case_tasks(session: Session, task_id: str) -> OpenTask | None:
    """An open task, read with its case's other open tasks (one read, not two): a task's answer shows them all
    (``case_open_tasks`` takes them for the rest of the transaction)."""
    rows = case_tasks_with(session, task_id)
    task = next((row for row in rows if row.task_id == task_id), None)
    if task is not None:
        memo(session, SYNCED)[task.case_id] = rows
    return task


#: app.core.memo: case id -> the case's inbox rows as this transaction holds them: as a step has just synchronised
#: them (app.inbox.operations.sync_open_tasks), or as read with one of them (``open_task_with_its_case_tasks``).
#: Its answer shows them without reading them again. Only ``sync_open_tasks`` adds or deletes inbox rows.
SYNCED = "case_open_tasks"


def case_open_tasks(session: Session, case_id: int) -> list[OpenTask]:
    """The case's open tasks, oldest first."""
    synced = memo(session, SYNCED).get(case_id)
    if synced is not None:
        return sorted(synced, key=lambda row: row.created_at)  # stable: the rows' own order where they tie
    return list(session.scalars(_CASE_OPEN_TASKS, {"case_id": case_id}))


#: Built once: every case answer lists its open tasks.
_CASE_OPEN_TASKS = select(OpenTask).where(OpenTask.case_id == bindparam("case_id")).order_by(OpenTask.created_at)
