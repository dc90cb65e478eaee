"""The inbox at volume: fifty tasks a page, soonest deadline first across the pages, GOV.UK pagination that keeps
the filters, and a count of every matching task in the caption."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.demo_volume import generate
from app.inbox.filtering import PAGE_SIZE
from app.inbox.models import OpenTask
from tests.conftest import WebClient


def task_ids(page: str) -> list[str]:
    return re.findall(r'<tr class="govuk-table__row" data-task-id="([^"]+)">', page)


def test_the_mash_managers_inbox_pages_fifty_tasks_keeping_the_filters(app, db):
    generate(100, 0, seed=8)
    with db.unit_of_work(write=False) as session:
        ordered = list(session.scalars(select(OpenTask.task_id).where(OpenTask.role == "mash-manager")
                                       .order_by(OpenTask.due_at.asc().nulls_last(), OpenTask.created_at,
                                                 OpenTask.task_id)))
    assert len(ordered) > PAGE_SIZE
    client = WebClient(app, "mash-manager").client
    pages = -(-len(ordered) // PAGE_SIZE)
    shown = []
    for number in range(1, pages + 1):
        page = client.get(f"/inbox?page={number}").get_data(as_text=True)
        assert f"{len(ordered):,} open tasks" in page and f"page {number} of {pages}" in page
        assert 'aria-label="Pages of your tasks"' in page
        shown += task_ids(page)
    assert shown == ordered
    assert len(task_ids(client.get("/inbox").get_data(as_text=True))) == PAGE_SIZE

    filtered = client.get("/inbox?sort=received&step=").get_data(as_text=True)
    links = re.findall(r'href="(/inbox\?[^"]*page=\d+[^"]*)"', filtered)
    assert links and all("sort=received" in href and "step" not in href for href in links)
