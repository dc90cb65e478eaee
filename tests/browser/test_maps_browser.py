"""The process map in Chromium opens on the step in question at a readable scale with the mini-map beside it,
and the token simulation's controls carry visible words and work from the keyboard."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.test_hub_journey import Person


def on_screen(page: Page, element_id: str) -> dict:
    """Where a diagram element is drawn on the screen, and the diagram's scale."""
    return page.evaluate("""(id) => {
        const canvas = document.querySelector('#maps-canvas').getBoundingClientRect();
        const shape = document.querySelector(`.djs-shape[data-element-id='${id}']`).getBoundingClientRect();
        return {inside: shape.left >= canvas.left && shape.right <= canvas.right
                        && shape.top >= canvas.top && shape.bottom <= canvas.bottom,
                width: shape.width,
                centre: Math.abs((shape.left + shape.right) / 2 - (canvas.left + canvas.right) / 2) < canvas.width / 4};
    }""", element_id)


def test_the_map_opens_on_the_step_with_a_mini_map_and_the_simulation_says_what_its_buttons_do(
        page: Page, live_server):
    page.set_viewport_size({"width": 1280, "height": 900})
    trainer = Person(page, live_server, "trainer")
    trainer.sign_in()
    trainer.console_errors.clear()

    trainer.goto("/maps/referral?step=police_check")
    viewer = page.locator("#maps-viewer")
    expect(viewer).to_have_attribute("data-ready", "true")
    expect(viewer).to_have_attribute("data-focus", "police_check")
    placed = on_screen(page, "police_check")
    assert placed["inside"] and placed["centre"], placed
    assert placed["width"] >= 80, placed  # drawn 100 wide: at fit-to-screen it would be a speck
    expect(page.locator("#maps-panel-heading")).to_have_text("Check police records")
    minimap = page.locator("#maps-canvas .djs-minimap")
    expect(minimap).to_be_visible()
    expect(minimap.locator(".map svg")).to_be_visible()
    hide = page.get_by_role("button", name="Hide the mini-map")
    hide.focus()
    page.keyboard.press("Enter")
    expect(minimap.locator(".map")).to_be_hidden()
    expect(page.get_by_role("button", name="Show the mini-map")).to_have_attribute("aria-pressed", "false")

    trainer.goto("/maps/referral")
    expect(viewer).to_have_attribute("data-focus", "start")
    assert on_screen(page, "contact_received")["inside"]

    trainer.goto("/training/simulation/referral")
    expect(page.locator("#simulation-canvas")).to_have_attribute("data-ready", "true")
    switch = page.locator("#simulation-canvas .bts-toggle-mode")
    expect(switch).to_have_attribute("role", "button")
    switch.focus()
    page.keyboard.press("Enter")
    expect(switch).to_have_attribute("aria-pressed", "true")
    palette = page.locator("#simulation-canvas .bts-palette")
    for words in ("Play", "Reset", "Log"):
        button = palette.get_by_role("button", name=words, exact=True)
        expect(button).to_be_visible()
        expect(button).to_contain_text(words)  # seen, not only read out
    for words in ("Speed: Slow", "Speed: Normal", "Speed: Fast"):
        expect(page.locator("#simulation-canvas .bts-set-animation-speed").get_by_role(
            "button", name=words)).to_be_visible()
    start = page.locator("#simulation-canvas [data-container-id='contact_received'] .bts-context-pad")
    expect(start).to_have_text("Run")  # the start event's ▶
    expect(start).to_be_visible()
    decision = page.locator("#simulation-canvas .bts-context-pad:visible", has_text="Switch route")
    expect(decision.first).to_be_visible()
    page.get_by_role("button", name="Send a contact in").click()
    pause = palette.get_by_role("button", name="Pause", exact=True)
    expect(pause).to_be_visible()
    pause.focus()
    page.keyboard.press("Enter")
    expect(palette.get_by_role("button", name="Play", exact=True)).to_be_visible()
    assert trainer.console_errors == []
