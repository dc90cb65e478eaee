"""The report in a real browser: reached from the navigation, filtered with the form, the charts drawn under the
Content Security Policy (a style attribute would be refused and show in the console) and the page sound."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from app.core.clock import clock
from tests.browser.test_hub_journey import SHOTS, Person
from tests.reports import hand_counted


def test_a_manager_filters_the_report_and_sees_the_charts(page: Page, live_server, db):
    clock.freeze(hand_counted.AT)
    with db.unit_of_work() as session:
        hand_counted.build(session)
    manager = Person(page, live_server, "mash-manager")
    manager.sign_in()
    manager.click(page.get_by_role("link", name="Reports"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Management information")

    page.get_by_label("From", exact=True).fill("2026-11-01")
    page.get_by_label("To", exact=True).fill("2027-02-28")
    page.get_by_label("Source agency", exact=True).select_option(label="Police")
    manager.click(page.get_by_role("button", name="Apply filters"))

    expect(page.locator("#reports-headlines dd").first).to_have_text("5")
    chart = page.get_by_role("img", name="Agency checks returned by the due time")
    expect(chart).to_be_visible()
    bar = chart.locator("rect").first
    assert bar.evaluate("r => getComputedStyle(r).fill") == "rgb(29, 112, 184)"  # from app.css, not an attribute
    assert bar.bounding_box()["width"] > 100  # police: 2 of 3 on time
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "reports.png"), full_page=True)
    assert manager.console_errors == []
