"""The SLA wall's query: the most urgent cases first even when the wall shows only some, counts over all."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from app.core.clock import clock, now
from app.deadlines.queries import sla_wall
from app.deadlines.scheduler import fire_due
from tests import factories as f
from tests.api.test_referral_walks import complete, report


def test_a_short_wall_keeps_the_most_urgent_cases_and_counts_them_all(api, db):
    clock.freeze(datetime(2027, 1, 4, 10, 0, tzinfo=timezone.utc))
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
