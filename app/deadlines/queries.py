"""Reads of deadlines for the case API, inboxes and the managers' SLA wall. No workflow deserialization."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Row, bindparam, func, select
from sqlalchemy.orm import Session

from app.cases.models import AgencyReturn, Case, CompletedTask, Subject
from app.core.db import read_rows
from app.core.memo import memo
from app.core.vocabulary import AGENCIES_FIELD, SCREENING_FORM, agency_of_check
from app.deadlines.models import Deadline, SlaCase, deadline_state
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


def _view(row: Any, at: datetime) -> DeadlineView:
    """A deadline as pages show it, from its model row or from a row of just the columns below (``_VIEWED``)."""
    return DeadlineView(name=row.name, kind=row.kind, due_at=row.due_at,
                        state=deadline_state(row.due_at, row.at_risk_at, at, met_at=row.met_at,
                                             breached_at=row.breached_at),
                        met_at=row.met_at, element_id=row.element_id, attached_element_id=row.attached_element_id)


#: The columns a DeadlineView is made from.
_VIEWED = (Deadline.name, Deadline.kind, Deadline.due_at, Deadline.at_risk_at, Deadline.breached_at, Deadline.met_at,
           Deadline.element_id, Deadline.attached_element_id)


#: app.core.memo: case id -> the case's deadline rows (not cancelled) as a step in this transaction has just
#: synchronised them (app.deadlines.tracking): its answer shows them without reading them again.
SYNCED = "case_deadlines"


def case_deadlines(session: Session, case_id: int, at: datetime) -> list[DeadlineView]:
    """Every deadline the case has had, by due time (ones that stopped applying are left out)."""
    synced = memo(session, SYNCED).get(case_id)
    rows = sorted(synced, key=lambda row: (row.due_at, row.id is None, row.id or 0)) if synced is not None else \
        read_rows(session, _CASE_DEADLINE_VIEWS, {"case_id": case_id})
    return [_view(row, at) for row in rows]


#: A case's deadline rows that still apply (met ones too), by due time: built once, read by every step
#: (app.deadlines.tracking).
CASE_DEADLINES = (select(Deadline).where(Deadline.case_id == bindparam("case_id"), Deadline.cancelled_at.is_(None))
                  .order_by(Deadline.due_at, Deadline.id))
#: The same deadlines' viewed columns as plain rows (app.core.db.read_rows), for every case answer that has not
#: just synchronised them.
_CASE_DEADLINE_VIEWS = CASE_DEADLINES.with_only_columns(*_VIEWED)


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


#: Cases on one page of the wall.
PAGE_SIZE = 50


@dataclass
class SlaWall:
    at: datetime
    rows: list[WallRow]
    counts: dict[str, int] = field(default_factory=dict)
    incidents: list[IncidentView] = field(default_factory=list)
    #: Which page of the wall this is (from 1), how many there are, and how many open cases match.
    page: int = 1
    pages: int = 1
    total: int = 0
    page_size: int = PAGE_SIZE

    @property
    def first_row(self) -> int:
        """The position of the page's first case in the whole wall (from 1), for "Cases 51 to 100 of 2,345"."""
        return (self.page - 1) * self.page_size + 1 if self.rows else 0


def sla_wall(session: Session, at: datetime, *, rag: str | None = None, role: str | None = None,
             limit: int = PAGE_SIZE, page: int = 1) -> SlaWall:
    """One page of open cases with their next deadline, most urgent first (nearest deadline, then cases with
    none, oldest first), and the counts over every open case that matches.

    Both come from the SLA wall projection (SlaCase, one narrow row per open case kept in step with its
    deadlines), so the wall costs the same few statements however many cases are open: the page's cases in
    index order with their first subject's name, then their deadlines, returns, screening and tasks by case id."""
    filters = _filters(rag, role)
    counts, total = _counts(session, filters, at)
    pages = max(1, -(-total // limit))
    page = min(max(page, 1), pages)
    # The page's ids from the projection's index alone (skipping to the page), then those cases: one statement.
    chosen = (select(SlaCase.case_id, SlaCase.next_due, SlaCase.received_at).where(*filters)
              .order_by(SlaCase.next_due.asc().nulls_last(), SlaCase.received_at, SlaCase.case_id)
              .offset((page - 1) * limit).limit(limit).subquery("page"))
    cases = session.execute(
        select(chosen.c.case_id.label("id"), Case.reference, Case.rag, Case.current_step, Case.received_at,
               Subject.given_name, Subject.family_name)
        .join(Case, Case.id == chosen.c.case_id)
        .outerjoin(Subject, (Subject.case_id == Case.id) & (Subject.position == 0))
        .order_by(chosen.c.next_due.asc().nulls_last(), chosen.c.received_at, chosen.c.case_id)).all()
    rows = _wall_rows(session, cases, at)
    return SlaWall(at=at, rows=rows, counts=counts, incidents=raised_incidents(session), page=page, pages=pages,
                   total=total, page_size=limit)


def _filters(rag: str | None, role: str | None) -> list:
    filters = []
    if rag:
        filters.append(SlaCase.rag == rag)
    if role:
        filters.append(SlaCase.case_id.in_(select(OpenTask.case_id).where(OpenTask.role == role)))
    return filters


#: What the page's cases' rows show, by case id (``ids``): built once, not for every request (building a statement
#: costs about as much as PostgreSQL takes to run these).
_IDS: BindParameter[Any] = bindparam("ids", expanding=True)
_PAGE_DEADLINES = (select(Deadline.case_id, *_VIEWED).where(Deadline.case_id.in_(_IDS), Deadline.cancelled_at.is_(None))
                   # Of deadlines due at the same time the wall names the first by name.
                   .order_by(Deadline.due_at, Deadline.name, Deadline.id))
_PAGE_RETURNS = select(AgencyReturn.case_id, AgencyReturn.agency, AgencyReturn.returned_at).where(
    AgencyReturn.case_id.in_(_IDS))
_PAGE_SCREENING = select(CompletedTask.case_id, CompletedTask.data).where(
    CompletedTask.case_id.in_(_IDS), CompletedTask.form_key == SCREENING_FORM)
_PAGE_TASKS = select(OpenTask.case_id, OpenTask.role).where(OpenTask.case_id.in_(_IDS))


def _wall_rows(session: Session, page_cases: Sequence[Row], at: datetime) -> list[WallRow]:
    """The wall's rows for the page's cases (id, reference, rag, current step, receipt and first subject's names),
    in their order: four more statements (deadlines, returns, screening, tasks) whatever the number of cases.
    Each reads only the columns the wall shows, as plain rows: a case's row also holds its serialized workflow
    (tens of kilobytes), and ORM objects for the page's few hundred rows cost more than the statements."""
    if not page_cases:
        return []
    cases = {row.id: row for row in page_cases}
    ids = list(cases)
    page = {"ids": ids}
    deadlines: dict[int, list[DeadlineView]] = {}
    returns: dict[int, dict[str, datetime]] = {}
    requested: dict[int, list[str]] = {}
    roles: dict[int, set[str]] = {}
    for row in session.execute(_PAGE_DEADLINES, page):
        deadlines.setdefault(row.case_id, []).append(_view(row, at))
    for case_id, agency, returned_at in session.execute(_PAGE_RETURNS, page):
        returns.setdefault(case_id, {})[agency] = returned_at
    for case_id, data in session.execute(_PAGE_SCREENING, page):
        requested[case_id] = list((data or {}).get(AGENCIES_FIELD) or [])
    for case_id, task_role in session.execute(_PAGE_TASKS, page):
        roles.setdefault(case_id, set()).add(task_role)
    rows = []
    for case_id, case in cases.items():
        views = deadlines.get(case_id, [])
        pending = [view for view in views if view.met_at is None]
        upcoming = min(pending, key=lambda v: (_URGENCY[v.state], v.due_at)) if pending else None
        rows.append(WallRow(
            case_id=case_id, reference=case.reference or "",
            subject_name=f"{case.given_name} {case.family_name}" if case.given_name is not None else "",
            rag=case.rag, current_step=case.current_step, received_at=case.received_at, next_deadline=upcoming,
            deadlines=views, agencies=_agency_statuses(requested.get(case_id, []), returns.get(case_id, {}), views),
            roles_waiting=sorted(roles.get(case_id, set()))))
    return rows


def _counts(session: Session, filters: list, at: datetime) -> tuple[dict[str, int], int]:
    """Cases by their worst unmet deadline (breached, else at risk, else on track; cases with no deadline
    running are not counted), and every matching open case (for paging).

    A case is breached when a timer fired (``breached``) or its next deadline has passed; at risk when not
    breached and its at-risk time has passed. Each count is a range of one index read without the table (the
    partial indexes ix_sla_case_flagged, _unflagged_due and _unflagged_risk): the ones that grow with the
    clock are small, since timers fire on time, and no row's times are tested one by one."""
    def count(*where: Any) -> Any:
        return select(func.count()).select_from(SlaCase).where(*filters, *where).scalar_subquery()

    total, idle, flagged, due, risky = session.execute(select(
        count(), count(SlaCase.next_due.is_(None)), count(SlaCase.breached),
        count(~SlaCase.breached, SlaCase.next_due <= at),
        count(~SlaCase.breached, SlaCase.next_due > at, SlaCase.risk_from <= at))).one()
    breached = flagged + due
    return {"on-track": total - idle - breached - risky, "at-risk": risky, "breached": breached}, total


def _agency_statuses(requested: list[str], returned: dict[str, datetime],
                     views: list[DeadlineView]) -> list[AgencyStatus]:
    by_agency = {agency_of_check(view.attached_element_id): view for view in views if view.kind == "check"}
    statuses = []
    for agency in requested:
        view = by_agency.get(agency)
        returned_at = returned.get(agency)
        late = view is not None and view.state == "breached"
        state = ("returned-late" if late else "returned") if agency in returned else ("late" if late else "waiting")
        statuses.append(AgencyStatus(agency=agency, state=state, due_at=view.due_at if view else None,
                                     returned_at=returned_at))
    return statuses
