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


def test_the_filter_form_kept_between_requests_is_the_one_each_request_asks_for(app, db):
    """app.inbox.views.filter_form keeps the forms it has made: each still shows its own filters and errors, and a
    new step in the reader's inbox is offered at once."""
    from app.inbox.views import _kept_filter_form

    def form(page: str) -> str:
        return re.search(r'<form method="get" action="/inbox".*?</form>', page, re.S).group(0)

    _kept_filter_form.cache_clear()
    generate(12, 0, seed=9)
    client = WebClient(app, "mash-manager").client
    plain, red, wrong = ("/inbox", "/inbox?rag=red&mine=yes", "/inbox?rag=purple&sort=sideways")
    first = {path: client.get(path).get_data(as_text=True) for path in (plain, red, wrong)}
    assert _kept_filter_form.cache_info().currsize == 3
    again = {path: client.get(path).get_data(as_text=True) for path in (plain, red, wrong)}
    assert _kept_filter_form.cache_info().hits == 3
    assert {path: form(page) for path, page in again.items()} == {path: form(page) for path, page in first.items()}
    assert '<option value="red" selected>' in form(again[red]) and 'value="yes" checked' in form(again[red])
    assert "selected>" not in form(again[plain]).split('id="step"')[0]
    assert "Choose a RAG rating from the list" in form(again[wrong]) and "govuk-error-summary" in again[wrong]
    assert "Clear filters" in form(again[red]) and "Clear filters" not in form(again[plain])

    with db.unit_of_work(write=False) as session:
        steps = set(session.scalars(select(OpenTask.name).where(OpenTask.role == "mash-manager")))
    generate(6, 0, seed=10)  # more cases: the same steps, or new ones, offered as the inbox now has them
    with db.unit_of_work(write=False) as session:
        now_steps = set(session.scalars(select(OpenTask.name).where(OpenTask.role == "mash-manager")))
    offered = set(re.findall(r'<option value="([^"]+)"', form(client.get(plain).get_data(as_text=True))
                             .split('id="step"')[1].split("</select>")[0]))
    assert offered == now_steps >= steps
