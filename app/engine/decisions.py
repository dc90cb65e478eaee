"""Decision tables (DMN) of a bundle, read as a process owner sees them and checked before any case runs them.

SpiffWorkflow 3.2.0 evaluates a table inside the engine (``DMNEngine``): for each rule it turns every input
entry into one Python expression (``(input) == (entry)``; ``input`` followed by the entry when the entry starts
with an operator, ``> 5``; or the entry itself with ``?`` standing for the input) and every output entry into
another, and hands each to the workflow's script engine, which is our sandboxed evaluator with its budgets. So
an entry is checked here by building exactly the expression the engine will build and compiling it in the
sandbox; what the engine cannot evaluate (FEEL ranges, ``not(...)``, FEEL dates, hit policies it ignores) is
refused with the file, the decision, the rule number and the line.

Only the hit policies the engine really honours are accepted: UNIQUE (it takes the first matching rule, so
overlapping rules are reported), FIRST (the first match, as DMN says) and COLLECT without an aggregation (lists
of every match). Its parser reads one decision per file.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import SpiffWorkflow.dmn.parser as dmn_parser  # the DMN 1.3 schema SpiffWorkflow ships
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from app.core.decision_tables import DecisionTable, TableInput, decisions_in, parse_table
from app.core.diagram_xml import parse_xml
from app.engine.decision_rules import rule_findings
from app.engine.names import check_source
from app.engine.sandbox import SandboxError, compile_expression
from app.engine.xml_schemas import schema_validator

DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"
OLDER_DMN_NS = ("http://www.omg.org/spec/DMN/20151101/dmn.xsd", "http://www.omg.org/spec/DMN/20180521/MODEL/")
HIT_POLICIES = ("UNIQUE", "FIRST", "COLLECT")
#: The name SpiffWorkflow's engine gives ``?`` in an entry.
INPUT_PLACEHOLDER = "dmninputexpr"
_QUESTION = re.compile(r"""(\?)(?=(?:[^'"]|['"][^'"]*['"])*$)""")  # the engine's own pattern, outside quotes
_FEEL = (
    (re.compile(r"^\s*[\[(\]][^\[\]()]*\.\.[^\[\]()]*[\])\[]\s*$"), ("a FEEL range: write a comparison instead, "
                                                                     "e.g. '1 <= ? <= 5' for [1..5]")),
    (re.compile(r"^\s*not\s*\("), "FEEL's not(...): write '? not in (...)' or '!= value'"),
    (re.compile(r"\b(date and time|date|time|duration|years and months duration)\s*\("),
     "FEEL date and time functions are not evaluated: compare ISO dates as text, or use a diagram function"),
    (re.compile(r"\.\."), "a FEEL range ('..'): write a comparison such as '1 <= ? <= 5'"),
)
_FEEL_WORDS = {"true": "True", "false": "False", "null": "None"}
#: SpiffWorkflow's copy of the DMN 1.3 schema.
_DMN13_XSD = str(Path(dmn_parser.__file__).with_name("schema") / "DMN13.xsd")


@dataclass(frozen=True)
class TableProblem:
    """One thing wrong with a decision table: the file, the decision, the rule (1 is the first row), the line."""

    file: str
    message: str
    decision_id: str | None = None
    decision_name: str | None = None
    rule: int | None = None
    line: int | None = None
    warning: bool = False


def read_table(file: str, raw: bytes) -> DecisionTable | list[TableProblem]:
    """The file's decision table, or why it cannot be read (not XML, not DMN 1.3, not the schema, no table)."""
    try:
        tree = parse_xml(raw)
    except etree.XMLSyntaxError as error:
        return [TableProblem(file, f"the file is not well-formed XML: {error.msg}", line=error.lineno)]
    namespace = etree.QName(tree).namespace
    if etree.QName(tree).localname != "definitions" or namespace != DMN_NS:
        older = " (an older DMN version: open it in Camunda Modeler and save it again)" \
            if namespace in OLDER_DMN_NS else ""
        return [TableProblem(file, f"not a DMN 1.3 file: its root must be <definitions> in {DMN_NS}{older}",
                             line=tree.sourceline)]
    try:
        schema_validator(_DMN13_XSD).validate(tree, file)
    except ValidationException as error:
        message = str(error).split("\n")[0]
        return [TableProblem(file, f"the file does not follow the DMN 1.3 schema: {message}",
                             line=_int(getattr(error, "line_number", None)))]
    decisions = decisions_in(tree)
    if len(decisions) != 1:
        return [TableProblem(file, "a file must hold exactly one decision (SpiffWorkflow reads one per file): "
                             f"this one holds {len(decisions)}", line=tree.sourceline)]
    table = parse_table(file, tree)
    if table is None:
        decision = decisions[0]
        return [TableProblem(file, "the decision has no decision table (a literal expression or a decision "
                             "requirements graph alone is not evaluated)", decision.get("id"), decision.get("name"),
                             line=decision.sourceline)]
    return table


def decision_id_of(raw: bytes) -> str | None:
    """The id of the (first) decision a DMN file holds, or None when it cannot be read."""
    try:
        tree = parse_xml(raw)
    except etree.XMLSyntaxError:
        return None
    decision = next((el for el in tree.iter() if isinstance(el.tag, str) and etree.QName(el).localname == "decision"),
                    None)
    return decision.get("id") if decision is not None else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def read_tables(dmn: Mapping[str, bytes]) -> tuple[dict[str, DecisionTable], list[TableProblem]]:
    """Every table of a bundle by decision id, and what stopped any file being read (two files, one id too)."""
    tables: dict[str, DecisionTable] = {}
    problems: list[TableProblem] = []
    for file, raw in sorted(dmn.items()):
        table = read_table(file, raw)
        if isinstance(table, list):
            problems += table
        elif table.decision_id in tables:
            problems.append(TableProblem(file, f"decision '{table.decision_id}' is also in "
                                         f"{tables[table.decision_id].file}: a decision id names one table",
                                         table.decision_id, table.name, line=table.line))
        else:
            tables[table.decision_id] = table
    return tables, problems


# ----------------------------------------------------------------------------- what the engine evaluates
def entry_expression(input_expression: str, entry: str) -> tuple[str, bool]:
    """The Python expression SpiffWorkflow's engine evaluates for an input entry, and whether it reads ``?``
    (then the input's value is given as ``dmninputexpr``). Raises SyntaxError as the engine would."""
    replaced = _QUESTION.sub(INPUT_PLACEHOLDER, entry)
    if INPUT_PLACEHOLDER in replaced:
        return replaced, True
    try:
        ast.parse(entry)
        return f"({input_expression}) == ({entry})", False
    except SyntaxError:
        ast.parse(f"v {entry}")  # raises: not an expression even with the input before it
        return input_expression + entry, False


def feel_only(entry: str) -> str | None:
    """Why an entry is FEEL the engine cannot evaluate, or None."""
    for pattern, why in _FEEL:
        if pattern.search(entry):
            return why
    try:
        tree = ast.parse(entry.strip(), mode="eval")
    except SyntaxError:
        return None
    if isinstance(tree.body, ast.Tuple) and not entry.strip().startswith("("):
        return "a FEEL list of values ('\"a\", \"b\"') compares the input with a tuple: write 'in (\"a\", \"b\")'"
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in _FEEL_WORDS:
            return f"FEEL's '{node.id}' is not Python: write {_FEEL_WORDS[node.id]}"
    return None


# ----------------------------------------------------------------------------- checks
Known = Set[str]


def check_table(table: DecisionTable, known: Known, functions: Mapping[str, Callable[..., Any]],
                everything: Known) -> list[TableProblem]:
    """Everything wrong with one table: hit policy, outputs, every expression compiled in the sandbox and its
    names resolved against ``known`` (what can be set when the business rule task runs), and rules that can
    never match or that overlap where the hit policy wants one match."""
    found: list[TableProblem] = []

    def add(message: str, rule: int | None = None, line: int | None = None, warning: bool = False) -> None:
        found.append(TableProblem(table.file, message, table.decision_id, table.name, rule, line, warning))

    def at(prefix: str, rule: int | None, line: int | None) -> Callable[[str, bool], None]:
        return lambda message, warning: add(f"{prefix}: {message}", rule, line, warning)

    if table.hit_policy not in HIT_POLICIES:
        add(f"hit policy {table.hit_policy} is not evaluated by the engine: use UNIQUE, FIRST or COLLECT",
            line=table.table_line)
    elif table.aggregation:
        add(f"COLLECT with {table.aggregation} is not evaluated by the engine (it would give the list, not the "
            f"{table.aggregation.lower()}): use plain COLLECT", line=table.table_line)
    if not table.outputs:
        add("the table has no output column: it would decide nothing", line=table.line)
    for output in table.outputs:
        if not output.name:
            add(f"output '{output.label or output.id}' has no name: give it the case data name it sets "
                "(Output name in the modeler)", line=output.line)
        elif not all(part.isidentifier() and not part.startswith("_") for part in output.name.split(".")):
            add(f"output name '{output.name}' is not a case data name (letters, digits and '_', not starting with '_')",
                line=output.line)
    for column, item in enumerate(table.inputs, start=1):
        label = item.label or item.id or f"input {column}"
        if not item.expression:
            add(f"input '{label}' has no expression: name the case data it reads", line=item.line)
            continue
        _compile(item.expression, known, functions, everything, at(f"input '{label}'", None, item.line))
    # An entry's expression holds its input's: a name the input reads is reported once, on the input.
    read_by_inputs = set().union(*(_names(item.expression) for item in table.inputs))
    for rule in table.rules:
        if len(rule.inputs) != len(table.inputs) or len(rule.outputs) != len(table.outputs):
            add("the rule does not have one entry per column", rule.number, rule.line)
            continue
        for column, (item, entry) in enumerate(zip(table.inputs, rule.inputs, strict=True)):
            line = rule.input_lines[column] if column < len(rule.input_lines) else rule.line
            if entry is None or not item.expression:
                continue
            _check_entry(item, entry, set(known) | read_by_inputs, functions, everything,
                         at(f"input '{item.label or item.id}' entry", rule.number, line))
        for column, (output, entry) in enumerate(zip(table.outputs, rule.outputs, strict=True)):
            if not entry:
                continue
            line = rule.output_lines[column] if column < len(rule.output_lines) else rule.line
            reason = feel_only(entry)
            if reason:
                add(f"output '{output.key}' entry '{entry}' is {reason}", rule.number, line)
                continue
            _compile(entry, known, functions, everything, at(f"output '{output.key}' entry", rule.number, line))
    if not any(p.rule is not None and not p.warning for p in found):  # the analysis reads compiled entries
        for rule_number, line, message in rule_findings(table):
            add(message, rule_number, line)
    return found


def names_read(table: DecisionTable) -> set[str]:
    """Every name the table's expressions use: checking against these finds what is wrong whatever the case
    data (the first pass at deploy, before it is known what a step sets)."""
    sources = [item.expression for item in table.inputs]
    sources += [_QUESTION.sub(INPUT_PLACEHOLDER, entry) for rule in table.rules for entry in rule.inputs if entry]
    sources += [entry for rule in table.rules for entry in rule.outputs if entry]
    return set().union(*(_names(source) for source in sources))


def _same_reading(input_expression: str, entry: str) -> bool:
    """Whether the input expression followed by the entry compares the whole input (``age > 5``), not only its
    last part (``a if b else 18 < 1`` is ``a if b else (18 < 1)``)."""
    try:
        glued = ast.dump(ast.parse(input_expression + entry, mode="eval"))
        meant = ast.dump(ast.parse(f"({input_expression}){entry}", mode="eval"))
    except SyntaxError:
        return True  # the compile reports it
    return glued == meant


def _names(expression: str) -> set[str]:
    try:
        return {node.id for node in ast.walk(ast.parse(expression.strip(), mode="eval")) if isinstance(node, ast.Name)}
    except SyntaxError:
        return set()


def _check_entry(item: TableInput, entry: str, known: Known, functions: Mapping[str, Callable[..., Any]],
                 everything: Known, add: Callable[[str, bool], None]) -> None:
    if not entry.strip():
        add("the entry is only spaces, which never matches: leave it empty or write '-' for any value", False)
        return
    reason = feel_only(entry)
    if reason:
        add(f"'{entry.strip()}' is {reason}", False)
        return
    try:
        expression, reads_input = entry_expression(item.expression, entry)
    except SyntaxError:
        add(f"'{entry.strip()}' is not a Python expression, nor a comparison such as '> 5' or 'in (\"a\", \"b\")'",
            False)
        return
    glued = item.expression.strip() + entry
    if expression == glued and re.search(r"\w$", item.expression.strip()) and re.match(r"\w", entry):
        add(f"the engine puts the input before '{entry.strip()}' without a space ('{glued}'): write "
            f"'? {entry.strip()}', with ? standing for the input", False)
        return
    if expression == item.expression + entry and not _same_reading(item.expression, entry):
        add(f"the engine reads '{expression}', in which '{entry.strip()}' compares only the end of the input "
            f"expression: put the input expression in brackets, or write '? {entry.strip()}'", False)
        return
    _compile(expression, set(known) | ({INPUT_PLACEHOLDER} if reads_input else set()), functions, everything, add,
             shown=entry.strip())


def _compile(expression: str, known: Known, functions: Mapping[str, Callable[..., Any]], everything: Known,
             add: Callable[[str, bool], None], shown: str | None = None) -> None:
    refused = False
    for finding in check_source(expression, "eval", known, functions):
        if finding.name == INPUT_PLACEHOLDER:
            continue
        refused = refused or not finding.warning
        message = finding.message
        if finding.warning and finding.name in everything:
            message = (f"no step before the business rule task sets '{finding.name}' (only a later step or "
                       "another path does): a case reaching it fails unless an integration sets it")
        add(message if finding.warning else f"refused by the sandbox: {message}", finding.warning)
    try:
        compile_expression(expression)
    except SandboxError as error:
        if not refused:
            said = f"'{shown}' reads as '{expression}', which " if shown else ""
            add(f"{said}the sandbox cannot compile: {error}", False)
