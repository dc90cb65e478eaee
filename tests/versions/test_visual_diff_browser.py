"""The compare page in a real browser: both diagrams drawn, each change marked on the side it belongs to
with a worded badge, and a table row's button bringing its element into view."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.test_hub_journey import Person
from tests.versions.edits import deploy
from tests.versions.test_diff_pages import second_version


def test_the_visual_diff_marks_added_removed_and_changed_elements(page: Page, live_server, db):
    deploy(db, second_version)
    owner = Person(page, live_server, "process-owner")
    owner.sign_in()
    owner.console_errors.clear()  # where signing in lands is not this page's concern
    owner.goto("/process-models/referral/diff?from=1&to=2")
    status = page.locator("#versions-visual-status")
    expect(status).to_have_text("referral.bpmn: 3 marked in version 1, 5 in version 2.", timeout=15_000)

    old, new = page.locator("#versions-old"), page.locator("#versions-new")
    expect(new.locator(".djs-element.versions-diff--added[data-element-id='confirm_closure']")).to_have_count(1)
    expect(old.locator("[data-element-id='confirm_closure']")).to_have_count(0)
    expect(old.locator(".djs-element.versions-diff--changed[data-element-id='screening']")).to_have_count(1)
    expect(new.locator(".djs-element.versions-diff--changed[data-element-id='screening']")).to_have_count(1)
    expect(new.locator(".versions-badge--added")).to_have_count(2)
    expect(new.locator(".versions-badge--added").first).to_have_text("+ Added")
    expect(old.locator(".versions-badge--changed")).to_have_count(3)

    # The removed side: version 1 of this comparison the other way round has the new step removed.
    owner.goto("/process-models/referral/diff?from=2&to=1")
    expect(page.locator("#versions-visual-status")).to_contain_text("marked", timeout=15_000)
    expect(page.locator("#versions-old .djs-element.versions-diff--removed[data-element-id='confirm_closure']")
           ).to_have_count(1)
    expect(page.locator("#versions-old .versions-badge--removed").first).to_have_text("\u2212 Removed")

    page.locator("tr[data-element-id='confirm_closure'] .versions-locate").click()
    expect(page.locator("#versions-old .djs-element.versions-focus[data-element-id='confirm_closure']")
           ).to_have_count(1)
    assert owner.console_errors == []
