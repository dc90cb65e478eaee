"""The SLA wall at volume: fifty cases a page, GOV.UK pagination that keeps the filters and the refresh, and the
same number of SQL statements for a page whether ten or a hundred and twenty cases are open."""
from __future__ import annotations

import re

from sqlalchemy import event, func, select

from app.cases.models import Case
from app.core.db import get_db
from app.deadlines.models import SlaCase
from app.deadlines.queries import PAGE_SIZE
from app.demo_volume import generate
from tests.dashboard.test_sla_wall import signed_in, wall_page, wall_rows


def ids(page: str) -> list[int]:
    return [case_id for case_id, _ in wall_rows(page)]


def statements_for(client, path: str) -> int:
    """SQL statements one request runs (the unit of work's BEGIN and COMMIT included)."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    engine = get_db().engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_the_wall_pages_fifty_cases_and_its_cost_does_not_grow_with_the_open_cases(app, db):
    generate(10, 0, seed=5)
    manager = signed_in(app, "mash-manager")
    wall_page(manager)  # warm: compiled definitions, caches
    few = statements_for(manager, "/dashboard")
    fragment_few = statements_for(manager, "/dashboard?fragment=1&page=2")

    generate(120, 0, seed=6)
    with db.unit_of_work(write=False) as session:
        open_cases = session.scalar(select(func.count()).select_from(Case).where(Case.status == "open"))
        assert session.scalar(select(func.count()).select_from(SlaCase)) == open_cases > 2 * PAGE_SIZE
    # The volume's audit entries were chained outside the app (as another process's would be), so the next commit
    # reads the chain head before moving it (app/audit/chain.py); warm again, as before the first count.
    wall_page(manager)
    assert statements_for(manager, "/dashboard") == few
    assert statements_for(manager, "/dashboard?fragment=1&page=2") == fragment_few

    first = wall_page(manager)
    assert len(wall_rows(first)) == PAGE_SIZE
    assert f"{open_cases:,} open cases" in first
    pages = -(-open_cases // PAGE_SIZE)
    assert f"page 1 of {pages}" in first
    assert 'aria-label="Pages of the SLA wall"' in first
    assert 'href="/dashboard?page=2"' in first and "govuk-pagination__next" in first

    shown_last = wall_page(manager, f"?page={pages}")
    assert len(wall_rows(shown_last)) == open_cases - (pages - 1) * PAGE_SIZE
    assert "govuk-pagination__next" not in shown_last and "govuk-pagination__prev" in shown_last
    # Every open case once, across the pages, most urgent first.
    seen = [case_id for page in range(1, pages + 1) for case_id in ids(wall_page(manager, f"?page={page}"))]
    assert sorted(seen) == sorted(set(seen)) and len(seen) == open_cases
    # Links keep the filters and the refresh; a page past the end shows the last page.
    links = re.findall(r'href="(/dashboard\?[^"]*page=\d+[^"]*)"', wall_page(manager, "?page=2&refresh=30"))
    assert len(links) >= 3 and all("refresh=30" in href for href in links)
    assert ids(wall_page(manager, "?page=9999")) == ids(shown_last)


def test_the_refresh_fragment_and_wall_screen_keep_the_page(app, db):
    generate(60, 0, seed=7)
    manager = signed_in(app, "mash-manager")
    second = wall_page(manager, "?page=2")
    fragment = wall_page(manager, "?page=2&fragment=1")
    assert ids(fragment) == ids(second)
    assert "page=2" in re.search(r'id="wall-screen-link" href="([^"]+)"', second).group(1)
    screen = wall_page(manager, "?page=2&wall=1")
    assert "page=2" in re.search(r'href="([^"]+)">Leave wall screen mode', screen).group(1)
    assert ids(screen) == ids(second)
