"""The properties panel writes what the app reads, as bpmn-js commands (so undo and redo cover them), and
the diagram it saves deploys and compiles: a deadline kind on a timer that had no extension elements, a
task's documentation and form key, a gateway's condition and default flow."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree
from playwright.sync_api import Page, expect

from app.engine import ProcessBundle
from app.process_models.registry import bundle_of, compiled, latest_version, register_bundle
from tests.browser.test_hub_journey import Person
from tests.browser.test_modeler_deploy import CHECK_TIMEOUT, choose, set_field

pytestmark = pytest.mark.usefixtures("live_server")

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "camunda": "http://camunda.org/schema/1.0/bpmn"}
EXTENSIONS = re.compile(r'(<bpmn:boundaryEvent id="screening_deadline".*?)'
                        r'<bpmn:extensionElements>.*?</bpmn:extensionElements>', re.S)


@pytest.fixture
def version_without_deadline_kind(db):
    """Version 2: the screening deadline as a plain editor draws it, with no camunda:properties at all."""
    with db.unit_of_work() as session:
        bundle = bundle_of(latest_version(session, "referral"))
        text = bundle.bpmn["referral.bpmn"].decode("utf-8")
        stripped, count = EXTENSIONS.subn(r"\1", text)
        assert count == 1
        register_bundle(session, ProcessBundle(bpmn={**bundle.bpmn, "referral.bpmn": stripped.encode("utf-8")},
                                               forms=bundle.forms, policies=bundle.policies, dmn=bundle.dmn),
                        created_by="process-owner", process_id="referral")


def test_the_panel_edits_deploy_as_a_diagram_the_engine_reads(page: Page, live_server, db,
                                                               version_without_deadline_kind):
    owner = Person(page, live_server, "process-owner")
    owner.sign_in()
    owner.console_errors.clear()
    owner.goto("/process-models/referral/edit")
    lint = page.locator("#modeler-lint")
    expect(lint).to_contain_text("No problems found", timeout=CHECK_TIMEOUT)
    panel = page.locator("#modeler-properties")

    # deadlineKind where there were no extension elements: one undo step, undone and redone.
    choose(page, "screening_deadline")
    kind = panel.get_by_label("Deadline kind (deadlineKind)")
    expect(kind).to_have_value("")
    kind.select_option("statutory")
    expect(kind).to_have_value("statutory")
    page.get_by_role("button", name="Undo").click()
    expect(kind).to_have_value("")
    page.get_by_role("button", name="Redo").click()
    expect(kind).to_have_value("statutory")

    # A form key that no form has is found at once; choosing a form of the version clears it.
    choose(page, "screening")
    panel.get_by_label("Form (camunda:formKey)").select_option(label="Another form key (type it)")
    set_field(page, "New form key", "screening_v9")
    expect(page.locator(".govuk-error-summary")).to_contain_text("form 'screening_v9' does not exist",
                                                                 timeout=CHECK_TIMEOUT)
    panel.get_by_label("Form (camunda:formKey)").select_option("screening")
    set_field(page, "Documentation", "Screen the contact and rate it within one working day.")

    # A gateway's flows: the condition, and which flow is the default.
    choose(page, "Flow_immediate_risk_yes")
    set_field(page, "Condition", "immediate_risk is True")
    choose(page, "Flow_not_immediate")
    default = panel.get_by_label('Default flow of "Immediate risk reported?" (taken when no condition holds)')
    expect(default).to_be_checked()
    default.uncheck()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        'Flow "No" from "Immediate risk reported?": sequence flow is missing condition', timeout=CHECK_TIMEOUT)
    expect(page.locator(".mash-modeler__badge")).to_have_count(1)
    panel.get_by_label('Default flow of "Immediate risk reported?" (taken when no condition holds)').check()
    expect(lint).to_contain_text("No problems found", timeout=CHECK_TIMEOUT)

    with page.expect_download() as download:
        page.get_by_role("button", name="Download the diagram").click()
    assert download.value.suggested_filename == "referral.bpmn"
    assert b"Screen the contact and rate it within one working day." in Path(download.value.path()).read_bytes()

    page.get_by_label("What changed and why").fill("Screening documented; deadline kind set")
    page.get_by_role("button", name="Deploy as a new version").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Version 3 deployed", timeout=CHECK_TIMEOUT)
    assert owner.console_errors == []

    # After the deploy: changes can be thrown away, and leaving with changes asks first.
    choose(page, "screening")
    set_field(page, "Name", "Something else")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revert to version 3").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Your changes were discarded")
    expect(lint).to_contain_text("No problems found", timeout=CHECK_TIMEOUT)
    choose(page, "screening")
    expect(page.locator("#modeler-element-heading")).to_have_text("Screen the contact")
    set_field(page, "Name", "Something else again")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.close(run_before_unload=True)
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit the diagram")
    assert asked == ["beforeunload"]

    with db.unit_of_work() as session:
        v3 = latest_version(session, "referral")
        assert v3.version == 3
        tree = etree.fromstring(bundle_of(v3).bpmn["referral.bpmn"])
        definition = compiled(v3)
    deadline_kinds = tree.xpath('//bpmn:boundaryEvent[@id="screening_deadline"]'
                                '//camunda:property[@name="deadlineKind"]/@value', namespaces=NS)
    assert deadline_kinds == ["statutory"]
    assert definition.timers[("referral", "screening_deadline")].kind == "statutory"
    screening = definition.user_tasks[("referral", "screening")]
    assert (screening.form_key, screening.documentation) == (
        "screening", "Screen the contact and rate it within one working day.")
    assert tree.xpath('//bpmn:sequenceFlow[@id="Flow_immediate_risk_yes"]/bpmn:conditionExpression/text()',
                      namespaces=NS) == ["immediate_risk is True"]
    assert tree.xpath('//bpmn:exclusiveGateway[@id="immediate_risk_check"]/@default', namespaces=NS) == \
        ["Flow_not_immediate"]
