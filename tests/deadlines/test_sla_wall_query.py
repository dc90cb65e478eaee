"""The SLA wall's query: the most urgent cases first even when the wall shows only some, counts over all."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.casework.scheduler import fire_due
from app.core.clock import clock, now
from app.deadlines.queries import sla_wall
from tests import factories as f
from tests.api.test_referral_walks import complete, report


def test_a_short_wall_keeps_the_most_urgent_cases_and_counts_them_all(api, db):
    clock.freeze(datetime(2027, 1, 4, 10, 0, tzinfo=UTC))
    green = report(api, given="Early")  # received first, but least urgent
    complete(api, green, "screening", "mash-manager", f.screening("green", ["police"]))
    clock.advance(timedelta(minutes=5))
    red = report(api, given="Late")
    complete(api, red, "screening", "mash-manager", f.screening("red", ["police"]))
    clock.advance(timedelta(hours=5))
    fire_due()
    with db.unit_of_work(write=False) as session:
        wall = sla_wall(session, now(), limit=1)
        assert [row.case_id for row in wall.rows] == [red]
        assert wall.counts == {"breached": 1, "at-risk": 0, "on-track": 1}
        assert sla_wall(session, now(), rag="green").counts == {"breached": 0, "at-risk": 0, "on-track": 1}


def test_the_wall_pages_cases_by_their_earliest_deadline(api, db):
    """Paging the projection gives the same order as grouping every case's unmet deadlines, whatever the page size."""
    from sqlalchemy import func, select

    from app.deadlines.models import Deadline

    clock.freeze(datetime(2027, 1, 4, 10, 0, tzinfo=UTC))
    cases = []
    for number, (rag, agencies) in enumerate([("green", ["police"]), ("red", ["police", "health"]),
                                              ("amber", ["health"]), ("red", ["police"])]):
        case_id = report(api, given=f"Child{number}", family="Page")
        complete(api, case_id, "screening", "mash-manager", f.screening(rag, agencies))
        cases.append(case_id)
        clock.advance(timedelta(minutes=7))
    unscreened = report(api, given="Waiting", family="Page")  # its only deadlines are screening's
    with db.unit_of_work(write=False) as session:
        grouped = list(session.execute(
            select(Deadline.case_id, func.min(Deadline.due_at)).where(Deadline.met_at.is_(None),
                                                                      Deadline.cancelled_at.is_(None))
            .group_by(Deadline.case_id)))
        expected = [case_id for case_id, _due in sorted(grouped, key=lambda row: (row[1], row[0]))]
        assert sorted(expected) == sorted([*cases, unscreened])
        assert len(session.scalars(select(Deadline.id).where(Deadline.met_at.is_(None))).all()) > len(expected)
        at = now()
        assert [row.case_id for row in sla_wall(session, at).rows] == expected
        paged = [sla_wall(session, at, limit=2, page=page) for page in (1, 2, 3)]
        assert [row.case_id for wall in paged for row in wall.rows] == expected
        assert [(wall.page, wall.pages, wall.total) for wall in paged] == [(1, 3, 5), (2, 3, 5), (3, 3, 5)]
        red = sla_wall(session, at, rag="red", limit=1, page=2)
        assert [row.case_id for row in red.rows] == [c for c in expected if c in (cases[1], cases[3])][1:]
