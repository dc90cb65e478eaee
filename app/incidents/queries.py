"""Reading incidents: the managers' list (SLA wall, API) and the ones that hold a case's tasks."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from app.cases.models import Case
from app.inbox.models import OpenTask
from app.inbox.operations import hold_open_tasks
from app.inbox.queries import CASE_OF_TASK
from app.incidents.models import TASK, TIMER, Incident
from app.process_models.models import ProcessVersion


@dataclass(frozen=True)
class IncidentView:
    """An open incident as managers see it, with what a fix needs: the version the case runs and the latest."""

    id: int
    case_id: int
    reference: str
    kind: str
    step: str
    element_id: str | None
    error: str
    attempts: int
    raised_at: datetime
    submitted_by: str | None
    process_id: str
    version: int
    latest_version: int

    @property
    def fix_deployed(self) -> bool:
        """A newer version exists: the case can be moved onto it before retrying."""
        return self.latest_version > self.version


def raised_incidents(session: Session) -> list[IncidentView]:
    """Every incident waiting for a manager, oldest first (one query)."""
    version = aliased(ProcessVersion)
    latest = (select(ProcessVersion.process_id, func.max(ProcessVersion.version).label("latest"))
              .group_by(ProcessVersion.process_id).subquery())
    rows = session.execute(
        select(Incident, Case.reference, version.process_id, version.version, latest.c.latest)
        .join(Case, Case.id == Incident.case_id)
        .join(version, version.id == Case.process_version_id)
        .join(latest, latest.c.process_id == version.process_id)
        .where(Incident.raised_at.is_not(None), Incident.resolved_at.is_(None))
        .order_by(Incident.raised_at, Incident.id))
    return [IncidentView(id=i.id, case_id=i.case_id, reference=reference or str(i.case_id), kind=i.kind,
                         step=i.task_name or "Deadline timers", element_id=i.element_id, error=i.error,
                         attempts=i.attempts, raised_at=i.raised_at, submitted_by=i.submitted_by,
                         process_id=process_id, version=number, latest_version=newest)
            for i, reference, process_id, number, newest in rows]


def held_task_ids(session: Session, task_ids: list[str]) -> set[str]:
    """Which of these open tasks have answers held by an open incident (one query per inbox page)."""
    if not task_ids:
        return set()
    return set(session.scalars(select(Incident.task_id).where(Incident.kind == TASK, Incident.task_id.in_(task_ids),
                                                              Incident.resolved_at.is_(None))))


def case_incidents(session: Session, case_id: int) -> list[Incident]:
    """A case's open incidents, for its case page."""
    return list(session.scalars(select(Incident).where(Incident.case_id == case_id, Incident.resolved_at.is_(None))
                                .order_by(Incident.first_failed_at)))


def open_task_incident(session: Session, task_id: str) -> Incident | None:
    """The incident holding a task's answers, while it waits for a manager."""
    return session.scalar(select(Incident).where(Incident.kind == TASK, Incident.task_id == task_id,
                                                 Incident.resolved_at.is_(None)))


#: Built once: every completion starts with it.
_TASK_INCIDENT = (select(OpenTask, Incident).outerjoin(Incident, and_(
    Incident.kind == TASK, Incident.task_id == OpenTask.task_id, Incident.resolved_at.is_(None)))
    .where(OpenTask.case_id == CASE_OF_TASK).order_by(OpenTask.created_at))


def task_incident(session: Session, task_id: str) -> tuple[OpenTask | None, Incident | None]:
    """The open task and open_task_incident, in one read (a completion needs both), with its case's other open
    tasks: the step synchronises them next (app.inbox.operations.hold_open_tasks), without reading them again."""
    rows = session.execute(_TASK_INCIDENT, {"task_id": task_id}).all()
    found = next((row for row in rows if row[0].task_id == task_id), None)
    if found is None:
        return None, open_task_incident(session, task_id)  # held while its task is gone (the case moved on)
    hold_open_tasks(session, found[0].case_id, list(dict.fromkeys(row[0] for row in rows)))
    return found[0], found[1]


def open_timer_incident(session: Session, case_id: int) -> Incident | None:
    return session.scalar(select(Incident).where(Incident.kind == TIMER, Incident.case_id == case_id,
                                                 Incident.resolved_at.is_(None)))


def cases_with_open_timer_incidents(session: Session, case_ids: list[int]) -> set[int]:
    return set(session.scalars(select(Incident.case_id).where(Incident.kind == TIMER, Incident.case_id.in_(case_ids),
                                                              Incident.resolved_at.is_(None))))
