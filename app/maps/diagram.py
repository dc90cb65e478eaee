"""A process read from its BPMN file the way a trainer reads the drawing: steps, lanes and arrows.

The engine's specs hold what runs; a map also needs what is only drawn (lanes, arrow labels, the
documentation of gateways and events, which timer sits on which task). Read once per stored version.
"""
from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.core.decision_tables import decision_ref
from app.core.diagram_xml import parse_xml_or_none
from app.core.roles import role_for_lane
from app.engine.definitions import BPMN_NS, CAMUNDA_NS

if TYPE_CHECKING:
    from lxml import etree

_B = f"{{{BPMN_NS}}}"

#: Flow nodes a map shows, by BPMN tag, with what a trainer would call them.
KIND_LABELS = {
    "userTask": "Task for a person",
    "manualTask": "Task for a person",
    "task": "Task",
    "scriptTask": "Automatic step",
    "serviceTask": "Automatic step",
    "businessRuleTask": "Decision table (automatic)",
    "sendTask": "Message sent",
    "receiveTask": "Waits for a message",
    "callActivity": "Sub-process (drawn on its own map)",
    "subProcess": "Sub-process",
    "startEvent": "Start",
    "endEvent": "End",
    "intermediateCatchEvent": "Waits",
    "intermediateThrowEvent": "Event",
    "boundaryEvent": "Event on a task",
    "exclusiveGateway": "Decision point: one way on",
    "inclusiveGateway": "Decision point: one or more ways on",
    "parallelGateway": "All branches at once (split or join)",
    "eventBasedGateway": "Waits for the first of several events",
    "complexGateway": "Decision point",
}


@dataclass(frozen=True)
class Flow:
    """One arrow: its label (often the answer that leads along it) and its condition."""

    id: str
    name: str | None
    source: str
    target: str
    condition: str | None
    default: bool


@dataclass(frozen=True)
class Step:
    """One flow node of the diagram as drawn."""

    id: str
    name: str
    kind: str
    lane: str | None
    documentation: str | None
    form_key: str | None = None
    called_process: str | None = None
    #: A business rule task's decision (camunda:decisionRef): the table is shown with the step.
    decision_ref: str | None = None
    attached_to: str | None = None
    interrupting: bool = True
    timer_expression: str | None = None
    terminates: bool = False
    incoming: tuple[str, ...] = ()
    outgoing: tuple[str, ...] = ()

    @property
    def kind_label(self) -> str:
        if self.timer_expression is not None:
            return "Deadline on a task" if self.attached_to else "Waits until a time"
        if self.kind == "endEvent" and self.terminates:
            return "End (stops everything else in the process)"
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def is_activity(self) -> bool:
        return self.kind.endswith("Task") or self.kind in ("task", "callActivity", "subProcess")

    @property
    def lane_role(self) -> str | None:
        return role_for_lane(self.lane)


@dataclass
class ProcessDiagram:
    """The steps of one executable process in flow order, with its arrows and lanes."""

    process_id: str
    name: str
    file: str
    steps: dict[str, Step] = field(default_factory=dict)
    flows: dict[str, Flow] = field(default_factory=dict)
    #: A lane with neither name nor id (the schema allows it) is listed as None, as its steps have no lane.
    lanes: list[str | None] = field(default_factory=list)

    def timers_on(self, step_id: str) -> list[Step]:
        return [s for s in self.steps.values() if s.attached_to == step_id]

    def flows_between(self, source: str, target: str) -> list[Flow]:
        return [f for f in self.flows.values() if f.source == source and f.target == target]

    def by_lane(self) -> list[tuple[str | None, list[Step]]]:
        """Steps grouped by lane, lanes in drawing order, steps in flow order within each."""
        groups: dict[str | None, list[Step]] = {lane: [] for lane in self.lanes}
        for step in self.steps.values():
            groups.setdefault(step.lane, []).append(step)
        return [(lane, steps) for lane, steps in groups.items() if steps]


_cache: dict[tuple[str, str], ProcessDiagram | None] = {}
_lock = threading.Lock()


def read_process(content_hash: str, file: str, raw: bytes, process_id: str) -> ProcessDiagram | None:
    """The drawn process, or None if the file does not hold it. Cached: stored versions never change."""
    key = (content_hash, process_id)
    with _lock:
        if key in _cache:
            return _cache[key]
    diagram = _read(file, raw, process_id)
    with _lock:
        _cache[key] = diagram
    return diagram


def _text(node) -> str | None:
    if node is None:
        return None
    text = " ".join((node.text or "").split())
    return text or None


def _read(file: str, raw: bytes, process_id: str) -> ProcessDiagram | None:
    tree = parse_xml_or_none(raw)
    process = None if tree is None else next(
        (p for p in tree.iter(f"{_B}process") if p.get("id") == process_id), None)
    if process is None:
        return None
    lane_of: dict[str, str | None] = {}
    lanes: list[str | None] = []
    for lane in process.iter(f"{_B}lane"):
        name = lane.get("name") or lane.get("id")
        if name not in lanes:
            lanes.append(name)
        for ref in lane.iter(f"{_B}flowNodeRef"):
            lane_of.setdefault((ref.text or "").strip(), name)

    flows: dict[str, Flow] = {}
    defaults = {node.get("default") for node in process.iter() if isinstance(node.tag, str) and node.get("default")}
    for node in process.iter(f"{_B}sequenceFlow"):
        flow_id = node.get("id", "")
        flows[flow_id] = Flow(id=flow_id, name=node.get("name") or None, source=node.get("sourceRef", ""),
                              target=node.get("targetRef", ""), condition=_text(node.find(f"{_B}conditionExpression")),
                              default=node.get("id") in defaults)

    drawn: dict[str, Step] = {}
    for node in process.iter():
        if not isinstance(node.tag, str) or not node.tag.startswith(_B):
            continue
        kind = node.tag[len(_B):]
        element_id = node.get("id")
        if kind not in KIND_LABELS or not element_id:
            continue
        timer = node.find(f"{_B}timerEventDefinition")
        expression = None
        if timer is not None:
            expression = next((_text(child) for child in timer if isinstance(child.tag, str)), None) or ""
        drawn[element_id] = Step(
            id=element_id, name=" ".join((node.get("name") or element_id).split()), kind=kind,
            lane=lane_of.get(element_id) or _enclosing_lane(node, lane_of),
            documentation=_text(node.find(f"{_B}documentation")),
            form_key=node.get(f"{{{CAMUNDA_NS}}}formKey"),
            called_process=node.get("calledElement") if kind == "callActivity" else None,
            decision_ref=decision_ref(node) if kind == "businessRuleTask" else None,
            attached_to=node.get("attachedToRef"),
            interrupting=node.get("cancelActivity", "true") != "false",
            timer_expression=expression,
            terminates=node.find(f"{_B}terminateEventDefinition") is not None,
            incoming=tuple(f.id for f in flows.values() if f.target == element_id),
            outgoing=tuple(f.id for f in flows.values() if f.source == element_id),
        )
    diagram = ProcessDiagram(process_id=process_id, name=" ".join((process.get("name") or process_id).split()),
                             file=file, flows=flows, lanes=lanes)
    diagram.steps = {step_id: drawn[step_id] for step_id in _flow_order(drawn, flows)}
    return diagram


def _enclosing_lane(node: etree._Element, lane_of: dict[str, str | None]) -> str | None:
    """Steps inside an embedded sub-process sit in the lane of the sub-process."""
    parent = node.getparent()
    while parent is not None:
        if (parent_id := parent.get("id")) is not None and parent_id in lane_of:
            return lane_of[parent_id]
        parent = parent.getparent()
    return None


def _flow_order(steps: dict[str, Step], flows: dict[str, Flow]) -> list[str]:
    """Breadth first from the start events along the arrows; a task's timers right after the task;
    anything unreachable last, in file order."""
    order: list[str] = []
    seen: set[str] = set()
    queue = deque(s.id for s in steps.values() if s.kind == "startEvent" and not s.incoming)

    def visit(step_id: str) -> None:
        if step_id in seen or step_id not in steps:
            return
        seen.add(step_id)
        order.append(step_id)
        queue.extend(flows[f].target for f in steps[step_id].outgoing)
        for timer in (s.id for s in steps.values() if s.attached_to == step_id):
            visit(timer)

    while queue:
        visit(queue.popleft())
    order.extend(step_id for step_id in steps if step_id not in seen)
    return order
