"""In a browser: from the screening page to the contact's possible matches, confirmed, then the person's page."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.api.test_referral_walks import task_id
from tests.people.flows import FAMILY, LATER, report


def test_a_screener_confirms_a_match_from_the_screening_page(api, person):
    report(api, *FAMILY)
    later = report(api, LATER)
    manager = person("mash-manager", javascript=True)
    manager.goto(f"/tasks/{task_id(api, later, 'screening', 'mash-manager')}")
    expect(manager.page.locator("#person-matches")).to_contain_text("1 possible match")
    manager.click(manager.page.get_by_role("link", name=re.compile(r"^Decide the matches")))
    expect(manager.page.get_by_role("heading", level=1)).to_have_text("Who the contact is about")
    expect(manager.page.locator(".people-proposal")).to_contain_text("Same date of birth")
    manager.screenshot("people-case-proposals")
    manager.click(manager.page.get_by_role("button", name=re.compile(r"^Confirm")))
    expect(manager.page.locator(".govuk-notification-banner--success")).to_contain_text("Match confirmed")
    manager.click(manager.page.get_by_role("link", name=re.compile(r"^person \d+$")).first)
    expect(manager.page.locator("#person-details")).to_contain_text("Jayden Okoro, Jaydon Okoro")
    manager.screenshot("people-person")
    person.all_quiet()
