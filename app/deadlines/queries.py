"""Reads of deadlines for the case API, inboxes and the managers' SLA wall. No workflow deserialization."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_, select, tuple_
from sqlalchemy import case as when
from sqlalchemy.orm import Session

from app.cases.models import AgencyReturn, Case, CompletedTask, Subject
from app.core.vocabulary import AGENCIES_FIELD, SCREENING_FORM, agency_of_check
from app.deadlines.models import Deadline
from app.inbox.models import OpenTask
from app.incidents.queries import IncidentView, raised_incidents

#: How urgent each state is on the wall (lower sorts first).
_URGENCY = {"breached": 0, "at-risk": 1, "on-track": 2}


@dataclass(frozen=True)
class DeadlineView:
    name: str
    kind: str
    due_at: datetime
    state: str
    met_at: datetime | None
    element_id: str
    attached_element_id: str | None

    def as_json(self) -> dict:
        return {"name": self.name, "kind": self.kind, "due_at": self.due_at.isoformat(), "state": self.state,
                "met_at": self.met_at.isoformat() if self.met_at else None}


def _view(row: Deadline, at: datetime) -> DeadlineView:
    return DeadlineView(name=row.name, kind=row.kind, due_at=row.due_at, state=row.state(at), met_at=row.met_at,
                        element_id=row.element_id, attached_element_id=row.attached_element_id)


def case_deadlines(session: Session, case_id: int, at: datetime) -> list[DeadlineView]:
    """Every deadline the case has had, by due time (ones that stopped applying are left out)."""
    rows = session.scalars(select(Deadline).where(Deadline.case_id == case_id, Deadline.cancelled_at.is_(None))
                           .order_by(Deadline.due_at, Deadline.id))
    return [_view(row, at) for row in rows]


@dataclass(frozen=True)
class AgencyStatus:
    agency: str
    state: str  # "waiting" | "late" | "returned" | "returned-late"
    due_at: datetime | None
    returned_at: datetime | None


@dataclass
class WallRow:
    case_id: int
    reference: str
    subject_name: str
    rag: str | None
    current_step: str
    received_at: datetime
    next_deadline: DeadlineView | None
    deadlines: list[DeadlineView]
    agencies: list[AgencyStatus]
    roles_waiting: list[str]

    @property
    def state(self) -> str:
        return self.next_deadline.state if self.next_deadline else "on-track"


@dataclass
class SlaWall:
    at: datetime
    rows: list[WallRow]
    counts: dict[str, int] = field(default_factory=dict)
    incidents: list[IncidentView] = field(default_factory=list)


def sla_wall(session: Session, at: datetime, *, rag: str | None = None, role: str | None = None,
             limit: int = 500) -> SlaWall:
    """Open cases with their next deadline, sorted by time to breach (most overdue first).

    The database picks the ``limit`` most urgent cases; the counts cover every open case that matches."""
    filters = [Case.status == "open"]
    if rag:
        filters.append(Case.rag == rag)
    if role:
        filters.append(Case.id.in_(select(OpenTask.case_id).where(OpenTask.role == role)))
    ids = _most_urgent(session, filters, limit)
    by_id = {case.id: case for case in session.scalars(select(Case).where(Case.id.in_(ids)))} if ids else {}
    cases = [by_id[case_id] for case_id in ids]
    deadlines: dict[int, list[Deadline]] = {}
    returns: dict[int, dict[str, AgencyReturn]] = {}
    requested: dict[int, list[str]] = {}
    roles: dict[int, set[str]] = {}
    names: dict[int, str] = {}
    if ids:
        for row in session.scalars(select(Deadline).where(Deadline.case_id.in_(ids), Deadline.cancelled_at.is_(None))
                                   .order_by(Deadline.due_at)):
            deadlines.setdefault(row.case_id, []).append(row)
        for ret in session.scalars(select(AgencyReturn).where(AgencyReturn.case_id.in_(ids))):
            returns.setdefault(ret.case_id, {})[ret.agency] = ret
        for case_id, data in session.execute(select(CompletedTask.case_id, CompletedTask.data)
                                             .where(CompletedTask.case_id.in_(ids),
                                                    CompletedTask.form_key == SCREENING_FORM)):
            requested[case_id] = list((data or {}).get(AGENCIES_FIELD) or [])
        for case_id, task_role in session.execute(select(OpenTask.case_id, OpenTask.role)
                                                  .where(OpenTask.case_id.in_(ids))):
            roles.setdefault(case_id, set()).add(task_role)
        for case_id, given, family in session.execute(select(Subject.case_id, Subject.given_name, Subject.family_name)
                                                      .where(Subject.case_id.in_(ids), Subject.position == 0)):
            names[case_id] = f"{given} {family}"
    rows = []
    for case in cases:
        views = [_view(row, at) for row in deadlines.get(case.id, [])]
        pending = [view for view in views if view.met_at is None]
        upcoming = min(pending, key=lambda v: (_URGENCY[v.state], v.due_at)) if pending else None
        rows.append(WallRow(
            case_id=case.id, reference=case.reference or "", subject_name=names.get(case.id, ""), rag=case.rag,
            current_step=case.current_step, received_at=case.received_at, next_deadline=upcoming, deadlines=views,
            agencies=_agency_statuses(requested.get(case.id, []), returns.get(case.id, {}), views),
            roles_waiting=sorted(roles.get(case.id, set()))))
    far = datetime.max.replace(tzinfo=at.tzinfo)
    rows.sort(key=lambda r: (r.next_deadline is None, r.next_deadline.due_at if r.next_deadline else far, r.case_id))
    counts = _counts(session, filters, at)
    return SlaWall(at=at, rows=rows, counts=counts, incidents=raised_incidents(session))


_UNMET = and_(Deadline.met_at.is_(None), Deadline.cancelled_at.is_(None))


def _most_urgent(session: Session, filters: list, limit: int, page: int | None = None) -> list[int]:
    """The ids of the ``limit`` matching cases whose earliest unmet deadline comes first, then cases without one.

    Unmet deadlines are read in due order from ``ix_deadline_open_due`` a page at a time, and each case is taken
    the first time it appears (that is its earliest due time). So a wall over 100,000 open cases reads a few
    hundred index entries instead of grouping every open case's deadlines."""
    ids: list[int] = []
    seen: set[int] = set()
    page = page or max(limit * 3, 100)
    after = None
    while len(ids) < limit:
        query = (select(Deadline.case_id, Deadline.due_at, Deadline.id).join(Case, Case.id == Deadline.case_id)
                 .where(_UNMET, *filters).order_by(Deadline.due_at, Deadline.id).limit(page))
        if after is not None:
            query = query.where(tuple_(Deadline.due_at, Deadline.id) > tuple_(*after))
        rows = session.execute(query).all()
        for case_id, _due, _id in rows:
            if case_id not in seen:
                seen.add(case_id)
                ids.append(case_id)
                if len(ids) == limit:
                    return ids
        if len(rows) < page:
            break
        after = (rows[-1][1], rows[-1][2])
    has_unmet = select(Deadline.id).where(_UNMET, Deadline.case_id == Case.id).exists()
    ids += session.scalars(select(Case.id).where(*filters, ~has_unmet)
                           .order_by(Case.received_at, Case.id).limit(limit - len(ids)))
    return ids


def _counts(session: Session, filters: list, at: datetime) -> dict[str, int]:
    """Cases by their worst unmet deadline: breached, else at risk, else on track (one pass over the deadlines)."""
    late = or_(Deadline.breached_at.is_not(None), Deadline.due_at <= at)
    per_case = (select(func.max(when((late, 1), else_=0)).label("late"),
                       func.max(when((Deadline.at_risk_at <= at, 1), else_=0)).label("risk"))
                .join(Case, Case.id == Deadline.case_id).where(_UNMET, *filters)
                .group_by(Deadline.case_id).subquery())
    total, breached, at_risk = session.execute(select(
        func.count(), func.coalesce(func.sum(per_case.c.late), 0),
        func.coalesce(func.sum(when((and_(per_case.c.late == 0, per_case.c.risk == 1), 1), else_=0)), 0))).one()
    return {"on-track": total - breached - at_risk, "at-risk": at_risk, "breached": breached}


def _agency_statuses(requested: list[str], returned: dict[str, AgencyReturn],
                     views: list[DeadlineView]) -> list[AgencyStatus]:
    by_agency = {agency_of_check(view.attached_element_id): view for view in views if view.kind == "check"}
    statuses = []
    for agency in requested:
        view = by_agency.get(agency)
        ret = returned.get(agency)
        late = view is not None and view.state == "breached"
        state = ("returned-late" if late else "returned") if ret is not None else ("late" if late else "waiting")
        statuses.append(AgencyStatus(agency=agency, state=state, due_at=view.due_at if view else None,
                                     returned_at=ret.returned_at if ret else None))
    return statuses
