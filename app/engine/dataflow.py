"""Which case data can exist when an element runs: set by the contact or by a step that can come before it.

A gateway reading ``outcome`` before the decision form is reached reads nothing: such a name is worth a
warning at deploy even though the decision form sets it later. This follows the diagrams' arrows (sequence
flows, boundary events, embedded and called processes) to a fixed point, so loops and call activities are
followed. Where the structure says nothing (an event sub-process may start at any moment, an expression
outside any element) every name the bundle sets counts.
"""
from __future__ import annotations

from collections.abc import Mapping, Set

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_CONTAINERS = frozenset({"subProcess", "transaction", "adHocSubProcess"})
#: Children of a process that are not steps a token passes through.
_NOT_STEPS = frozenset({"sequenceFlow", "laneSet", "documentation", "extensionElements", "ioSpecification",
                        "property", "dataObject", "dataObjectReference", "dataStoreReference", "textAnnotation",
                        "association", "group", "category", "multiInstanceLoopCharacteristics",
                        "standardLoopCharacteristics", "incoming", "outgoing"})


class DataFlow:
    """``before(element_id)``: the names some path can have set when the element starts;
    ``after(element_id)``: those plus what the element itself sets (and everything inside it)."""

    def __init__(self, trees: Mapping[str, etree._Element], sets: Mapping[str, Set[str]], at_start: Set[str],
                 everything: Set[str]) -> None:
        self._sets = sets
        self._everything = frozenset(everything)
        self._after_preds: dict[str, set[str]] = {}
        self._before_preds: dict[str, set[str]] = {}
        self._initial: dict[str, set[str]] = {}
        self._inside: dict[str, set[str]] = {}  # process / sub-process id -> its steps, nested ones included
        self._starts: dict[str, list[str]] = {}  # process / sub-process id -> its start events
        self._calls: dict[str, str] = {}  # call activity id -> called process id
        for tree in trees.values():
            for process in tree.iter(f"{{{BPMN_NS}}}process"):
                if process.get("id"):
                    self._read(process, str(process.get("id")))
        callers: dict[str, set[str]] = {}
        for call, called in self._calls.items():
            callers.setdefault(called, set()).add(call)
        for tree in trees.values():
            for process in tree.iter(f"{{{BPMN_NS}}}process"):
                pid = str(process.get("id"))
                for start in self._starts.get(pid, []):
                    if pid in callers:
                        self._before_preds.setdefault(start, set()).update(callers[pid])
                    else:
                        self._initial.setdefault(start, set()).update(at_start)
        self._before: dict[str, frozenset[str]] = {}
        self._deep: dict[str, frozenset[str]] = {}
        self._solve()

    def _read(self, container: etree._Element, container_id: str) -> set[str]:
        steps: set[str] = set()
        attached: dict[str, str] = {}
        for el in container:
            if not isinstance(el.tag, str) or not el.get("id"):
                continue
            kind = etree.QName(el).localname
            if kind == "sequenceFlow":
                if el.get("sourceRef") and el.get("targetRef"):
                    self._after_preds.setdefault(str(el.get("targetRef")), set()).add(str(el.get("sourceRef")))
                continue
            if kind in _NOT_STEPS:
                continue
            step = str(el.get("id"))
            steps.add(step)
            self._after_preds.setdefault(step, set())
            if kind == "startEvent":
                self._starts.setdefault(container_id, []).append(step)
            if kind == "boundaryEvent" and el.get("attachedToRef"):
                attached[step] = str(el.get("attachedToRef"))
            if kind == "callActivity" and el.get("calledElement"):
                self._calls[step] = str(el.get("calledElement"))
            if kind in _CONTAINERS:
                steps |= self._read(el, step)
                for start in self._starts.get(step, []):
                    if el.get("triggeredByEvent") == "true":
                        self._initial.setdefault(start, set()).update(self._everything)
                    else:
                        self._before_preds.setdefault(start, set()).add(step)
        for boundary, host in attached.items():
            self._before_preds.setdefault(boundary, set()).add(host)
        self._inside.setdefault(container_id, set()).update(steps)
        return steps

    def _deep_sets(self, step: str, seen: frozenset[str] = frozenset()) -> frozenset[str]:
        """What a step sets: its own names, plus everything set inside an embedded or called process."""
        if step in self._deep:
            return self._deep[step]
        names = set(self._sets.get(step, ()))
        for inner in self._inside.get(self._calls.get(step, step), set()) - seen - {step}:
            names |= self._deep_sets(inner, seen | {step})
        if not seen:
            self._deep[step] = frozenset(names)
        return frozenset(names)

    def _solve(self) -> None:
        steps = set(self._after_preds) | set(self._before_preds)
        changed = True
        while changed:  # each pass only adds names, so this stops
            changed = False
            for step in steps:
                found = set(self._initial.get(step, ()))
                for pred in self._after_preds.get(step, ()):
                    found |= self.after(pred)
                for pred in self._before_preds.get(step, ()):
                    found |= self._before.get(pred, frozenset())
                if not found <= self._before.get(step, frozenset()):
                    self._before[step] = self._before.get(step, frozenset()) | found
                    changed = True

    def before(self, step: str | None) -> set[str]:
        if step is None or (step not in self._after_preds and step not in self._before_preds):
            return set(self._everything)
        return set(self._before.get(step, frozenset()))

    def after(self, step: str) -> set[str]:
        return set(self._before.get(step, frozenset()) | self._deep_sets(step))
