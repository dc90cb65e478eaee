"""The referral date in the diagram: when the decision makes the contact a referral (a section 17 assessment or a
strategy discussion), a script records ``referral_date``; any other outcome leaves it None.

processes/referral.bpmn records it itself once the process owner has drawn it; until then the tests deploy the
shipped diagram with that one script added after the decision (the edits below, each found exactly once).
"""
from __future__ import annotations

import io

from app.core.config import PROJECT_ROOT

SCRIPT = 'referral_date = now() if outcome in ("s17-assessment", "strategy-discussion") else referral_date'
EDITS = [
    (b'<bpmn:sequenceFlow id="Flow_decision_to_outcome" sourceRef="decision" targetRef="outcome_check" />',
     (b'<bpmn:sequenceFlow id="Flow_decision_to_outcome" sourceRef="decision" targetRef="record_referral_date" />\n'
      b'    <bpmn:sequenceFlow id="Flow_referral_dated" sourceRef="record_referral_date" '
      b'targetRef="outcome_check" />')),
    (b'<bpmn:incoming>Flow_decision_to_outcome</bpmn:incoming>\n      <bpmn:outgoing>Flow_outcome_strategy',
     b'<bpmn:incoming>Flow_referral_dated</bpmn:incoming>\n      <bpmn:outgoing>Flow_outcome_strategy'),
    (b'    <bpmn:exclusiveGateway id="outcome_check" ',
     (b'    <bpmn:scriptTask id="record_referral_date" name="Record the referral date" scriptFormat="python">\n'
      b'      <bpmn:documentation>A section 17 assessment or a strategy discussion makes the contact a referral: '
      b'the referral date is now.</bpmn:documentation>\n'
      b'      <bpmn:incoming>Flow_decision_to_outcome</bpmn:incoming>\n'
      b'      <bpmn:outgoing>Flow_referral_dated</bpmn:outgoing>\n'
      b'      <bpmn:script>' + SCRIPT.replace('"', "&quot;").encode() + b'</bpmn:script>\n'
      b'    </bpmn:scriptTask>\n'
      b'    <bpmn:exclusiveGateway id="outcome_check" ')),
    (b'<bpmn:flowNodeRef>outcome_check</bpmn:flowNodeRef>',
     (b'<bpmn:flowNodeRef>outcome_check</bpmn:flowNodeRef>\n'
      b'        <bpmn:flowNodeRef>record_referral_date</bpmn:flowNodeRef>')),
    ((b'      <bpmndi:BPMNEdge id="Flow_decision_to_outcome_di" bpmnElement="Flow_decision_to_outcome">\n'
      b'        <di:waypoint x="3365" y="170" />\n'
      b'        <di:waypoint x="3455" y="170" />\n'
      b'      </bpmndi:BPMNEdge>'),
     (b'      <bpmndi:BPMNShape id="record_referral_date_di" bpmnElement="record_referral_date">\n'
      b'        <dc:Bounds x="3380" y="40" width="60" height="50" />\n'
      b'      </bpmndi:BPMNShape>\n'
      b'      <bpmndi:BPMNEdge id="Flow_decision_to_outcome_di" bpmnElement="Flow_decision_to_outcome">\n'
      b'        <di:waypoint x="3365" y="150" />\n'
      b'        <di:waypoint x="3410" y="90" />\n'
      b'      </bpmndi:BPMNEdge>\n'
      b'      <bpmndi:BPMNEdge id="Flow_referral_dated_di" bpmnElement="Flow_referral_dated">\n'
      b'        <di:waypoint x="3440" y="65" />\n'
      b'        <di:waypoint x="3480" y="145" />\n'
      b'      </bpmndi:BPMNEdge>')),
]


def referral_diagram() -> bytes | None:
    """The diagram to deploy so that decisions record the referral date; None when the shipped one does."""
    raw = (PROJECT_ROOT / "processes" / "referral.bpmn").read_bytes()
    if b"referral_date" in raw:
        return None
    for old, new in EDITS:
        assert raw.count(old) == 1, old
        raw = raw.replace(old, new)
    return raw


def deploy_referral_dates(api) -> None:
    raw = referral_diagram()
    if raw is None:
        return
    owner = api("process-owner")
    response = owner.client.post("/api/v1/process-models", headers=owner._headers(),
                                 data={"files": (io.BytesIO(raw), "referral.bpmn"), "note": "Record the referral date"},
                                 content_type="multipart/form-data")
    assert response.status_code == 201, [e["message"] for e in response.get_json()["errors"]]
