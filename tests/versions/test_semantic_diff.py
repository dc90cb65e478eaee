"""The semantic diff names what changed in the terms the hub runs on, and nothing when nothing did."""
from __future__ import annotations

import json
import re

import pytest

from app.core.config import PROJECT_ROOT
from app.engine import ProcessBundle
from app.process_models.diff import diff_bundles
from tests.versions.edits import closure_step, replace, timer_expression, with_diagram, with_forms


@pytest.fixture(scope="module")
def shipped() -> ProcessBundle:
    return ProcessBundle.from_directories(PROJECT_ROOT / "processes", PROJECT_ROOT / "forms")


def changed(diff, element_id: str) -> dict[str, tuple]:
    [element] = [e for e in diff.elements if e.element_id == element_id]
    assert element.status == "changed"
    return {c.what: (c.old, c.new) for c in element.changes}


def test_an_identical_redeploy_reports_nothing(shipped):
    again = ProcessBundle(bpmn=dict(shipped.bpmn), forms=dict(shipped.forms), policies=shipped.policies,
                          dmn=dict(shipped.dmn))
    diff = diff_bundles(shipped, again)
    assert diff.empty and diff.elements == [] and diff.forms == [] and diff.policies == [] and diff.moved == []
    assert diff.counts == {"added": 0, "removed": 0, "changed": 0}


def test_renaming_a_task_changes_that_task_only_not_the_flows_that_point_at_it(shipped):
    diff = diff_bundles(shipped, with_diagram(shipped,
                                              (b'name="Screen the contact"', b'name="Screen the new contact"')))
    assert [e.element_id for e in diff.elements] == ["screening"]
    assert changed(diff, "screening") == {"Name": ("Screen the contact", "Screen the new contact")}
    assert diff.elements[0].element_type == "User task"


def test_a_timer_expression_and_its_deadline_kind(shipped):
    diff = diff_bundles(shipped, with_diagram(
        shipped,
        timer_expression("review_decision_deadline", "decision_due(rag, received_at, checks_requested_at)",
                         "add_working_days(received_at, 3)"),
        ((b'<camunda:property name="deadlineKind" value="rag" />\n        </camunda:properties>\n'
          b'      </bpmn:extensionElements>\n'
          b'      <bpmn:outgoing>Flow_review_decision_deadline'),
         (b'<camunda:property name="deadlineKind" value="statutory" />\n        </camunda:properties>\n'
          b'      </bpmn:extensionElements>\n'
          b'      <bpmn:outgoing>Flow_review_decision_deadline'))))
    assert changed(diff, "review_decision_deadline") == {
        "Timer": ("timeDate: decision_due(rag, received_at, checks_requested_at)",
                  "timeDate: add_working_days(received_at, 3)"),
        "Deadline kind": ("rag", "statutory")}
    assert diff.elements[0].element_type == "Boundary event (timer)"


def test_a_gateway_condition_and_its_default_flow(shipped):
    condition = b'targetRef="apply_new_rag">\n      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
    conditions = with_diagram(shipped, (condition + b'rerate == "yes"', condition + b'rerate in ("yes", "maybe")'))
    diff = diff_bundles(shipped, with_diagram(
        conditions,
        (b'name="Section 47 enquiry?" default="Flow_s47_no"', b'name="Section 47 enquiry?" default="Flow_s47_yes"'),
        file="strategy_discussion.bpmn"))
    assert changed(diff, "Flow_rerate_yes") == {"Condition": ('rerate == "yes"', 'rerate in ("yes", "maybe")')}
    assert changed(diff, "section_47_check") == {"Default flow": ("No (Flow_s47_no)", "Yes (Flow_s47_yes)")}
    [gateway] = [e for e in diff.elements if e.element_id == "section_47_check"]
    assert gateway.process_id == "strategy_discussion" and gateway.new_file == "strategy_discussion.bpmn"


def test_a_form_key_lane_documentation_script_and_called_process(shipped):
    raw = shipped.bpmn["referral.bpmn"]
    start = raw.index(b'<bpmn:lane id="Lane_police"')
    police_lane = raw[start:raw.index(b"</bpmn:lane>", start)]
    bundle = with_diagram(
        shipped, (b'camunda:formKey="decision"', b'camunda:formKey="decision_v2"'),
        (police_lane, police_lane.replace(b"<bpmn:flowNodeRef>police_check</bpmn:flowNodeRef>", b"")),
        (b"<bpmn:flowNodeRef>health_check</bpmn:flowNodeRef>",
         b"<bpmn:flowNodeRef>health_check</bpmn:flowNodeRef><bpmn:flowNodeRef>police_check</bpmn:flowNodeRef>"),
        (b'checks_requested_at = now()', b'checks_requested_at = now()\nurgent = True'),
        (b'calledElement="strategy_discussion"', b'calledElement="strategy_meeting"'),
        (b"The child's social worker reads the new information", b"The child's social worker reads the news"))
    diff = diff_bundles(shipped, bundle)
    assert changed(diff, "decision") == {"Form key": ("decision", "decision_v2")}
    assert changed(diff, "police_check") == {"Lane (who does it)": ("Police", "Health")}
    assert changed(diff, "note_checks_requested")["Script"] == (
        "checks_requested_at = now()", "checks_requested_at = now()\nurgent = True")
    assert changed(diff, "strategy_discussion") == {"Called process": ("strategy_discussion", "strategy_meeting")}
    old_doc, new_doc = changed(diff, "pass_to_allocated_worker")["Documentation"]
    assert "reads the new information" in old_doc and "reads the news" in new_doc


def test_adding_a_task_lists_the_task_its_new_flow_and_the_rerouted_ones(shipped):
    diff = diff_bundles(shipped, closure_step(shipped))
    statuses = {e.element_id: e.status for e in diff.elements}
    assert statuses == {"confirm_closure": "added", "Flow_closure_confirmed": "added", "Flow_to_close": "changed"}
    assert changed(diff, "Flow_to_close") == {"To": ("Contact closed (end_closed)",
                                                     "Confirm the contact can close (confirm_closure)")}
    [added] = [e for e in diff.elements if e.element_id == "confirm_closure"]
    assert added.element_type == "User task" and added.name == "Confirm the contact can close"
    assert [(f.key, f.status) for f in diff.forms] == [("closure_check", "added")]
    [referral] = [f for f in diff.files if f.name == "referral.bpmn"]
    assert referral.new_marks["confirm_closure"] == "added" and "confirm_closure" not in referral.old_marks
    assert referral.old_marks["Flow_to_close"] == "changed"


def test_removing_a_flow_and_its_ends(shipped):
    bundle = with_diagram(
        shipped, ((b'<bpmn:sequenceFlow id="Flow_police_check_skipped" name="Not requested" '
                   b'sourceRef="police_check_requested" targetRef="police_check_done" />'), b""))
    diff = diff_bundles(shipped, bundle)
    [removed] = [e for e in diff.elements if e.status == "removed"]
    assert (removed.element_id, removed.element_type, removed.name, removed.new_file) == (
        "Flow_police_check_skipped", "Sequence flow", "Not requested", None)
    [referral] = [f for f in diff.files if f.name == "referral.bpmn"]
    assert referral.old_marks == {"Flow_police_check_skipped": "removed"} and referral.new_marks == {}


def test_a_form_changed_field_by_field(shipped):
    form = json.loads(shipped.forms["screening"])
    form["properties"]["rag"]["title"] = "How urgent is it?"
    form["properties"]["worry_scale"] = {"type": "integer", "title": "Worry scale", "minimum": 0, "maximum": 10}
    form["required"].append("worry_scale")
    del form["properties"]["questions_for_agencies"]
    diff = diff_bundles(shipped, with_forms(shipped, screening=json.dumps(form)))
    [screening] = diff.forms
    assert (screening.key, screening.status) == ("screening", "changed")
    fields = {f.field: f for f in screening.fields}
    assert fields["rag"].status == "changed"
    assert [(c.what, c.old, c.new) for c in fields["rag"].changes] == [("title", "RAG rating", "How urgent is it?")]
    assert fields["worry_scale"].status == "added" and fields["questions_for_agencies"].status == "removed"
    assert diff.elements == []


def test_a_field_becoming_required_and_an_sla_policy(shipped):
    form = json.loads(shipped.forms["screening"])
    optional = "questions_for_agencies"
    assert optional not in form["required"]
    form["required"].append(optional)
    policies = replace(shipped.policies.encode(), b"duration = 4\n", b"duration = 2\n").decode()
    diff = diff_bundles(shipped, ProcessBundle(bpmn=shipped.bpmn,
                                               forms={**shipped.forms, "screening": json.dumps(form)},
                                               policies=policies, dmn=shipped.dmn))
    [screening] = diff.forms
    [field] = screening.fields
    assert (field.field, [(c.what, c.old, c.new) for c in field.changes]) == (optional, [("required", "no", "yes")])
    assert [(c.what, c.old, c.new) for c in diff.policies] == [("rag.red.duration", "4", "2")]


def test_moving_a_shape_is_layout_only(shipped):
    shape = re.search(rb'bpmnElement="police_check_done"[^>]*>\s*<dc:Bounds x="(\d+)" y="(\d+)"',
                      shipped.bpmn["referral.bpmn"])
    assert shape is not None
    x, y = int(shape.group(1)), int(shape.group(2))
    diff = diff_bundles(shipped, with_diagram(shipped, (b'<dc:Bounds x="%d" y="%d"' % (x, y),
                                                        b'<dc:Bounds x="%d" y="%d"' % (x + 10, y))))
    assert diff.empty and [e.element_id for e in diff.moved] == ["police_check_done"]
