"""A process owner redraws the referral process in the in-app modeler and deploys it, in a real browser.

Case A is already waiting on the police check, on version 1. The process owner opens the modeler, first
breaks the screening deadline's timer (the check marks it on the diagram and lists it; the list leads
back to the element), undoes that, then renames the screening task and gives screening two working days
instead of one through the properties panel. The check comes back clean, the note says why, and the
deploy makes version 2. Case B, reported afterwards, runs on version 2 (the new name, the new
deadline); case A stays on version 1 and is walked to closure there.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.cases.models import Case
from app.deadlines.models import Deadline
from app.process_models.registry import version_of
from tests import factories as f
from tests.browser.test_hub_journey import Person, case_json, complete, report

pytestmark = pytest.mark.usefixtures("live_server")

NEW_NAME = "Screen the contact and rate it"
CHECK_TIMEOUT = 60_000  # the check runs the whole deploy validation, bpmnlint (Node) included: slow on a busy machine


def choose(page: Page, element_id: str) -> None:
    """Select an element the keyboard way: the panel's list of steps, then Show."""
    page.get_by_label("Step, flow or lane").select_option(element_id)
    page.get_by_role("button", name="Show", exact=True).click()


def set_field(page: Page, label: str, value: str) -> None:
    field = page.locator("#modeler-properties").get_by_label(label, exact=True)
    field.fill(value)
    field.press("Tab")  # the change applies when the field is left, as one undo step


def state(db, case_id: int) -> tuple[int, str, dict[str, Deadline]]:
    with db.unit_of_work() as session:
        case = session.get(Case, case_id)
        deadlines = {d.element_id: d for d in session.scalars(select(Deadline).where(Deadline.case_id == case_id))}
        return case.process_version_id, case.status, deadlines


def test_a_redrawn_diagram_deployed_from_the_modeler_runs_new_cases_while_old_ones_finish_on_theirs(
        page: Page, live_server, api, db):
    with db.unit_of_work() as session:
        v1 = version_of(session, "referral", 1).id
    case_a = report(api, given="Amy", family="Archer")["case_id"]
    complete(api, case_a, "screening", "mash-manager", f.screening("amber", ["police"]))
    assert [t["name"] for t in case_json(api, case_a)["open_tasks"]] == ["Check police records"]

    owner = Person(page, live_server, "process-owner")
    owner.sign_in()
    owner.console_errors.clear()  # only what the modeler page itself reports is this test's business
    owner.goto("/process-models/referral/edit")
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit the diagram")
    lint = page.locator("#modeler-lint")
    expect(lint).to_contain_text("No problems found", timeout=CHECK_TIMEOUT)

    # A broken timer is found inline, marked on the diagram, and the summary leads back to it.
    choose(page, "screening_deadline")
    set_field(page, "Timer expression", "add_working_days(received_at, ")
    expect(lint).to_contain_text("1 problem found", timeout=CHECK_TIMEOUT)
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Screening due: 1 working day from receipt: the expression is refused")
    expect(page.locator(".mash-modeler__badge")).to_have_count(1)
    choose(page, "screening")
    summary.get_by_role("link").click()
    expect(page.locator("#modeler-element-heading")).to_have_text("Screening due: 1 working day from receipt")
    expect(page.locator("#modeler-element-heading")).to_be_focused()
    page.get_by_role("button", name="Undo").click()
    expect(lint).to_contain_text("No problems found", timeout=CHECK_TIMEOUT)
    expect(summary).to_have_count(0)
    expect(page.locator(".mash-modeler__badge")).to_have_count(0)

    # The edits this version is for: a clearer name, and two working days for screening.
    choose(page, "screening")
    panel = page.locator("#modeler-properties")
    expect(panel.locator("#prop-lane")).to_contain_text("MASH manager")
    expect(panel.get_by_label("Form (camunda:formKey)")).to_have_value("screening")
    set_field(page, "Name", NEW_NAME)
    expect(page.locator("#modeler-element-heading")).to_have_text(NEW_NAME)
    choose(page, "screening_deadline")
    set_field(page, "Name", "Screening due: 2 working days from receipt")
    set_field(page, "Timer expression", "add_working_days(received_at, 2)")
    expect(lint).to_contain_text("No problems found", timeout=CHECK_TIMEOUT)

    # The note is required before anything is deployed.
    page.get_by_role("button", name="Deploy as a new version").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Say what changed and why")
    page.get_by_label("What changed and why").fill("Screening gets two working days, as the hub agreed")
    page.get_by_role("button", name="Deploy as a new version").click()
    banner = page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text("Version 2 deployed", timeout=CHECK_TIMEOUT)
    expect(banner.get_by_role("link", name="See the version history")).to_have_attribute(
        "href", "/process-models/referral")
    owner.click(banner.get_by_role("link", name="See the version history"))
    expect(page.locator("main")).to_contain_text("Screening gets two working days, as the hub agreed")
    with db.unit_of_work() as session:
        v2 = version_of(session, "referral", 2)
        assert (v2.note, v2.source, v2.created_by) == (
            "Screening gets two working days, as the hub agreed", "modeler", "process-owner")
        v2 = v2.id
    assert owner.console_errors == []

    # Case B starts on version 2: the new name and the new deadline.
    case_b = report(api, given="Ben", family="Baker")["case_id"]
    assert [t["name"] for t in case_json(api, case_b)["open_tasks"]] == [NEW_NAME]
    version_b, _, deadlines_b = state(db, case_b)
    version_a, _, deadlines_a = state(db, case_a)
    assert (version_a, version_b) == (v1, v2)
    assert deadlines_b["screening_deadline"].name == "Screening due: 2 working days from receipt"
    assert deadlines_b["screening_deadline"].due_at > deadlines_a["screening_deadline"].due_at

    # Case A finishes on version 1.
    complete(api, case_a, f.AGENCY_TASKS["police"], "police", f.agency_return())
    complete(api, case_a, "mash_review", "mash-manager", f.review())
    complete(api, case_a, "decision", "mash-manager", f.decision("nfa"))
    complete(api, case_a, "feedback_to_referrer", "business-support", f.feedback())
    version_a, status_a, _ = state(db, case_a)
    assert (version_a, status_a) == (v1, "closed")
    complete(api, case_b, "screening", "mash-manager", f.screening("amber", ["police"]))
    assert state(db, case_b)[0] == v2
