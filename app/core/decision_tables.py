"""Reading a decision table (DMN) file as the process owner wrote it: its decision, hit policy, columns and rules,
each rule numbered as the table shows it (1 is the first row) and with its line.

Plain lxml, whatever the DMN version: the engine checks a table before it runs it (app/engine/decisions.py);
the version diff, the process maps and the training pages read stored tables with this, so that showing a
table never depends on it compiling today.
"""
from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from app.core.diagram_xml import parse_xml_or_none


@dataclass(frozen=True)
class TableInput:
    id: str
    label: str
    expression: str
    line: int | None
    type_ref: str = ""


@dataclass(frozen=True)
class TableOutput:
    id: str
    label: str
    name: str
    line: int | None

    @property
    def key(self) -> str:
        """The case data name the engine writes (its ``name``, else its label, as SpiffWorkflow does)."""
        return self.name or self.label


@dataclass(frozen=True)
class TableRule:
    number: int
    id: str
    #: None where the entry is empty or '-' (any value).
    inputs: tuple[str | None, ...]
    outputs: tuple[str, ...]
    description: str
    line: int | None
    input_lines: tuple[int | None, ...] = ()
    output_lines: tuple[int | None, ...] = ()


@dataclass(frozen=True)
class DecisionTable:
    """One decision and its table, as the file holds it."""

    file: str
    decision_id: str
    name: str
    hit_policy: str
    aggregation: str | None
    inputs: tuple[TableInput, ...]
    outputs: tuple[TableOutput, ...]
    rules: tuple[TableRule, ...]
    line: int | None = None
    #: The line of the <decisionTable> element (its hit policy).
    table_line: int | None = None

    @property
    def title(self) -> str:
        return self.name or self.decision_id

    @property
    def input_types(self) -> tuple[str, ...]:
        return tuple(item.type_ref for item in self.inputs)

    @property
    def output_names(self) -> set[str]:
        """The case data names the table sets (the first part of a dotted name)."""
        return {output.key.split(".")[0] for output in self.outputs if output.key}


CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def decision_ref(task: etree._Element) -> str | None:
    """The decision a business rule task runs: ``camunda:decisionRef``, or SpiffWorkflow's own
    ``<spiffworkflow:calledDecisionId>`` in its extension elements (SpiffArena saves that form)."""
    ref = task.get(f"{{{CAMUNDA_NS}}}decisionRef")
    if ref:
        return ref
    called = next(task.iter(f"{{{SPIFF_NS}}}calledDecisionId"), None)
    return (called.text or "").strip() or None if called is not None else None


def _local(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str) and etree.QName(child).localname == name]


def _first(element: etree._Element | None, name: str) -> etree._Element | None:
    found = _local(element, name) if element is not None else []
    return found[0] if found else None


def _text(element: etree._Element | None) -> str | None:
    node = _first(element, "text")
    return node.text if node is not None else None


def _line(entry: etree._Element) -> int | None:
    text = _first(entry, "text")
    return (text.sourceline if text is not None else None) or entry.sourceline


def decisions_in(tree: etree._Element) -> list[etree._Element]:
    return _local(tree, "decision")


def parse_table(file: str, tree: etree._Element) -> DecisionTable | None:
    """The first decision of a parsed file with its table, or None when it has none."""
    decision = next(iter(decisions_in(tree)), None)
    table = _first(decision, "decisionTable")
    if decision is None or table is None:
        return None
    inputs = tuple(TableInput(el.get("id") or "", el.get("label") or "", (_text(expression) or "").strip(),
                              el.sourceline, (expression.get("typeRef") or "") if expression is not None else "")
                   for el in _local(table, "input") for expression in [_first(el, "inputExpression")])
    outputs = tuple(TableOutput(el.get("id") or "", el.get("label") or "", el.get("name") or "", el.sourceline)
                    for el in _local(table, "output"))
    rules = []
    for number, rule in enumerate(_local(table, "rule"), start=1):
        entries, results = _local(rule, "inputEntry"), _local(rule, "outputEntry")
        description = _first(rule, "description")
        rules.append(TableRule(
            number=number, id=rule.get("id") or "",
            inputs=tuple(None if (text := _text(entry)) is None or text.strip() == "-" else text for entry in entries),
            outputs=tuple((_text(result) or "").strip() for result in results),
            description=(description.text or "").strip() if description is not None else "",
            line=rule.sourceline, input_lines=tuple(_line(entry) for entry in entries),
            output_lines=tuple(_line(result) for result in results)))
    return DecisionTable(file=file, decision_id=decision.get("id") or "", name=decision.get("name") or "",
                         hit_policy=(table.get("hitPolicy") or "UNIQUE").upper(), aggregation=table.get("aggregation"),
                         inputs=inputs, outputs=outputs, rules=tuple(rules), line=decision.sourceline,
                         table_line=table.sourceline)


def read_stored_tables(dmn: dict[str, bytes]) -> dict[str, DecisionTable]:
    """Every readable table of a stored bundle by decision id (a file that cannot be read is left out)."""
    tables: dict[str, DecisionTable] = {}
    for file, raw in sorted(dmn.items()):
        tree = parse_xml_or_none(raw)
        table = parse_table(file, tree) if tree is not None else None
        if table is not None:
            tables.setdefault(table.decision_id, table)
    return tables
