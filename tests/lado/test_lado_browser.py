"""In a real browser: a school's safeguarding lead tells the LADO about an allegation against a teaching assistant
(the page refuses it half filled, with the error summary), the LADO finds it on the list of open allegations and in
the inbox, and makes the initial evaluation; the MASH manager's case page says only that an allegation exists."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from app.core.clock import clock

pytestmark = pytest.mark.usefixtures("live_server")
MONDAY = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)


def test_an_allegation_told_on_the_page_reaches_the_lado_and_is_evaluated(page: Page, person):
    clock.advance(MONDAY - clock.now())
    school = person("referrer", page=page)
    school.goto("/contacts/new/allegation")
    page.locator('[name="person-given_name"]').fill("Morgan")
    school.click(page.get_by_role("button", name="Send to the LADO"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter the family name of the person the allegation is about")
    expect(summary).to_contain_text("Add the child the allegation is about")

    fields = {"person-family_name": "Hartley", "person-job_title": "Teaching assistant",
              "person-employer": "Exampletown Primary School", "allegation-what": "Pushed a pupil against a wall.",
              "allegation-came_to_notice_on-day": "8", "allegation-came_to_notice_on-month": "1",
              "allegation-came_to_notice_on-year": "2027", "children-0-given_name": "Ruby",
              "children-0-family_name": "Roleplay", "safeguarding_lead-name": "Alex Fictional",
              "safeguarding_lead-contact": "01632 960123", "referrer-name": "Alex Fictional",
              "referrer-organisation": "Exampletown Primary School"}
    for name, value in fields.items():
        page.locator(f'[name="{name}"]').fill(value)
    page.locator('[name="person-sector"]').select_option("education")
    school.choose("Are they in regulated activity with children?", "Yes")
    school.choose("What kind of harm", "Physical abuse")
    school.click(page.get_by_role("button", name="Send to the LADO"))
    assert "/received" in page.url, school.error_summary_text()
    reference = page.locator("body").inner_text().split("MASH-", 1)[1][:11]
    reference = "MASH-" + reference

    lado = person("lado")
    lado.goto("/lado")
    row = lado.page.locator("#allegations tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Morgan Hartley")
    expect(row).to_contain_text("Make the initial evaluation")
    lado.open_task(reference, "Make the initial evaluation")
    lado.choose("Does the allegation meet the threshold?", "No further action")
    lado.choose("Is an allegation management meeting needed?", "No")
    lado.choose("Are the police investigating?", "No")
    lado.page.get_by_label("The reasons for your evaluation").fill("A proportionate restraint: no further action.")
    lado.submit_task("Record the evaluation", reference, "Make the initial evaluation")
    lado.goto("/lado")
    expect(lado.page.locator("#no-allegations")).to_be_visible()

    manager = person("mash-manager")
    manager.goto("/cases?status=all")
    manager.click(manager.page.get_by_role("link", name=reference))
    expect(manager.page.locator("#allegation-exists")).to_contain_text("The LADO holds the details.")
    expect(manager.page.locator("body")).not_to_contain_text("Hartley")
    person.all_quiet()
