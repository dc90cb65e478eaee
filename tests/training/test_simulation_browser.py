"""The token simulation in a real browser: a class switches it on, sends a contact in and watches a token
walk the referral diagram, with the steps it reaches listed beside it. No case is involved."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.test_hub_journey import Person


def test_a_token_walks_the_referral_diagram(page: Page, live_server):
    trainer = Person(page, live_server, "trainer")
    trainer.sign_in()
    trainer.console_errors.clear()  # the page after signing in is not this test's business
    trainer.goto("/training/simulation/referral")
    expect(page.locator("#simulation-canvas")).to_have_attribute("data-ready", "true")
    expect(page.locator("#simulation-nojs")).to_be_hidden()

    toggle = page.get_by_role("button", name="Start the simulation")
    toggle.click()
    expect(page.get_by_role("button", name="Stop the simulation")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#simulation-state")).to_contain_text("The simulation is on")
    page.get_by_label("Immediate risk reported?").select_option(label="Yes → Hub open?")
    page.get_by_label("Hub open?").select_option(label="Open → Confirm immediate risk")

    page.get_by_role("button", name="Send a contact in").click()
    expect(page.locator("#simulation-canvas .bts-token").first).to_be_visible()
    log = page.locator("#simulation-log")
    expect(log).to_contain_text("Contact received")
    expect(log).to_contain_text("Confirm immediate risk", timeout=15_000)
    expect(page.locator("#simulation-current")).to_contain_text("MASH manager")
    assert trainer.console_errors == []
