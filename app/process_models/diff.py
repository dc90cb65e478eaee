"""What changed between two versions of a process, in the terms the hub runs on.

Editors' diff plugins compare shapes and names. A process owner also needs what the app reads from a
diagram: who does a step (its lane), the form it shows, timer expressions and deadline kinds, gateway
conditions and default flows, where each flow goes, scripts, the process a call activity calls, the
guidance text, and outside the diagrams the forms, the SLA policies and the decision tables (rule by rule,
table_diff.py). Elements are matched by
process id and element id (ids are what running cases hold on to); a change of layout alone is listed
apart, because it changes nothing a case does.

Pure lxml and the stored bundles: no engine, so a diff never depends on a version compiling today.
"""
from __future__ import annotations

import json
import textwrap
import tomllib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lxml import etree

from app.core.diagram_xml import parse_xml_or_none
from app.process_models.table_diff import TableDiff, diff_tables

if TYPE_CHECKING:  # the stored files only: no engine
    from app.engine import ProcessBundle

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
STATUS_ORDER = {ADDED: 0, REMOVED: 1, CHANGED: 2}

#: Element kinds in the hub's words (BPMN local names).
TYPE_LABELS = {
    "process": "Process", "participant": "Pool", "lane": "Lane", "messageFlow": "Message flow",
    "userTask": "User task", "scriptTask": "Script task", "serviceTask": "Service task", "task": "Task",
    "manualTask": "Manual task", "businessRuleTask": "Business rule task", "sendTask": "Send task",
    "receiveTask": "Receive task", "callActivity": "Call activity", "subProcess": "Sub-process",
    "transaction": "Transaction", "startEvent": "Start event", "endEvent": "End event",
    "boundaryEvent": "Boundary event", "intermediateCatchEvent": "Intermediate event (catching)",
    "intermediateThrowEvent": "Intermediate event (throwing)", "exclusiveGateway": "Exclusive gateway",
    "parallelGateway": "Parallel gateway", "inclusiveGateway": "Inclusive gateway",
    "eventBasedGateway": "Event-based gateway", "complexGateway": "Complex gateway",
    "sequenceFlow": "Sequence flow", "textAnnotation": "Text annotation", "association": "Association",
    "dataObject": "Data object", "dataObjectReference": "Data object reference",
    "dataStoreReference": "Data store reference", "group": "Group",
}

#: Attributes read and shown under their own label, in this order on the page.
ORDER = ("Name", "Type", "Lane (who does it)", "Form key", "Timer", "Deadline kind", "Condition", "Default flow",
         "From", "To", "Attached to", "Interrupting", "Called process", "Script", "Multi-instance", "Documentation",
         "Executable")

#: Attribute values editors leave out when they are the BPMN default (bpmn-js does): missing means this.
DEFAULTS = {
    "completionQuantity": "1", "startQuantity": "1", "isForCompensation": "false", "cancelActivity": "true",
    "isInterrupting": "true", "gatewayDirection": "Unspecified", "parallelMultiple": "false",
    "instantiate": "false", "eventGatewayType": "Exclusive", "triggeredByEvent": "false", "isClosed": "false",
    "isImmediate": "true", "implementation": "##unspecified", "isExecutable": "false",
    "associationDirection": "None", "isCollection": "false",
}

#: Attributes shown under a label above, or only references the other attributes already cover.
_HANDLED = {"id", "name", "default", "sourceRef", "targetRef", "attachedToRef", "cancelActivity", "calledElement",
            "processRef", f"{{{CAMUNDA}}}formKey", "isExecutable"}
#: Children that are references or layout, not meaning (incoming/outgoing repeat the flows' own ends).
_SKIPPED_CHILDREN = {"incoming", "outgoing", "flowNodeRef", "documentation", "extensionElements",
                     "conditionExpression", "script", "laneSet", "childLaneSet", "multiInstanceLoopCharacteristics",
                     "standardLoopCharacteristics"}
#: Labels whose value is another element's id: compared by id, shown with that element's name.
_REFERENCES = ("Default flow", "From", "To", "Attached to")
_CONTAINERS = {"process", "subProcess", "transaction", "adHocSubProcess"}
_NOT_ELEMENTS = {"laneSet", "childLaneSet", "extensionElements", "documentation", "incoming", "outgoing",
                 "ioSpecification", "property", "dataInputAssociation", "dataOutputAssociation"}


@dataclass(frozen=True)
class Change:
    """One attribute that differs: its label, the value before and after (None: not set)."""

    what: str
    old: str | None
    new: str | None

    def as_dict(self) -> dict:
        return {"what": self.what, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class ElementDiff:
    """An element added, removed or changed in one process of the diagrams."""

    status: str
    process_id: str
    element_id: str
    element_type: str
    name: str
    old_file: str | None
    new_file: str | None
    changes: tuple[Change, ...] = ()

    def as_dict(self) -> dict:
        return {"status": self.status, "process_id": self.process_id, "element_id": self.element_id,
                "element_type": self.element_type, "name": self.name, "old_file": self.old_file,
                "new_file": self.new_file, "changes": [c.as_dict() for c in self.changes]}


@dataclass(frozen=True)
class FieldDiff:
    status: str
    field: str
    title: str
    changes: tuple[Change, ...] = ()

    def as_dict(self) -> dict:
        return {"status": self.status, "field": self.field, "title": self.title,
                "changes": [c.as_dict() for c in self.changes]}


@dataclass(frozen=True)
class FormDiff:
    """A form (``forms/<key>.json``) added, removed or changed: its own settings and field by field."""

    status: str
    key: str
    title: str
    changes: tuple[Change, ...] = ()
    fields: tuple[FieldDiff, ...] = ()

    def as_dict(self) -> dict:
        return {"status": self.status, "key": self.key, "title": self.title,
                "changes": [c.as_dict() for c in self.changes], "fields": [f.as_dict() for f in self.fields]}


@dataclass(frozen=True)
class DiagramFile:
    """One diagram file as the visual diff draws it: which elements to mark on each side."""

    name: str
    in_old: bool
    in_new: bool
    old_marks: dict[str, str] = field(default_factory=dict)
    new_marks: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class VersionDiff:
    elements: list[ElementDiff]
    forms: list[FormDiff]
    policies: list[Change]
    moved: list[ElementDiff]
    files: list[DiagramFile]
    tables: list[TableDiff] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counts = {ADDED: 0, REMOVED: 0, CHANGED: 0}
        for element in self.elements:
            counts[element.status] += 1
        return counts

    @property
    def empty(self) -> bool:
        return not (self.elements or self.forms or self.policies or self.tables)

    def element_statuses(self) -> dict[tuple[str, str], str]:
        return {(e.process_id, e.element_id): e.status for e in self.elements}

    def as_dict(self) -> dict:
        return {"counts": {**self.counts, "forms": len(self.forms), "policies": len(self.policies),
                           "moved": len(self.moved), "tables": len(self.tables)},
                "tables": [t.as_dict() for t in self.tables],
                "elements": [e.as_dict() for e in self.elements], "forms": [f.as_dict() for f in self.forms],
                "policies": [p.as_dict() for p in self.policies],
                "moved": [{"process_id": e.process_id, "element_id": e.element_id, "name": e.name} for e in self.moved]}


def diff_bundles(old: ProcessBundle, new: ProcessBundle) -> VersionDiff:
    """Everything that differs between two stored bundles."""
    old_elements, old_layout = _read_diagrams(old)
    new_elements, new_layout = _read_diagrams(new)
    elements: list[ElementDiff] = []
    moved: list[ElementDiff] = []
    for key in _ordered_keys(old_elements, new_elements):
        before, after = old_elements.get(key), new_elements.get(key)
        if before is None and after is not None:
            elements.append(_element(ADDED, after, None, after))
        elif after is None and before is not None:
            elements.append(_element(REMOVED, before, before, None))
        elif before is not None and after is not None:
            changes = _changes(before, after)
            if changes:
                elements.append(_element(CHANGED, after, before, after, changes))
            elif old_layout.get(key) != new_layout.get(key):
                moved.append(_element(CHANGED, after, before, after))
    return VersionDiff(elements=elements, forms=diff_forms(old.forms, new.forms),
                       policies=diff_policies(old.policies, new.policies), moved=moved,
                       files=_files(old, new, elements), tables=diff_tables(old.dmn, new.dmn))


# ----------------------------------------------------------------------------- diagrams
@dataclass
class _Element:
    file: str
    process_id: str
    element_id: str
    tag: str
    attributes: dict[str, str]
    position: int
    #: Element names in the same diagram, to show references by name.
    names: dict[str, str | None] = field(default_factory=dict)

    def shown(self, label: str) -> str | None:
        value = self.attributes.get(label)
        if label in _REFERENCES and value:
            name = self.names.get(value)
            return f"{name} ({value})" if name else value
        return value

    @property
    def name(self) -> str:
        return self.attributes.get("Name") or self.element_id


def _element(status: str, shown: _Element, before: _Element | None, after: _Element | None,
             changes: tuple[Change, ...] = ()) -> ElementDiff:
    return ElementDiff(status=status, process_id=shown.process_id, element_id=shown.element_id,
                       element_type=shown.attributes.get("Type", shown.tag), name=shown.name,
                       old_file=before.file if before else None, new_file=after.file if after else None,
                       changes=changes)


def _ordered_keys(old: dict, new: dict) -> list:
    """New elements in the new file's order, removed ones where they stood in the old."""
    keys = sorted(new, key=lambda k: (new[k].file, new[k].position))
    for key in sorted(old, key=lambda k: (old[k].file, old[k].position)):
        if key not in new:
            keys.append(key)
    return keys


def _read_diagrams(bundle: ProcessBundle) -> tuple[dict[tuple[str, str], _Element], dict[tuple[str, str], tuple]]:
    elements: dict[tuple[str, str], _Element] = {}
    layout: dict[tuple[str, str], tuple] = {}
    for file in sorted(bundle.bpmn):
        tree = parse_xml_or_none(bundle.bpmn[file])
        if tree is None:
            continue
        owner: dict[str, str] = {}  # element id -> process id (or the collaboration id for pools and message flows)
        for container in tree:
            if not isinstance(container.tag, str):
                continue
            local = etree.QName(container).localname
            if local == "process":
                _read_process(file, container, elements, owner)
            elif local == "collaboration":
                for child in container:
                    if isinstance(child.tag, str) and (child_id := child.get("id")):
                        key = (container.get("id") or "collaboration", child_id)
                        elements[key] = _Element(file, key[0], key[1], etree.QName(child).localname,
                                                 _attributes(child, {}), len(elements))
                        owner[child_id] = key[0]
        for shape in tree.iter(f"{{{BPMNDI}}}BPMNShape", f"{{{BPMNDI}}}BPMNEdge"):
            ref = shape.get("bpmnElement")
            if ref is not None and ref in owner:
                layout[(owner[ref], ref)] = _geometry(shape)
    return elements, layout


def _read_process(file: str, process, elements: dict, owner: dict) -> None:
    pid = process.get("id")
    lanes = {}
    for lane in process.iter(f"{{{BPMN}}}lane"):
        for ref in lane.findall(f"{{{BPMN}}}flowNodeRef"):
            # The innermost lane wins (iter is depth-first).
            lanes[(ref.text or "").strip()] = lane.get("name") or lane.get("id")
    names = {el.get("id"): el.get("name") for el in process.iter() if isinstance(el.tag, str) and el.get("id")}
    for element in [process, *process.iter(f"{{{BPMN}}}lane"), *_flow_elements(process)]:
        element_id = element.get("id")
        elements[(pid, element_id)] = _Element(file, pid, element_id, etree.QName(element).localname,
                                               _attributes(element, lanes), len(elements), names)
        owner[element_id] = pid


def _flow_elements(container):
    for child in container:
        if not isinstance(child.tag, str) or etree.QName(child).namespace != BPMN or not child.get("id"):
            continue
        local = etree.QName(child).localname
        if local in _NOT_ELEMENTS:
            continue
        yield child
        if local in _CONTAINERS:
            yield from _flow_elements(child)


def _geometry(shape) -> tuple:
    bounds = shape.find(f"{{{DC}}}Bounds")
    points = tuple((p.get("x"), p.get("y")) for p in shape.findall(f"{{{DI}}}waypoint"))
    return (tuple(bounds.get(k) for k in ("x", "y", "width", "height")) if bounds is not None else None, points)


def _text(node) -> str:
    return " ".join("".join(node.itertext()).split()) if node is not None else ""


def _script_text(node) -> str:
    return textwrap.dedent("".join(node.itertext())).strip() if node is not None else ""


def _attributes(element, lanes: dict[str, str]) -> dict[str, str]:
    """What the app and the hub read from one element, by label; defaults left out."""
    local = etree.QName(element).localname
    values: dict[str, str] = {}
    kinds = [etree.QName(child).localname.removesuffix("EventDefinition")
             for child in element if isinstance(child.tag, str) and child.tag.endswith("EventDefinition")]
    values["Type"] = TYPE_LABELS.get(local, local) + (f" ({', '.join(kinds)})" if kinds else "")
    _put(values, "Name", " ".join((element.get("name") or "").split()))
    _put(values, "Lane (who does it)", lanes.get(element.get("id")))
    _put(values, "Form key", element.get(f"{{{CAMUNDA}}}formKey"))
    for timer in element.findall(f"{{{BPMN}}}timerEventDefinition"):
        for node in timer:
            if isinstance(node.tag, str):
                _put(values, "Timer", f"{etree.QName(node).localname}: {_text(node)}")
    _put(values, "Condition", _text(element.find(f"{{{BPMN}}}conditionExpression")))
    _put(values, "Default flow", element.get("default"))
    if local in ("sequenceFlow", "messageFlow", "association"):
        _put(values, "From", element.get("sourceRef"))
        _put(values, "To", element.get("targetRef"))
    _put(values, "Attached to", element.get("attachedToRef"))
    if local == "boundaryEvent":
        values["Interrupting"] = "no" if element.get("cancelActivity") == "false" else "yes"
    _put(values, "Called process", element.get("calledElement"))
    _put(values, "Script", _script_text(element.find(f"{{{BPMN}}}script")))
    _put(values, "Multi-instance", _loop(element))
    _put(values, "Documentation", "\n".join(_text(d) for d in element.findall(f"{{{BPMN}}}documentation")))
    if local == "process":
        values["Executable"] = "yes" if element.get("isExecutable") == "true" else "no"
    if local == "participant":
        _put(values, "Process", element.get("processRef"))
    if local == "textAnnotation":
        _put(values, "Text", _text(element.find(f"{{{BPMN}}}text")))
    for prop in element.iter(f"{{{CAMUNDA}}}property"):
        label = "Deadline kind" if prop.get("name") == "deadlineKind" else f"Property {prop.get('name')}"
        _put(values, label, prop.get("value"))
    for extension in element.findall(f"{{{BPMN}}}extensionElements/*"):
        if isinstance(extension.tag, str) and extension.tag != f"{{{CAMUNDA}}}properties":
            _put(values, f"Extension {etree.QName(extension).localname}", _canonical(extension))
    for name, value in sorted(element.attrib.items()):
        if name in _HANDLED or name.startswith(f"{{{XSI}}}") or DEFAULTS.get(etree.QName(name).localname) == value:
            continue
        qname = etree.QName(name)
        _put(values, f"{'camunda:' if qname.namespace == CAMUNDA else ''}{qname.localname}", value)
    for child in element:
        if not isinstance(child.tag, str) or etree.QName(child).localname in _SKIPPED_CHILDREN:
            continue
        if child.tag.endswith("EventDefinition") and child.tag != f"{{{BPMN}}}timerEventDefinition":
            _put(values, f"Event {etree.QName(child).localname.removesuffix('EventDefinition')}",
                 _canonical(child, drop_ids=True))
    return values


def _put(values: dict[str, str], label: str, value: str | None) -> None:
    if value:
        values[label] = value


def _loop(element) -> str | None:
    loop = element.find(f"{{{BPMN}}}multiInstanceLoopCharacteristics")
    if loop is None:
        return "standard loop" if element.find(f"{{{BPMN}}}standardLoopCharacteristics") is not None else None
    parts = ["sequential" if loop.get("isSequential") == "true" else "parallel"]
    for name, value in sorted(loop.attrib.items()):
        if name != "isSequential":
            parts.append(f"{etree.QName(name).localname}={value}")
    parts.extend(f"{etree.QName(child).localname}={_text(child) or child.get('name') or child.get('id')}"
                 for child in loop if isinstance(child.tag, str))
    return "; ".join(parts)


def _canonical(element, drop_ids: bool = False) -> str:
    """An extension element as compact text: attributes and text, sorted, so re-saving compares equal."""
    def walk(node) -> str:
        attrs = " ".join(f"{etree.QName(k).localname}={v}" for k, v in sorted(node.attrib.items())
                         if not (drop_ids and k == "id") and not k.startswith(f"{{{XSI}}}"))
        inner = " ".join(walk(c) for c in node if isinstance(c.tag, str))
        text = " ".join((node.text or "").split())
        return f"{etree.QName(node).localname}({' '.join(p for p in (attrs, text, inner) if p)})"
    return walk(element)


def _changes(before: _Element, after: _Element) -> tuple[Change, ...]:
    old, new = before.attributes, after.attributes
    labels = [label for label in ORDER if label in old or label in new]
    labels += sorted((set(old) | set(new)) - set(ORDER))
    return tuple(Change(label, before.shown(label), after.shown(label)) for label in labels
                 if old.get(label) != new.get(label))


def _files(old: ProcessBundle, new: ProcessBundle, elements: list[ElementDiff]) -> list[DiagramFile]:
    files = []
    for name in sorted(set(old.bpmn) | set(new.bpmn)):
        old_marks = {e.element_id: e.status for e in elements if e.old_file == name and e.status != ADDED}
        new_marks = {e.element_id: e.status for e in elements if e.new_file == name and e.status != REMOVED}
        files.append(DiagramFile(name=name, in_old=name in old.bpmn, in_new=name in new.bpmn,
                                 old_marks=old_marks, new_marks=new_marks))
    return files


# ----------------------------------------------------------------------------- forms
_FORM_LABELS = {"title": "Title", "description": "Description",
                "allOf": "Conditional rules", "x-ui": "Layout", "additionalProperties": "Other answers allowed"}


def diff_forms(old: dict[str, str], new: dict[str, str]) -> list[FormDiff]:
    result = []
    for key in sorted(set(old) | set(new)):
        before, after = _load_form(old.get(key)), _load_form(new.get(key))
        if key not in old:
            result.append(FormDiff(ADDED, key, after.get("title") or key))
        elif key not in new:
            result.append(FormDiff(REMOVED, key, before.get("title") or key))
        elif before != after:
            # Fields and which are required are shown field by field.
            changes = tuple(Change(_FORM_LABELS.get(k, k), _show(before.get(k)), _show(after.get(k)))
                            for k in sorted(set(before) | set(after))
                            if k not in ("properties", "required") and before.get(k) != after.get(k))
            result.append(FormDiff(CHANGED, key, after.get("title") or key, changes, _field_diffs(before, after)))
    return result


def _load_form(text: str | None) -> dict:
    if text is None:
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return {"(unreadable)": text}
    return data if isinstance(data, dict) else {"(form)": data}


def _field_diffs(before: dict, after: dict) -> tuple[FieldDiff, ...]:
    old_fields, new_fields = before.get("properties") or {}, after.get("properties") or {}
    old_required, new_required = set(before.get("required") or []), set(after.get("required") or [])
    result = []
    for name in list(new_fields) + [n for n in old_fields if n not in new_fields]:
        old_field, new_field = old_fields.get(name), new_fields.get(name)
        either = new_field or old_field
        title = ((either or {}).get("title") or name) if isinstance(either, dict) else name
        if old_field is None:
            result.append(FieldDiff(ADDED, name, title))
        elif new_field is None:
            result.append(FieldDiff(REMOVED, name, title))
        else:
            old_field = old_field if isinstance(old_field, dict) else {"schema": old_field}
            new_field = new_field if isinstance(new_field, dict) else {"schema": new_field}
            changes = [Change(k, _show(old_field.get(k)), _show(new_field.get(k)))
                       for k in sorted(set(old_field) | set(new_field)) if old_field.get(k) != new_field.get(k)]
            if (name in old_required) != (name in new_required):
                changes.append(Change("required", "yes" if name in old_required else "no",
                                      "yes" if name in new_required else "no"))
            if changes:
                result.append(FieldDiff(CHANGED, name, title, tuple(changes)))
    return tuple(result)


def _show(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


# ----------------------------------------------------------------------------- SLA policies
def diff_policies(old: str | None, new: str | None) -> list[Change]:
    """Each setting of sla-policies.toml that differs, by its dotted name (``rag.red.duration``)."""
    before, after = _flat_policies(old), _flat_policies(new)
    return [Change(key, before.get(key), after.get(key)) for key in sorted(set(before) | set(after))
            if before.get(key) != after.get(key)]


def _flat_policies(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {"(policies file)": text}
    flat: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else key, inner)
        elif isinstance(value, (int, float, bool)):
            flat[prefix] = json.dumps(value)
        else:  # TOML has no null: text, a date or a list
            flat[prefix] = _show(value) or ""

    walk("", data)
    return flat
