"""Keyboard only: a screener screens a contact and a police officer returns a check with nothing but Tab,
Shift+Tab, Space, Enter and the arrow keys, as someone who cannot use a mouse does. Every control that takes
focus shows it (the GOV.UK focus colour), a refused submit puts focus on the error summary, and the
conditional questions and the details element open from the keyboard.

One live server and one browser for the whole journey: the officer's check is the one the screener asked for.
"""
from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.test_hub_journey import Person, case_json, report

#: GOV.UK Frontend's focus colour (#ffdd00), as a computed style gives it.
FOCUS_YELLOW = "rgb(255, 221, 0)"

#: The focus indicator of the element in focus: its own outline, shadow or background, or for a radio or a
#: checkbox (the input itself is invisible) the ring drawn round the box by its label's ::before.
FOCUS_STYLES = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const styles = [getComputedStyle(el)];
  if (el.matches('.govuk-radios__input, .govuk-checkboxes__input')) {
    styles.push(getComputedStyle(document.querySelector(`label[for="${el.id}"]`), '::before'));
  }
  const describe = el.id ? `#${el.id}` : `${el.tagName.toLowerCase()} "${(el.textContent || '').trim().slice(0, 40)}"`;
  return {describe, seen: styles.map((s) => [s.outlineStyle !== 'none' ? s.outlineColor : '', s.boxShadow,
                                             s.backgroundColor].join(' | '))};
}"""


class Keyboard:
    """One person's keyboard, checking after every key that moves focus that the focus can be seen."""

    def __init__(self, who: Person) -> None:
        self.who = who
        self.page: Page = who.page
        self.visited: list[str] = []

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.assert_focus_visible()

    def assert_focus_visible(self) -> None:
        focus = self.page.evaluate(FOCUS_STYLES)
        if focus is None:
            return
        assert any(FOCUS_YELLOW in seen for seen in focus["seen"]), f"no visible focus on {focus['describe']}: {focus}"
        self.visited.append(focus["describe"])

    def tab_to(self, selector: str, *, limit: int = 150, back: bool = False) -> None:
        """Tab (or Shift+Tab) until the element matching ``selector`` has focus."""
        for _ in range(limit):
            self.press("Shift+Tab" if back else "Tab")
            if self.page.evaluate("(s) => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"{selector} never took focus; went through {self.visited[-20:]}")

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)

    def submit(self, selector: str) -> None:
        """Tab to a button and press Enter: a new page loads."""
        self.tab_to(selector)
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")
        self.who.check_page()

    def focused(self) -> str:
        return self.page.evaluate("() => document.activeElement.id")


def test_a_screener_and_a_police_officer_work_by_keyboard_alone(person, api):
    contact = report(api, given="Kit", family="Keys")
    reference, case_id = contact["reference"], contact["case_id"]
    manager = person("mash-manager")
    manager.open_task(reference, "Screen the contact")
    keys = Keyboard(manager)
    page = manager.page

    # Sent with nothing filled in: the error summary takes focus, and shows it.
    keys.submit("button.govuk-button:not(.govuk-button--secondary)")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    keys.assert_focus_visible()

    # The rating: Tab into the group, the arrow keys choose.
    keys.tab_to("#rag")
    keys.press("ArrowDown")
    expect(page.locator("#rag-2")).to_be_checked()  # Amber
    keys.press("Tab")
    assert keys.focused() == "rag_rationale"
    keys.type("Bruising seen at school; the child named her stepfather.")
    # A factor used often, then one from the details element, opened with Enter.
    keys.press("Tab")
    assert keys.focused() == "presenting_factors"
    keys.press("Space")
    expect(page.locator("#presenting_factors")).to_be_checked()  # Neglect
    keys.tab_to("#presenting_factors-more > summary")
    keys.press("Enter")
    expect(page.locator("#presenting_factors-more")).to_have_attribute("open", "")
    keys.tab_to("#presenting_factors-more input[value='9A']")
    keys.press("Space")
    # Consent refused: the questions for checks without consent open at once.
    lawful_basis = page.get_by_role("group", name="Lawful basis for the checks without consent")
    expect(lawful_basis).to_be_hidden()
    keys.tab_to("#consent")
    keys.press("ArrowDown")
    expect(page.locator("#consent-2")).to_be_checked()  # Refused
    expect(lawful_basis).to_be_visible()
    keys.press("Tab")
    assert keys.focused() == "consent_reason"
    keys.type("Asking the stepfather would put the child at risk.")
    keys.press("Tab")
    assert keys.focused() == "lawful_basis"
    keys.press("Space")
    keys.press("Tab")
    assert keys.focused() == "special_category_condition"
    keys.press("Space")
    keys.press("Tab")
    assert keys.focused() == "agencies"
    keys.press("Space")  # Police
    keys.press("Shift+Tab")  # and back, to check the last choice is where it was left
    assert keys.focused() == "special_category_condition"
    keys.submit("button.govuk-button:not(.govuk-button--secondary)")
    assert page.url.endswith("/inbox"), manager.error_summary_text()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"Screen the contact completed for {reference}")

    case = case_json(api, case_id)
    assert case["rag"] == "amber"
    assert sorted(case["presenting_factors"]) == ["16A", "9A"]
    assert [t["name"] for t in case["open_tasks"]] == ["Check police records"]

    # The police officer: from the inbox to the check and back, by keyboard.
    officer = person("police")
    keys = Keyboard(officer)
    page = officer.page
    officer.goto("/inbox")
    href = page.get_by_role("link", name=f"Check police records for {reference}").get_attribute("href")
    keys.tab_to(f"a[href='{href}']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    officer.check_page()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check police records")
    keys.tab_to("#nothing_known")
    keys.press("ArrowRight")
    expect(page.get_by_label("We hold information")).to_be_checked()
    keys.press("Tab")
    assert keys.focused() == "findings"
    keys.type("KeyboardMarker: a domestic incident at the address in March.")
    keys.press("Tab")
    assert keys.focused() == "handling_restriction"
    keys.press("ArrowDown")
    expect(page.locator("#handling_restriction-2")).to_be_checked()  # not to be disclosed outside the hub
    keys.submit("button.govuk-button:not(.govuk-button--secondary)")
    assert page.url.endswith("/inbox"), officer.error_summary_text()

    returns = case_json(api, case_id)["agency_returns"]
    assert [(r["agency"], r["handling_restriction"]) for r in returns] == [("police", "hub-only")]
    person.all_quiet()
