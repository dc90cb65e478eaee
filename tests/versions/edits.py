"""Build later versions of the shipped process the way a process owner would: by editing the diagram text."""
from __future__ import annotations

import json
import re

from app.engine import ProcessBundle
from app.process_models import registry

REFERRAL = "referral.bpmn"

#: A new step before the contact closes: business support confirm the closure (a new form with it).
CLOSURE_FORM = json.dumps({
    "$schema": "https://json-schema.org/draft/2020-12/schema", "title": "Confirm the contact can close",
    "type": "object", "additionalProperties": False, "required": ["confirmed"],
    "properties": {"confirmed": {"title": "Is everything recorded?", "type": "string", "enum": ["yes"],
                                 "x-ui": {"widget": "radios", "labels": {"yes": "Yes"},
                                          "messages": {"required": "Confirm everything is recorded"}}}},
    "x-ui": {"order": ["confirmed"], "submit": "Confirm"}})
CLOSURE_TASK = (
    b'<bpmn:userTask id="confirm_closure" name="Confirm the contact can close" camunda:formKey="closure_check">\n'
    b'      <bpmn:documentation>Business support check everything is on the record before the contact closes.'
    b'</bpmn:documentation>\n'
    b'      <bpmn:incoming>Flow_to_close</bpmn:incoming>\n'
    b'      <bpmn:outgoing>Flow_closure_confirmed</bpmn:outgoing>\n'
    b'    </bpmn:userTask>\n'
    b'    <bpmn:sequenceFlow id="Flow_closure_confirmed" sourceRef="confirm_closure" targetRef="end_closed" />\n'
    b'    <bpmn:endEvent id="end_closed" ')


def replace(raw: bytes, old: bytes, new: bytes, count: int = 1) -> bytes:
    """Replace text that must be there exactly ``count`` times (a test edit that misses fails loudly)."""
    assert raw.count(old) == count, (old, raw.count(old))
    return raw.replace(old, new)


def with_diagram(bundle: ProcessBundle, *edits: tuple[bytes, bytes], file: str = REFERRAL) -> ProcessBundle:
    raw = bundle.bpmn[file]
    for old, new in edits:
        raw = replace(raw, old, new)
    return ProcessBundle(bpmn={**bundle.bpmn, file: raw}, forms=bundle.forms, policies=bundle.policies, dmn=bundle.dmn)


def with_forms(bundle: ProcessBundle, **forms: str) -> ProcessBundle:
    return ProcessBundle(bpmn=bundle.bpmn, forms={**bundle.forms, **forms}, policies=bundle.policies, dmn=bundle.dmn)


def timer_expression(timer_id: str, old: str, new: str) -> tuple[bytes, bytes]:
    definition = (f'<bpmn:timerEventDefinition id="{timer_id}_def">\n'
                  '        <bpmn:timeDate xsi:type="bpmn:tFormalExpression">')
    return (definition + old).encode(), (definition + new).encode()


def closure_step(bundle: ProcessBundle) -> ProcessBundle:
    """The shipped process with 'Confirm the contact can close' on the last flow into 'Contact closed', drawn
    where the end event was (the end event moves right)."""
    raw = bundle.bpmn[REFERRAL]
    raw = replace(raw, b'<bpmn:sequenceFlow id="Flow_to_close" name="Decided" sourceRef="closing_route" '
                       b'targetRef="end_closed" />',
                  b'<bpmn:sequenceFlow id="Flow_to_close" name="Decided" sourceRef="closing_route" '
                  b'targetRef="confirm_closure" />')
    raw = replace(raw, b'<bpmn:endEvent id="end_closed" ', CLOSURE_TASK)
    raw = replace(raw, b'<bpmn:incoming>Flow_to_close</bpmn:incoming>\n      <bpmn:terminateEventDefinition',
                  b'<bpmn:incoming>Flow_closure_confirmed</bpmn:incoming>\n      <bpmn:terminateEventDefinition')
    raw = replace(raw, b'<bpmn:flowNodeRef>feedback_to_referrer</bpmn:flowNodeRef>',
                  b'<bpmn:flowNodeRef>feedback_to_referrer</bpmn:flowNodeRef>\n'
                  b'        <bpmn:flowNodeRef>confirm_closure</bpmn:flowNodeRef>')  # business support's step
    end = re.search(rb'<bpmndi:BPMNShape id="end_closed_di" bpmnElement="end_closed">\s*'
                    rb'<dc:Bounds x="(\d+)" y="(\d+)" width="36" height="36" />', raw)
    assert end is not None
    x, y = int(end.group(1)), int(end.group(2))
    raw = raw.replace(end.group(0), end.group(0).replace(b'x="%d" y="%d"' % (x, y), b'x="%d" y="%d"' % (x + 150, y)))
    closure_di = (
        b'<bpmndi:BPMNShape id="confirm_closure_di" bpmnElement="confirm_closure">\n'
        b'        <dc:Bounds x="%d" y="%d" width="100" height="80" />\n'
        b'      </bpmndi:BPMNShape>\n'
        b'      <bpmndi:BPMNEdge id="Flow_closure_confirmed_di" bpmnElement="Flow_closure_confirmed">\n'
        b'        <di:waypoint x="%d" y="%d" />\n'
        b'        <di:waypoint x="%d" y="%d" />\n'
        b'      </bpmndi:BPMNEdge>\n'
        b'    </bpmndi:BPMNPlane>') % (x - 32, y - 22, x + 68, y + 18, x + 150, y + 18)
    raw = replace(raw, b'</bpmndi:BPMNPlane>', closure_di)
    return with_forms(ProcessBundle(bpmn={**bundle.bpmn, REFERRAL: raw}, forms=bundle.forms, policies=bundle.policies,
                                    dmn=bundle.dmn), closure_check=CLOSURE_FORM)


def latest_bundle(session) -> ProcessBundle:
    return registry.bundle_of(registry.latest_version(session))


def deploy(db, change, note: str = "test change") -> int:
    """Register ``change(latest bundle)`` as the next version of the referral process; returns its number."""
    with db.unit_of_work() as session:
        version = registry.register_bundle(session, change(latest_bundle(session)), created_by="process-owner",
                                           process_id="referral", note=note, source="web")
        return version.version
