"""A process owner changes a threshold in the hub's decision table in the in-app modeler, in a real browser.

The referral process's version 1 holds the threshold table (processes/threshold.dmn) beside its diagrams.
The process owner opens the modeler, goes from the diagram to the table through the list of the version's
files, and works the table from the keyboard: a FEEL range typed into a cell is found by the check, named
by its rule and marked in the table, and the summary leads back to the rule. Then "abuse or neglect and a
baby under one is Red" becomes "a child under two", the note says why, and the deploy makes version 2,
whose table the engine runs to the new suggestion for the next such contact (version 1 still gives Amber).
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from app.core.clock import clock
from app.engine import CaseWorkflow, compile_bundle
from app.process_models.registry import bundle_of, version_of
from tests.api.test_referral_walks import report, task_id
from tests.browser.test_hub_journey import Person
from tests.dmn_tables import bundle

pytestmark = pytest.mark.usefixtures("live_server")

CHECK_TIMEOUT = 60_000  # the check runs the whole deploy validation, bpmnlint (Node) included
AGE = "Input Youngest child's age (years; 18 when not known)"
#: A contact about neglect of a one-year-old: no immediate risk, no serious harm factor, no repeat concern.
NEGLECT_OF_A_ONE_YEAR_OLD = {"immediate_risk": False, "presenting_factors": ["16A"], "youngest_child_age": 1,
                             "repeat_concern": False}


def suggestion(db, version: int, contact: dict) -> tuple[str, str]:
    """What the threshold table of the referral process's ``version`` suggests, run by the engine itself (a
    business rule task naming the decision, in the sandbox, as a case runs it)."""
    with db.unit_of_work() as session:
        tables = bundle_of(version_of(session, "referral", version)).dmn
    workflow, _events = CaseWorkflow.start(compile_bundle(bundle(tables, decision_ref="threshold"), "decide"), contact)
    data = workflow.case_data()
    return data["suggested_rag"], data["suggested_rule"]


def type_into(page: Page, cell_label: str, text: str) -> None:
    """Edit a cell the keyboard way: into the cell, replace what is there, Tab to the next one."""
    cell = page.get_by_role("textbox", name=cell_label, exact=True)
    cell.focus()
    expect(cell).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Tab")


def test_a_threshold_changed_in_the_table_editor_is_deployed_and_gives_the_new_suggestion(page: Page, live_server, db,
                                                                                           api):
    assert suggestion(db, 1, NEGLECT_OF_A_ONE_YEAR_OLD) == ("Amber", "abuse, neglect or domestic abuse")
    owner = Person(page, live_server, "process-owner")
    owner.sign_in()
    owner.console_errors.clear()
    owner.goto("/process-models/referral/edit")
    owner.click(page.get_by_role("link", name="Edit threshold.dmn"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit the decision table")
    lint = page.locator("#modeler-lint")
    expect(lint).to_contain_text("No problems found", timeout=CHECK_TIMEOUT)
    age_under_one = page.get_by_role("textbox", name=f"Rule 3, {AGE}", exact=True)
    expect(age_under_one).to_have_text("< 1")
    age_under_one.focus()
    expect(age_under_one).to_have_css("outline-color", "rgb(255, 221, 0)")  # where the keyboard is shows

    # A FEEL range is not an entry the engine evaluates: the check names the rule and marks it.
    type_into(page, f"Rule 3, {AGE}", "[0..1]")
    expect(lint).to_contain_text("1 problem found", timeout=CHECK_TIMEOUT)
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("decision Threshold: suggested RAG rating, rule 3")
    expect(page.locator("#tables-canvas tbody tr").nth(2)).to_have_class("mash-tables__problem")
    summary.get_by_role("link").first.click()
    expect(page.get_by_role("textbox", name="Rule 3, Input Immediate risk", exact=True)).to_be_focused()

    # The change the hub agreed, in Python: abuse or neglect of a child under two is Red.
    type_into(page, f"Rule 3, {AGE}", "< 2")
    type_into(page, "Rule 3, Output Rule", '"abuse or neglect, child under two"')
    type_into(page, f"Rule 4, {AGE}", ">= 2")
    expect(lint).to_contain_text("No problems found", timeout=CHECK_TIMEOUT)
    expect(summary).to_have_count(0)
    expect(page.locator("#tables-canvas tbody tr.mash-tables__problem")).to_have_count(0)
    page.get_by_label("What changed and why").fill("Abuse or neglect of a child under two is Red, as the hub agreed")
    page.get_by_role("button", name="Deploy as a new version").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Version 2 deployed", timeout=CHECK_TIMEOUT)
    assert owner.console_errors == []

    # The next contact about a one-year-old's neglect: version 2's table suggests Red, version 1's still Amber.
    assert suggestion(db, 2, NEGLECT_OF_A_ONE_YEAR_OLD) == ("Red", "abuse or neglect, child under two")
    assert suggestion(db, 1, NEGLECT_OF_A_ONE_YEAR_OLD) == ("Amber", "abuse, neglect or domestic abuse")
    assert suggestion(db, 2, {**NEGLECT_OF_A_ONE_YEAR_OLD, "youngest_child_age": 2}) == (
        "Amber", "abuse, neglect or domestic abuse")

    # And the hub sees it: the next contact about a one-year-old runs on version 2, and its screening suggests Red
    # with the new rule once neglect is ticked (what the screener sees beside the rating).
    one_year_old = (clock.now() - timedelta(days=400)).date().isoformat()
    case_id = report(api, given="Isla", family="Next", dob=one_year_old)
    task = task_id(api, case_id, "screening", "mash-manager")
    shown = api("mash-manager").get(f"/api/v1/tasks/{task}?presenting_factors=16A").get_json()["threshold"]
    assert (shown["suggested_rag"], shown["suggested_rule"]) == ("red", "abuse or neglect, child under two")
