"""A process owner changes a threshold in the hub's decision table in the in-app modeler, in a real browser.

The referral process's version holds the threshold table beside its diagrams. The process owner opens the
modeler, goes from the diagram to the table through the list of the version's files, and works the table
from the keyboard: a FEEL range typed into a cell is found by the check, named by its rule and marked in
the table; the summary leads back to the rule. Then "three or more presenting factors suggest Amber" becomes
"two or more", the note says why, and the deploy makes a new version whose table gives the new answer.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from app.engine import CaseWorkflow, compile_bundle
from app.process_models.registry import bundle_of, version_of
from tests.browser.test_hub_journey import Person
from tests.dmn_tables import bundle
from tests.modeler.test_decision_tables_page import with_table

pytestmark = pytest.mark.usefixtures("live_server")

CHECK_TIMEOUT = 60_000  # the check runs the whole deploy validation, bpmnlint (Node) included


def suggestion(db, version: int, **contact) -> tuple[str, str]:
    """What the referral process's threshold table in ``version`` suggests, run by the engine itself (a
    business rule task that names the decision, in the sandbox, as a case would run it)."""
    with db.unit_of_work() as session:
        stored = bundle_of(version_of(session, "referral", version)).dmn
    definition = compile_bundle(bundle(stored, decision_ref="threshold"), "decide")
    data = CaseWorkflow.start(definition, contact)[0].case_data()
    return data["suggested_rag"], data["suggested_rule"]


def type_into(page: Page, cell_label: str, text: str) -> None:
    """Edit a cell the keyboard way: into the cell, replace what is there, Tab to the next one."""
    cell = page.get_by_role("textbox", name=cell_label, exact=True)
    cell.focus()
    expect(cell).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Tab")


def test_a_threshold_changed_in_the_table_editor_is_deployed_and_gives_the_new_suggestion(page: Page, live_server, db):
    version = with_table(db)
    owner = Person(page, live_server, "process-owner")
    owner.sign_in()
    owner.console_errors.clear()
    owner.goto("/process-models/referral/edit")
    owner.click(page.get_by_role("link", name="Edit threshold.dmn"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit the decision table")
    lint = page.locator("#modeler-lint")
    expect(lint).to_contain_text("No problems found", timeout=CHECK_TIMEOUT)
    factors = "Rule 2, Input Presenting factors"
    expect(page.get_by_role("textbox", name=factors, exact=True)).to_have_text(">= 3")

    # A FEEL range is not an entry the engine can evaluate: the check names the rule and marks it.
    type_into(page, factors, "[3..10]")
    expect(lint).to_contain_text("1 problem found", timeout=CHECK_TIMEOUT)
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("rule 2")
    expect(page.locator("#tables-canvas tbody tr").nth(1)).to_have_class("mash-tables__problem")
    summary.get_by_role("link").first.click()
    expect(page.get_by_role("textbox", name="Rule 2, Input Immediate risk", exact=True)).to_be_focused()

    # The change the hub agreed, in Python: two presenting factors are enough for Amber.
    type_into(page, factors, ">= 2")
    type_into(page, "Rule 2, Output Rule", '"Two or more presenting factors"')
    type_into(page, "Rule 3, Input Presenting factors", "< 2")
    type_into(page, "Rule 3, Output Rule", '"Fewer than two presenting factors"')
    expect(lint).to_contain_text("No problems found", timeout=CHECK_TIMEOUT)
    expect(summary).to_have_count(0)
    expect(page.locator("#tables-canvas tbody tr.mash-tables__problem")).to_have_count(0)
    page.get_by_label("What changed and why").fill("Two presenting factors now suggest Amber, as the hub agreed")
    page.get_by_role("button", name="Deploy as a new version").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(f"Version {version + 1} deployed",
                                                                       timeout=CHECK_TIMEOUT)
    assert owner.console_errors == []

    # The new version's table gives two presenting factors Amber; the version before still gives Green.
    two_factors = {"immediate_risk": False, "factor_count": 2}
    assert suggestion(db, version + 1, **two_factors) == ("Amber", "Two or more presenting factors")
    assert suggestion(db, version, **two_factors) == ("Green", "Fewer than three presenting factors")
    assert suggestion(db, version + 1, immediate_risk=False, factor_count=1) == (
        "Green", "Fewer than two presenting factors")
