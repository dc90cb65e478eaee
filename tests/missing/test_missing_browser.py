"""A missing child's journey in a real browser: the police notify the hub that Kayla went missing last night and
was found this morning; the missing children coordinator offers the return home interview inside 72 hours, finds the
episode on the list of missing children (/missing) and opens the case page, which shows the episode."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from app.core.clock import clock
from tests.browser.conftest import fill_date

pytestmark = pytest.mark.usefixtures("live_server")
#: Wednesday 13 January 2027, 10:00 UTC.
MORNING = datetime(2027, 1, 13, 10, 0, tzinfo=UTC)


def test_the_police_notify_a_missing_child_and_the_coordinator_offers_the_interview(page: Page, person):
    clock.advance(MORNING - clock.now())
    police = person("police", page=page)
    police.goto("/contacts/new/missing-person")
    expect(page.get_by_role("heading", level=1)).to_have_text("Notify the MASH of a missing child")
    page.locator("#child-given_name").fill("Kayla")
    page.locator("#child-family_name").fill("Price")
    fill_date(page, "child-date_of_birth", datetime(2011, 4, 9, 12, tzinfo=UTC))
    police.choose("Is the child looked after", "No")
    page.get_by_label("Police missing person reference").fill("MP/27/0012")
    page.get_by_label("Officer or police missing person coordinator").fill("PC Dana Shaw")
    fill_date(page, "started_on", MORNING - timedelta(hours=14))
    page.get_by_label("Time the child was reported missing").fill("20:00")
    page.get_by_label("Circumstances").fill("Did not come home from school; last seen at the bus station.")
    police.choose("Has the child returned or been found?", "Yes")
    # Sent without a risk grading: the error summary says so and nothing is stored.
    police.click(page.get_by_role("button", name="Send to the MASH"))
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select the police risk grading")
    police.choose("Police risk grading", "Medium risk")
    fill_date(page, "returned_on", MORNING)
    page.get_by_label("Time the child returned or was found").fill("08:00")
    page.get_by_label("Where the child was found").fill("A flat on the Eastgate estate")
    police.click(page.get_by_role("button", name="Send to the MASH"))
    panel = page.locator(".govuk-panel--confirmation")
    expect(panel).to_be_visible()
    reference = panel.locator("strong").inner_text()
    assert reference.startswith("MASH-"), panel.inner_text()

    coordinator = person("missing-children")
    coordinator.open_task(reference, "Offer the return home interview")
    coordinator.page.locator("#missing_interview_offered").check()  # Yes: the questions about the offer open
    fill_date(coordinator.page, "missing_offered_on", MORNING)
    coordinator.page.get_by_label("Offered by").fill("Jo Reid, return home interview service")
    coordinator.page.locator("#missing_interview_accepted").check()
    coordinator.submit_task("Save", reference, "Offer the return home interview")

    # The coordinator's list, from the header's navigation: the episode open, offered, waiting for the interview.
    coordinator.goto("/inbox")
    coordinator.click(coordinator.page.get_by_role("navigation", name="Menu").get_by_role("link",
                                                                                        name="Missing children"))
    row = coordinator.page.locator("#missing-episodes tbody tr")
    expect(row).to_have_count(1)
    for text in ("Kayla Price", reference, "Medium risk", "Offered", "Not yet held", "Open"):
        expect(row).to_contain_text(text)
    coordinator.click(row.get_by_role("link", name="Kayla Price"))
    section = coordinator.page.locator("#missing-episode + .govuk-summary-list")
    expect(section).to_contain_text("Medium risk")
    expect(section).to_contain_text("within 72 hours")
    expect(section).to_contain_text("A flat on the Eastgate estate")
    person.all_quiet()
