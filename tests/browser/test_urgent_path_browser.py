"""The urgent path and deciding on what is known, in a real browser on the hub's own clock.

New Year's Eve, 22:00 (Thursday 31 December 2026): police report a child at immediate risk. The hub is closed
until 09:00 on Monday 4 January (New Year's Day is a bank holiday, then the weekend), so the emergency duty
team confirms the risk; when the hub opens the MASH manager takes the case on. Then a Red contact whose
police check is silent: the manager goes on without it, and the review opens.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from app.casework.scheduler import fire_due
from app.core.clock import clock
from tests import factories as f
from tests.browser.test_hub_journey import case_json, complete, report

NEW_YEARS_EVE_10PM = datetime(2026, 12, 31, 22, 0, tzinfo=UTC)
MONDAY_OPENING = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("live_server")


def move_clock_to(when: datetime) -> None:
    """Move the hub's (running) clock; the autouse clock fixture puts it back after the test."""
    clock.advance(when - clock.now())


def test_overnight_the_out_of_hours_team_confirms_and_the_hub_takes_it_on_at_opening(page: Page, person, api):
    move_clock_to(NEW_YEARS_EVE_10PM)
    contact = report(api, given="Ellie", family="Exercise", immediate_risk=True)
    reference = contact["reference"]

    duty = person("out-of-hours", page=page)
    assert page.url.endswith("/inbox")
    row = duty.task_row(reference, "Confirm immediate risk out of hours")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Ellie Exercise")
    duty.open_task(reference, "Confirm immediate risk out of hours")
    expect(page.locator("#step-guidance")).to_contain_text("within an hour of receipt")

    # The reason is missing: the GOV.UK error summary, and nothing is decided.
    duty.choose("Is the child at immediate risk of significant harm?",
                "Yes – rate it Red and hold a strategy discussion now")
    duty.click(page.get_by_role("button", name="Record the decision"))
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter why you have decided this")
    assert case_json(api, contact["case_id"])["outcome"] is None

    page.get_by_label("Why have you decided this?").fill("Police at the address; the partner has a key.")
    duty.choose("Emergency action taken", "Police protection (Children Act 1989 section 46)")
    page.locator("#emergency_action_on-day").fill("31")
    page.locator("#emergency_action_on-month").fill("12")
    page.locator("#emergency_action_on-year").fill("2026")
    page.get_by_label("Time of the emergency action").fill("22:40")
    page.get_by_label("Officer or court").fill("PC 1234 Fictional")
    duty.submit_task("Record the decision", reference, "Confirm immediate risk out of hours")

    case = case_json(api, contact["case_id"])
    assert (case["rag"], case["outcome"], case["decided_by"]) == ("red", "strategy-discussion", "out-of-hours")
    assert "Hand over from out of hours" not in [t["name"] for t in case["open_tasks"]]

    # The hub opens after the bank holiday and the weekend.
    move_clock_to(MONDAY_OPENING + timedelta(seconds=30))
    fire_due()
    manager = person("mash-manager")
    manager.open_task(reference, "Hand over from out of hours")
    manager.page.get_by_label("What did you take on, and what happens next?").fill(
        "Spoke to the duty social worker: Ellie is with her grandmother; the strategy discussion is at 11:00.")
    manager.submit_task("Take the case on", reference, "Hand over from out of hours")
    person.all_quiet()


def test_the_manager_goes_on_without_a_silent_agency_and_the_review_opens(page: Page, person, api):
    move_clock_to(datetime(2027, 1, 6, 10, 0, tzinfo=UTC))  # a Wednesday morning
    contact = report(api, given="Rosa", family="Reed")
    reference = contact["reference"]
    complete(api, contact["case_id"], "screening", "mash-manager", f.screening("red", ["police", "health"]))
    complete(api, contact["case_id"], "health_check", "health", f.agency_return())
    move_clock_to(datetime(2027, 1, 6, 14, 5, tzinfo=UTC))  # the police check was due at 14:00
    fire_due()

    manager = person("mash-manager", page=page)
    manager.open_task(reference, "Chase overdue police check")
    manager.choose("How did you chase the check?", "Phone")
    page.get_by_label("What was agreed?").fill("The duty sergeant cannot reach the records team until tomorrow.")
    manager.choose("Go on without this agency's check?", "Yes, go on without it")
    manager.click(page.get_by_role("button", name="Save"))
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter why the hub goes on without this agency")
    page.get_by_label("Why go on without it?").fill("Red: the decision cannot wait until tomorrow.")
    manager.submit_task("Save", reference, "Chase overdue police check")

    expect(manager.task_row(reference, "Review agency returns")).to_have_count(1)
    case = case_json(api, contact["case_id"])
    assert "Check police records" in [t["name"] for t in case["open_tasks"]]  # police can still answer
    person.all_quiet()
