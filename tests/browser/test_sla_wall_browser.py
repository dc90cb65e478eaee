"""The SLA wall on a real screen: countdowns tick on the server's clock, new contacts appear without a
reload, a failed refresh says so and keeps the wall, and without JavaScript it is still the whole wall.

The server's clock is moved to a Wednesday morning in January 2026 and left running, so the browser's
own clock is wrong by however far that is: only a wall that corrects for the server's time reads right.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, Page, expect

from app.core.clock import clock
from tests import factories as f
from tests.browser.test_hub_journey import Person, complete, report

WEDNESDAY_10AM = datetime(2026, 1, 14, 10, 0, tzinfo=UTC)
#: A red police check screened moments after 10:00 is due at 14:00: just under four hours left.
RED_COUNTDOWN = re.compile(r"^3 h 5\d min \d\d s left$")


@pytest.fixture(autouse=True)
def _server_on_wednesday_morning():
    """Move the hub's clock, still running, to Wednesday 10:00 (the autouse clock fixture resets it)."""
    clock.advance(WEDNESDAY_10AM - datetime.now(UTC))


def red_case(api, given: str = "Rosa", family: str = "Reed") -> dict:
    contact = report(api, given=given, family=family)
    complete(api, contact["case_id"], "screening", "mash-manager", f.screening("red", ["police"]))
    return contact


def manager(page: Page, live_server: str) -> Person:
    who = Person(page, live_server, "mash-manager")
    who.sign_in()
    return who


def wall_row(page: Page, case_id: int):
    return page.locator(f"#sla-wall tr[data-case-id='{case_id}']")


def test_the_countdown_ticks_on_the_servers_clock(page: Page, live_server, api):
    contact = red_case(api)
    who = manager(page, live_server)
    who.click(page.get_by_role("link", name="SLA wall"))
    expect(page.get_by_role("heading", level=1)).to_have_text("SLA wall")
    row = wall_row(page, contact["case_id"])
    expect(row).to_contain_text(contact["reference"])
    expect(row).to_contain_text("Rosa Reed")
    expect(row).to_contain_text("On track")

    countdown = row.locator(".mash-wall__countdown")
    first = countdown.inner_text()
    assert RED_COUNTDOWN.match(first), first
    expect(countdown).not_to_have_text(first, timeout=5_000)  # ticking, a second at a time
    assert RED_COUNTDOWN.match(countdown.inner_text()), countdown.inner_text()
    assert who.console_errors == []


def test_a_new_contact_appears_without_reloading_the_page(page: Page, live_server, api):
    first = red_case(api)
    who = manager(page, live_server)
    who.goto("/dashboard?refresh=2")
    expect(wall_row(page, first["case_id"])).to_be_visible()
    page.evaluate("() => { window.sameWall = true; }")
    updated = page.locator(".mash-wall__updated").inner_text()

    second = report(api, given="Nia", family="Newton")
    row = wall_row(page, second["case_id"])
    expect(row).to_contain_text(second["reference"], timeout=10_000)
    expect(row).to_contain_text("Screening due")
    expect(row).to_contain_text("MASH manager")
    assert page.evaluate("() => window.sameWall") is True, "the page was reloaded"
    assert page.locator(".mash-wall__updated").inner_text() != updated
    expect(page.locator("#sla-wall-status")).to_have_text("")
    assert page.locator("h1").count() == 1
    assert who.console_errors == []


def test_a_failed_refresh_says_so_and_keeps_the_wall(page: Page, live_server, api):
    contact = red_case(api)
    who = manager(page, live_server)
    who.goto("/dashboard?refresh=2")

    def unavailable(route):
        route.fulfill(status=503, body="Service unavailable")

    page.route(lambda url: "fragment=1" in url, unavailable)
    status = page.locator("#sla-wall-status")
    expect(status).to_have_text("Could not refresh; retrying", timeout=8_000)
    expect(wall_row(page, contact["case_id"])).to_contain_text(contact["reference"])
    expect(wall_row(page, contact["case_id"]).locator(".mash-wall__countdown")).to_have_text(RED_COUNTDOWN)

    page.unroute_all()
    expect(status).to_have_text("", timeout=8_000)
    # The browser reports each refused fetch itself; nothing else may complain.
    others = [e for e in who.console_errors if "503" not in e]
    assert others == []


def test_without_javascript_the_wall_and_its_filters_still_work(browser: Browser, live_server, api):
    red = red_case(api)
    green = report(api, given="Gus", family="Green")
    complete(api, green["case_id"], "screening", "mash-manager", f.screening("green", ["education"]))
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        who = manager(page, live_server)
        who.goto("/dashboard")
        expect(wall_row(page, red["case_id"])).to_contain_text(red["reference"])
        expect(wall_row(page, red["case_id"]).locator(".mash-wall__countdown")).to_have_text(RED_COUNTDOWN)
        expect(wall_row(page, green["case_id"])).to_contain_text("Education: waiting")
        expect(page.locator("#count-on-track .mash-wall__number")).to_have_text("2")

        page.get_by_label("RAG rating").select_option("green")
        who.click(page.get_by_role("button", name="Apply filters"))
        assert "rag=green" in page.url
        expect(wall_row(page, green["case_id"])).to_be_visible()
        expect(wall_row(page, red["case_id"])).to_have_count(0)
        expect(page.get_by_label("RAG rating")).to_have_value("green")

        page.get_by_label("RAG rating").select_option("")
        page.get_by_label("Open tasks for").select_option("police")
        who.click(page.get_by_role("button", name="Apply filters"))
        expect(wall_row(page, red["case_id"])).to_be_visible()
        expect(wall_row(page, green["case_id"])).to_have_count(0)
        assert who.console_errors == []
    finally:
        context.close()
