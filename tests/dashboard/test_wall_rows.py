"""The SLA wall's and the inbox's rows are read as plain columns (issue 20: the wall's page of fifty cost more in
loading full records than in its statements). They must be the rows the full records give, for cases at every
stage and state; and the wall must not read any case's serialized workflow (tens of kilobytes a case)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from app.cases.models import AgencyReturn, Case, CompletedTask
from app.core.clock import clock
from app.core.db import get_db
from app.core.vocabulary import AGENCIES_FIELD, SCREENING_FORM, agency_of_check
from app.deadlines.models import Deadline
from app.deadlines.queries import PAGE_SIZE, AgencyStatus, DeadlineView, WallRow, sla_wall
from app.demo_volume import generate
from app.inbox.filtering import InboxFilter, inbox_page
from app.inbox.models import OpenTask
from app.inbox.queries import InboxItem
from tests.dashboard.test_sla_wall import signed_in, wall_page

_URGENCY = {"breached": 0, "at-risk": 1, "on-track": 2}


def rows_from_records(session, ids: list[int], at: datetime) -> list[WallRow]:
    """The wall's rows built from the cases' full records, one case at a time: what the page must show."""
    rows = []
    for case_id in ids:
        case = session.get(Case, case_id)
        kept = sorted(session.scalars(select(Deadline).where(Deadline.case_id == case_id,
                                                             Deadline.cancelled_at.is_(None))),
                      key=lambda row: (row.due_at, row.name, row.id))
        views = [DeadlineView(name=d.name, kind=d.kind, due_at=d.due_at, state=d.state(at), met_at=d.met_at,
                              element_id=d.element_id, attached_element_id=d.attached_element_id) for d in kept]
        pending = [view for view in views if view.met_at is None]
        screening = session.scalars(select(CompletedTask).where(CompletedTask.case_id == case_id,
                                                                CompletedTask.form_key == SCREENING_FORM)).first()
        returned = {ret.agency: ret for ret in
                    session.scalars(select(AgencyReturn).where(AgencyReturn.case_id == case_id))}
        checks = {agency_of_check(view.attached_element_id): view for view in views if view.kind == "check"}
        requested = ((screening.data or {}).get(AGENCIES_FIELD) or []) if screening else []
        agencies = []
        for agency in requested:
            check = checks.get(agency)
            late = check is not None and check.state == "breached"
            state = ("returned-late" if late else "returned") if agency in returned else ("late" if late else "waiting")
            agencies.append(AgencyStatus(agency=agency, state=state, due_at=check.due_at if check else None,
                                         returned_at=returned[agency].returned_at if agency in returned else None))
        first = [subject for subject in case.subjects if subject.position == 0]
        rows.append(WallRow(
            case_id=case.id, reference=case.reference or "",
            subject_name=f"{first[0].given_name} {first[0].family_name}" if first else "", rag=case.rag,
            current_step=case.current_step, received_at=case.received_at,
            next_deadline=min(pending, key=lambda v: (_URGENCY[v.state], v.due_at)) if pending else None,
            deadlines=views, agencies=agencies,
            roles_waiting=sorted({task.role for task in
                                  session.scalars(select(OpenTask).where(OpenTask.case_id == case_id))})))
    return rows


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_every_page_of_the_wall_shows_what_the_cases_records_say(db):
    # A fixed weekday morning, which the volume's cases are made back from: the checks' timescales count working
    # hours, so from a late afternoon 26 hours on finds every waiting check late (this failed after 15:00 UTC).
    clock.freeze(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    generate(130, 0, seed=3)
    clock.freeze(clock.now() + timedelta(hours=26))  # some cases at risk, some breached, some on track
    at = clock.now()
    with db.unit_of_work(write=False) as session:
        pages = sla_wall(session, at).pages
        assert pages >= 3
        shown = []
        for number in range(1, pages + 1):
            wall = sla_wall(session, at, page=number)
            assert wall.rows == rows_from_records(session, [row.case_id for row in wall.rows], at)
            shown += wall.rows
        assert {row.state for row in shown} == {"breached", "at-risk", "on-track"}
        assert {"late", "returned", "waiting"} <= {status.state for row in shown for status in row.agencies}


def test_the_wall_reads_no_serialized_workflow_and_the_same_statements_for_any_page(app, db):
    generate(120, 0, seed=4)
    manager = signed_in(app, "mash-manager")
    wall_page(manager)  # warm
    seen: list[str] = []

    def keep(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(get_db().engine, "before_cursor_execute", keep)
    try:
        first = wall_page(manager)
        first_statements = list(seen)
        seen.clear()
        wall_page(manager, "?page=3")
    finally:
        event.remove(get_db().engine, "before_cursor_execute", keep)
    assert first.count("mash-wall__row--") == PAGE_SIZE
    assert len(seen) == len(first_statements)
    assert not [statement for statement in first_statements + seen if "mash_case.state" in statement]


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_inbox_pages_show_what_the_tasks_records_say(db):
    generate(90, 0, seed=5)
    at = clock.now()
    roles = frozenset({"mash-manager"})
    with db.unit_of_work(write=False) as session:
        for wanted in (InboxFilter(), InboxFilter(sort="rag"), InboxFilter(sort="received")):
            first = inbox_page(session, roles, wanted, None, at)
            assert first.pages >= 2
            for number in range(1, first.pages + 1):
                items = inbox_page(session, roles, wanted, None, at, number).items
                expected = []
                for item in items:
                    task = session.get(OpenTask, item.task_id)
                    case = session.get(Case, task.case_id)
                    subject = next((s for s in case.subjects if s.position == 0), None)
                    expected.append(InboxItem(
                        task_id=task.task_id, case_id=task.case_id, reference=case.reference or "",
                        subject_name=f"{subject.given_name} {subject.family_name}" if subject else "",
                        name=task.name, role=task.role, rag=case.rag, due_at=task.due_at,
                        at_risk_at=task.at_risk_at, created_at=task.created_at, claimed_by=task.claimed_by))
                assert items == expected
