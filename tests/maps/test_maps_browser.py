"""The maps in a real browser: the diagram is drawn, a step clicked opens its panel, and the case map's
replay moves the highlight one event at a time."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests import factories as f
from tests.api.test_referral_walks import complete, report
from tests.browser.test_hub_journey import Person


def test_a_map_opens_a_steps_panel_and_a_case_map_replays_event_by_event(page: Page, live_server, api):
    case_id = report(api)
    complete(api, case_id, "screening", "mash-manager", f.screening("amber", ["police"]))
    trail = api("mash-manager").get(f"/api/v1/cases/{case_id}/trail").get_json()
    k = next(n for n, e in enumerate(trail, start=1) if (e["element_id"], e["state"]) == ("screening", "completed"))

    page.set_viewport_size({"width": 1400, "height": 1000})
    who = Person(page, live_server, "mash-manager")
    who.sign_in()
    who.click(page.get_by_role("link", name="Process maps"))
    who.click(page.get_by_role("link", name="MASH contact to decision"))
    expect(page.locator("#maps-viewer")).to_have_attribute("data-ready", "true")
    page.get_by_role("button", name="Fit to screen").click()  # it opens at the start event, readable
    screening = page.locator(".djs-shape[data-element-id='screening'] .djs-hit")
    expect(screening).to_be_visible()
    screening.click()
    heading = page.locator("#maps-panel-heading")
    expect(heading).to_have_text("Screen the contact")
    panel = page.locator("#maps-panel")
    expect(panel).to_contain_text("MASH manager")
    expect(panel.locator("input[name='rag']").first).to_be_disabled()  # a preview: nothing to fill in
    # The list of steps opens the same panel (the way in from the keyboard).
    page.locator("a[data-step-id='police_check']").click()
    expect(heading).to_have_text("Check police records")
    expect(heading).to_be_focused()
    who.check_page()

    who.goto(f"/cases/{case_id}/map?at={k}&show=all")  # every event: Next goes to event k + 1
    expect(page.locator("#maps-viewer")).to_have_attribute("data-ready", "true")
    current = page.locator(".djs-element.maps-el--current")
    expect(current).to_have_attribute("data-element-id", "screening")
    expect(page.locator(".djs-shape[data-element-id='screening']")).to_have_class(re.compile(r"maps-el--completed"))
    status = page.locator("#maps-replay-status")
    expect(status).to_contain_text(f"Event {k} of {len(trail)}: Screen the contact completed")

    page.get_by_role("button", name="Next event").click()
    following = trail[k]  # the event after k (the trail is 1-based on the page)
    expect(current).to_have_attribute("data-element-id", following["element_id"])
    expect(status).to_contain_text(f"Event {k + 1} of {len(trail)}: {following['name']} {following['state']}")
    expect(page).to_have_url(re.compile(rf"/cases/{case_id}/map\?at={k + 1}&show=all$"))
    expect(page.locator("#maps-trail tr[aria-current='step']")).to_have_attribute("data-index", str(k + 1))
    page.get_by_role("button", name="Previous event").click()
    expect(current).to_have_attribute("data-element-id", "screening")
    assert who.console_errors == []
