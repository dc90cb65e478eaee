"""Process definitions: a set of BPMN files and forms, validated as a whole, identified by content hash.

A definition is immutable once stored; each case keeps the version it started on. Validation parses
every executable process (SpiffWorkflow parses lazily, so errors would otherwise surface mid-case),
resolves call activities, compiles every condition, script and timer expression in the sandbox and
resolves every name it uses (names.py), checks each user task's lane is a known role and its form exists.
Whatever the file, the answer is a list of located problems: an exception inside SpiffWorkflow's parser
becomes a problem naming the file, never an error of the app.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.exceptions import SpiffWorkflowException

from app.core.decision_tables import DecisionTable, decision_ref
from app.core.diagram_xml import parse_xml
from app.core.roles import LANE_ROLES, role_for_lane
from app.core.sla import POLICY_FILE, PolicyError, SlaConfig, load_policies
from app.core.vocabulary import SET_AT_CONTACT
from app.engine.dataflow import DataFlow
from app.engine.decisions import TableProblem, check_table, names_read, read_tables
from app.engine.functions import RAG_CLOCK, diagram_functions
from app.engine.names import assigned_names, check_source
from app.engine.sandbox import SandboxError, compile_expression, compile_script
from app.engine.table_engine import HubParser
from app.engine.xml_schemas import SCHEMA_LOCK, schema_validator
from app.forms import FormDefinition, FormDefinitionError, load_form_data

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN_NS}
#: Case data the service sets when a contact is received, before any step of the process runs.
SET_BY_THE_CONTACT = frozenset(SET_AT_CONTACT)
#: Elements whose text is a Python expression (scripts are handled with them).
EXPRESSION_TAGS = ("conditionExpression", "timeDate", "timeDuration", "timeCycle", "completionCondition",
                   "loopCardinality")


@dataclass(frozen=True)
class DefinitionProblem:
    """One thing wrong with a diagram or form, pointing at the element and line at fault."""

    file: str
    message: str
    element_id: str | None = None
    element_name: str | None = None
    line: int | None = None
    #: In a decision table (DMN), the rule's number as the table shows it (1 is the first row).
    rule: int | None = None

    def as_dict(self) -> dict[str, str | int | None]:
        found: dict[str, str | int | None] = {"file": self.file, "element_id": self.element_id,
                                              "element_name": self.element_name, "line": self.line,
                                              "message": self.message}
        if self.rule is not None:
            found["rule"] = self.rule
        return found

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        named = f" ({self.element_name})" if self.element_name else ""
        what = f" {self.element_id}{named}" if self.element_id else ""
        row = f" rule {self.rule}" if self.rule is not None else ""
        return f"{where}{what}{row}: {self.message}"


class DefinitionError(Exception):
    """The definition was refused; ``problems`` lists everything found, not just the first."""

    def __init__(self, problems: list[DefinitionProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class ProcessBundle:
    """The files of one version: BPMN by file name, forms by key (raw JSON text), the SLA policies, and the
    decision tables (DMN) by file name (versions stored before tables existed have none)."""

    bpmn: dict[str, bytes]
    forms: dict[str, str]
    policies: str | None = None
    dmn: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def from_directories(cls, processes_dir: Path, forms_dir: Path) -> ProcessBundle:
        bpmn = {p.name: p.read_bytes() for p in sorted(processes_dir.glob("*.bpmn"))}
        dmn = {p.name: p.read_bytes() for p in sorted(processes_dir.glob("*.dmn"))}
        forms = {p.stem: p.read_text(encoding="utf-8") for p in sorted(forms_dir.glob("*.json"))}
        policy_file = processes_dir / POLICY_FILE
        policies = policy_file.read_text(encoding="utf-8") if policy_file.exists() else None
        return cls(bpmn=bpmn, forms=forms, policies=policies, dmn=dmn)

    @cached_property
    def content_hash(self) -> str:
        """Computed once per bundle (it is frozen): every restored workflow asks for it, and hashing 70 files
        took 1 ms each time."""
        digest = hashlib.sha256()
        for name in sorted(self.bpmn):
            digest.update(b"bpmn\0" + name.encode() + b"\0" + self.bpmn[name] + b"\0")
        for key in sorted(self.forms):
            digest.update(b"form\0" + key.encode() + b"\0" + self.forms[key].encode() + b"\0")
        if self.policies is not None:
            digest.update(b"policies\0" + self.policies.encode() + b"\0")
        # After everything else, so a bundle without tables keeps the hash it was stored under.
        for name in sorted(self.dmn):
            digest.update(b"dmn\0" + name.encode() + b"\0" + self.dmn[name] + b"\0")
        return digest.hexdigest()

    def to_json(self) -> dict[str, Any]:
        data = {"bpmn": {k: v.decode("utf-8", errors="replace") if _is_utf8(v) else None
                         for k, v in self.bpmn.items()},
                "bpmn_latin1": {k: v.decode("latin-1") for k, v in self.bpmn.items() if not _is_utf8(v)},
                "forms": self.forms, "policies": self.policies}
        if self.dmn:
            data["dmn"] = {k: v.decode("utf-8") if _is_utf8(v) else None for k, v in self.dmn.items()}
            data["dmn_latin1"] = {k: v.decode("latin-1") for k, v in self.dmn.items() if not _is_utf8(v)}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProcessBundle:
        bpmn = {k: v.encode("utf-8") for k, v in data["bpmn"].items() if v is not None}
        bpmn.update({k: v.encode("latin-1") for k, v in data.get("bpmn_latin1", {}).items()})
        dmn = {k: v.encode("utf-8") for k, v in (data.get("dmn") or {}).items() if v is not None}
        dmn.update({k: v.encode("latin-1") for k, v in (data.get("dmn_latin1") or {}).items()})
        return cls(bpmn=bpmn, forms=dict(data["forms"]), policies=data.get("policies"), dmn=dmn)


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@dataclass(frozen=True)
class UserTaskInfo:
    """What the app reads from a user task in the diagram."""

    bpmn_id: str
    name: str
    lane: str | None
    role: str | None
    form_key: str | None
    documentation: str | None
    result_variable: str | None


#: What a timer is: a deadline of one of the first three kinds, or a `wait` (the process waits for a moment,
#: e.g. the hub opening or chasing again; nobody is late).
DEADLINE_KINDS = ("rag", "statutory", "check", "wait")
#: timescale("name", ...) in a timer: the name must be one of the policy file's [timescales.*].
NAMED_TIMESCALE = re.compile(r"""\btimescale\(\s*["']([^"']+)["']""")


@dataclass(frozen=True)
class TimerInfo:
    """What the app reads from a timer event: its name on the SLA wall, its kind and expression.

    The BPMN schema lets an event go without an id (and so without a name to fall back on); such a timer is
    kept under the id None, as SpiffWorkflow keeps it."""

    bpmn_id: str | None
    name: str | None
    kind: str
    expression: str
    #: ``deadlineMetBy``: the user task whose completion meets the deadline. A deadline drawn across several
    #: steps (the ICPC target: enquiry outcome, convening, holding) is met only when that one is done; left
    #: on any other step it no longer applies (no conference was needed).
    met_by: str | None = None


@dataclass
class CompiledDefinition:
    """Parsed specs of one bundle, ready to start and restore cases."""

    bundle: ProcessBundle
    process_id: str
    spec: object
    subprocess_specs: dict[str, Any]
    forms: dict[str, FormDefinition]
    sla: SlaConfig = field(default_factory=SlaConfig)
    user_tasks: dict[tuple[str, str], UserTaskInfo] = field(default_factory=dict)
    timers: dict[tuple[str, str | None], TimerInfo] = field(default_factory=dict)
    #: Found at validation but no reason to refuse (a name only an integration can set): shown at deploy.
    warnings: list[DefinitionProblem] = field(default_factory=list)

    @property
    def content_hash(self) -> str:
        return self.bundle.content_hash


class _Problems:
    def __init__(self) -> None:
        self.items: list[DefinitionProblem] = []
        self.warnings: list[DefinitionProblem] = []
        self.lines: dict[str, dict[str, int | None]] = {}

    def add_table(self, problem: TableProblem) -> None:
        self.add(problem.file, problem.message, problem.decision_id, problem.decision_name, problem.line,
                 warning=problem.warning, rule=problem.rule)

    def add(self, file: str, message: str, element_id: str | None = None, name: str | None = None,
            line: int | None = None, *, warning: bool = False, rule: int | None = None) -> None:
        if line is None and element_id:
            line = self.lines.get(file, {}).get(element_id)
        problem = DefinitionProblem(file, message, element_id or None, name or None, line or None, rule)
        (self.warnings if warning else self.items).append(problem)


def _unexpected(error: BaseException) -> str:
    """An exception from inside the parser, in words: the process owner can do nothing with a traceback."""
    detail = str(error).split("\n")[0][:200]
    if isinstance(error, KeyError):
        detail = f"missing {detail}"
    return f"SpiffWorkflow could not read this diagram ({type(error).__name__}: {detail})" if detail else \
        f"SpiffWorkflow could not read this diagram ({type(error).__name__})"


def _parse_xml(name: str, raw: bytes, problems: _Problems) -> etree._Element | None:
    try:
        tree = parse_xml(raw)
    except etree.XMLSyntaxError as error:
        problems.add(name, f"the file is not well-formed XML: {error.msg}", line=error.lineno)
        return None
    problems.lines[name] = {element_id: el.sourceline for el in tree.iter()
                            if isinstance(el.tag, str) and (element_id := el.get("id"))}
    return tree


def _wire_event_subprocesses(specs: list[Any]) -> None:
    """Wire each event subprocess into its process once, at compile time, as SpiffWorkflow 3.2.0 would at its first
    event, but without making it a child of the start.

    The library's ``BpmnStartTask.trigger_wf`` connects the subprocess to the start *in the spec* the first time an
    event starts it, and every case of a version shares that spec: after one case's first signal, every case started
    later began with its event subprocesses armed. With the subprocess given its input here, ``trigger_wf`` finds it
    wired and changes nothing, so a running case never alters the definition."""
    for spec in specs:
        start = getattr(spec, "start", None)
        for name in getattr(start, "trigger_specs", ()):
            task_spec = spec.task_specs.get(name)
            if task_spec is None:
                continue
            if start not in task_spec.inputs:
                task_spec._connect_notify(start)  # the input only: start.outputs is what every case runs
            if spec.end not in task_spec.outputs:
                task_spec.connect(spec.end)


def compile_bundle(bundle: ProcessBundle, process_id: str = "referral") -> CompiledDefinition:
    """Validate the whole bundle and return parsed specs; raise DefinitionError listing every problem.

    Nothing else escapes: an exception the steps below did not place is reported on the bundle's files. One compile
    at a time in a process (app/engine/xml_schemas.py: SpiffWorkflow parses a schema for each DMN file it reads)."""
    try:
        with SCHEMA_LOCK:
            return _compile(bundle, process_id)
    except DefinitionError:
        raise
    except Exception as error:  # any file a process owner sends gets an answer, not a 500
        raise DefinitionError([DefinitionProblem(", ".join(sorted(bundle.bpmn)) or UPLOAD, _unexpected(error))]) \
            from error


UPLOAD = "(upload)"


def _compile(bundle: ProcessBundle, process_id: str) -> CompiledDefinition:
    problems = _Problems()
    forms = _load_forms(bundle, problems)
    sla = _load_policies(bundle, problems)
    parser = HubParser(validator=schema_validator(None))
    tables, unreadable = read_tables(bundle.dmn)
    for table_problem in unreadable:
        problems.add_table(table_problem)
    for table in tables.values():
        # What is wrong whatever the case data (SpiffWorkflow's parser stops at the first bad output entry).
        for table_problem in check_table(table, names_read(table), diagram_functions(sla), set()):
            if not table_problem.warning:
                problems.add_table(table_problem)
        try:
            parser.add_dmn_xml(parse_xml(bundle.dmn[table.file]), filename=table.file)
        except Exception as error:  # noqa: BLE001 - read_table checked what the parser checks; located anyway
            problems.add(table.file, _unexpected(error), table.decision_id, table.name, table.line)
    trees: dict[str, etree._Element] = {}
    for name, raw in bundle.bpmn.items():
        tree = _parse_xml(name, raw, problems)
        if tree is None:
            continue
        trees[name] = tree
        if not _check_business_rules(name, tree, problems, tables, unreadable):
            continue
        try:
            parser.add_bpmn_xml(tree, filename=name)
        except ValidationException as error:
            problems.add(name, str(error).split("\n")[0], getattr(error, "id", None), getattr(error, "name", None),
                         _int(getattr(error, "line_number", None)))
        except Exception as error:  # noqa: BLE001 - the parser's own KeyErrors and AttributeErrors, located
            problems.add(name, _unexpected(error))
    if not trees and not problems.items:
        problems.add(UPLOAD, "no BPMN files were given")
    if problems.items:
        raise DefinitionError(problems.items)

    try:
        executable = parser.get_process_ids()
    except Exception as error:
        problems.add(", ".join(sorted(trees)), _unexpected(error))
        raise DefinitionError(problems.items) from error
    if not executable:
        problems.add(", ".join(sorted(trees)), "no executable process: mark a process isExecutable=\"true\"")
        raise DefinitionError(problems.items)

    specs: dict[str, Any] = {}
    for pid in executable:
        try:
            specs[pid] = parser.get_spec(pid)
        except (ValidationException, SpiffWorkflowException) as error:
            _add_spiff_problem(problems, error, pid, parser)
        except Exception as error:  # noqa: BLE001 - located on its file
            problems.add(_file_of(parser, pid), _unexpected(error))
    subprocess_specs: dict[str, Any] = {}
    if process_id not in executable:
        problems.add(", ".join(sorted(trees)), f"the bundle has no executable process with id '{process_id}'")
    elif process_id in specs:
        try:
            subprocess_specs = parser.get_subprocess_specs(process_id)
        except (ValidationException, SpiffWorkflowException) as error:
            _add_spiff_problem(problems, error, process_id, parser)
        except Exception as error:  # noqa: BLE001 - located on its file
            problems.add(_file_of(parser, process_id), _unexpected(error))
    if problems.items:
        raise DefinitionError(problems.items)

    _wire_event_subprocesses([specs[process_id], *subprocess_specs.values()])
    compiled = CompiledDefinition(bundle=bundle, process_id=process_id, spec=specs[process_id],
                                  subprocess_specs=subprocess_specs, forms=forms, sla=sla)
    for pid, spec in specs.items():
        file = _file_of(parser, pid)
        _check_process(pid, spec, file, forms, problems, compiled)
        _read_timers(pid, trees.get(file), file, problems, compiled)
    for pid, spec in subprocess_specs.items():
        if pid not in specs:  # an embedded or event subprocess: its user tasks run under its own name
            _check_process(pid, spec, _file_of(parser, pid), forms, problems, compiled)
    sets = _names_set_by_step(trees, compiled, tables)
    everything = SET_BY_THE_CONTACT.union(*sets.values())
    flow = DataFlow(trees, sets, SET_BY_THE_CONTACT, everything)
    functions = diagram_functions(sla)
    for file, tree in trees.items():
        _check_expressions(tree, file, problems, lambda node: _available(node, flow, sets), functions, everything)
    _check_tables(tables, trees, flow, functions, everything, problems)
    if problems.items:
        raise DefinitionError(problems.items)
    compiled.warnings = problems.warnings
    return compiled


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _file_of(parser: CamundaParser, process_id: str) -> str:
    process_parser = parser.get_process_parser(process_id)
    return getattr(process_parser, "filename", None) or "(unknown file)"


def _add_spiff_problem(problems: _Problems, error: Exception, process_id: str, parser: CamundaParser) -> None:
    file = getattr(error, "file_name", None) or _file_of(parser, process_id)
    problems.add(file, str(error).split("\n")[0], getattr(error, "id", None), getattr(error, "name", None),
                 _int(getattr(error, "line_number", None)))


def _load_forms(bundle: ProcessBundle, problems: _Problems) -> dict[str, FormDefinition]:
    forms: dict[str, FormDefinition] = {}
    for key, text in bundle.forms.items():
        try:
            forms[key] = load_form_data(key, json.loads(text), f"forms/{key}.json")
        except json.JSONDecodeError as error:
            problems.add(f"forms/{key}.json", f"not valid JSON: {error.msg}", line=error.lineno)
        except FormDefinitionError as error:
            problems.add(f"forms/{key}.json", error.message)
    return forms


def _load_policies(bundle: ProcessBundle, problems: _Problems) -> SlaConfig:
    try:
        return load_policies(bundle.policies)
    except PolicyError as error:
        for problem in error.problems:
            problems.add(f"processes/{POLICY_FILE}", problem.message, line=problem.line)
        return SlaConfig()


def _property(element: etree._Element, name: str) -> str | None:
    for prop in element.iter(f"{{{CAMUNDA_NS}}}property"):
        if prop.get("name") == name:
            return prop.get("value")
    return None


def _read_timers(pid: str, tree: etree._Element | None, file: str, problems: _Problems,
                 compiled: CompiledDefinition) -> None:
    """Every timer is a deadline on the SLA wall: its kind comes from the ``deadlineKind`` property."""
    if tree is None:
        return
    process = next((p for p in tree.iter(f"{{{BPMN_NS}}}process") if p.get("id") == pid), None)
    if process is None:
        return
    for definition in process.iter(f"{{{BPMN_NS}}}timerEventDefinition"):
        event = definition.getparent()
        if event is None:  # never: the definition was found below the process
            continue
        expression = next((node.text or "" for node in definition if isinstance(node.tag, str)), "").strip()
        kind = _property(event, "deadlineKind") or ("rag" if RAG_CLOCK.search(expression) else "statutory")
        if kind not in DEADLINE_KINDS:
            problems.add(file, f"deadlineKind '{kind}' is not one of {', '.join(DEADLINE_KINDS)}",
                         event.get("id"), event.get("name"))
        met_by = _property(event, "deadlineMetBy")
        if met_by is not None and (pid, met_by) not in compiled.user_tasks:
            problems.add(file, f"deadlineMetBy '{met_by}' is not a user task of this process: name the step whose "
                         "completion meets the deadline", event.get("id"), event.get("name"))
        for name in NAMED_TIMESCALE.findall(expression):
            if name not in compiled.sla.timescales:
                known = ", ".join(sorted(compiled.sla.timescales)) or "none"
                problems.add(file, f"timescale '{name}' is not in processes/sla-policies.toml: add a "
                                   f"[timescales.{name}] section (known: {known})", event.get("id"), event.get("name"))
        compiled.timers[(_container_id(event, pid), event.get("id"))] = TimerInfo(
            bpmn_id=event.get("id"), name=event.get("name") or event.get("id"), kind=kind, expression=expression,
            met_by=met_by)


def _container_id(element: etree._Element, pid: str) -> str:
    """The process a running task of this element belongs to: an embedded or event subprocess runs as its own
    workflow, named by the subProcess element's id (SpiffWorkflow's spec name)."""
    for ancestor in element.iterancestors(f"{{{BPMN_NS}}}subProcess"):
        return str(ancestor.get("id"))
    return pid


def _check_process(pid: str, spec: Any, file: str, forms: dict[str, FormDefinition], problems: _Problems,
                   compiled: CompiledDefinition) -> None:
    for task_spec in spec.task_specs.values():
        bpmn_id = getattr(task_spec, "bpmn_id", None)
        if bpmn_id is None:
            continue
        name = getattr(task_spec, "bpmn_name", None) or bpmn_id
        if not task_spec.manual:
            continue
        lane = task_spec.lane
        role = role_for_lane(lane)
        if lane is None:
            problems.add(file, "this user task is in no lane: put it in the lane of the role that does it",
                         bpmn_id, name)
        elif role not in LANE_ROLES:
            problems.add(file, f"lane '{lane}' is not a role of the hub (known: {', '.join(LANE_ROLES)})",
                         bpmn_id, name)
        form = getattr(task_spec, "form", None)
        form_key = getattr(form, "key", None) if form is not None else None
        if not form_key:
            problems.add(file, "this user task names no form: set its form key (camunda:formKey)", bpmn_id, name)
        elif form_key not in forms:
            problems.add(file, f"form '{form_key}' does not exist (expected forms/{form_key}.json)", bpmn_id, name)
        extensions = task_spec.extensions or {}
        compiled.user_tasks[(pid, bpmn_id)] = UserTaskInfo(
            bpmn_id=bpmn_id, name=name, lane=lane, role=role, form_key=form_key,
            documentation=(task_spec.documentation or "").strip() or None,
            result_variable=extensions.get("resultVariable") or None,
        )
        if task_spec.__class__.__name__ == "NoneTask":
            problems.add(file, "a plain task waits like a user task: make it a user task with a lane and form",
                         bpmn_id, name)


def _check_business_rules(file: str, tree: etree._Element, problems: _Problems,
                          tables: Mapping[str, DecisionTable], unreadable: list[TableProblem]) -> bool:
    """Each business rule task names (camunda:decisionRef) a decision whose table is in the bundle.

    (SpiffWorkflow's parser fails with a bare KeyError on one without ``camunda:decisionRef``, and only when the
    process is first run for one that names a missing decision.)"""
    fine = True
    for task in tree.iter(f"{{{BPMN_NS}}}businessRuleTask"):
        decision = decision_ref(task)
        if decision and not task.get(f"{{{CAMUNDA_NS}}}decisionRef"):
            task.set(f"{{{CAMUNDA_NS}}}decisionRef", decision)  # SpiffWorkflow's own form, for the Camunda parser
        if not decision:
            reason = ("a business rule task must name the decision table it runs (camunda:decisionRef, or "
                      "spiffworkflow:calledDecisionId: the decision's id, as the DMN file gives it)")
        elif decision in tables:
            continue
        elif unreadable:
            reason = f"it runs decision '{decision}': a decision table file could not be read (see its problems)"
        else:
            held = ", ".join(sorted(tables)) or "none: add its .dmn file"
            reason = f"it runs decision '{decision}', which no decision table of the process holds (decisions: {held})"
        problems.add(file, reason, task.get("id"), task.get("name"), task.sourceline)
        fine = False
    return fine


def _decision_tasks(trees: Mapping[str, etree._Element]) -> dict[str, list[str]]:
    """Decision id -> the business rule tasks that run it."""
    runs: dict[str, list[str]] = {}
    for tree in trees.values():
        for task in tree.iter(f"{{{BPMN_NS}}}businessRuleTask"):
            decision = decision_ref(task)
            if decision and task.get("id"):
                runs.setdefault(decision, []).append(str(task.get("id")))
    return runs


def _check_tables(tables: Mapping[str, DecisionTable], trees: Mapping[str, etree._Element], flow: DataFlow,
                  functions: dict[str, Any], everything: Set[str], problems: _Problems) -> None:
    """Every table checked against what can be set when each business rule task that runs it starts; one no task
    runs is checked without its names (another process of the bundle reads it). A problem found for two tasks is
    said once."""
    runs = _decision_tasks(trees)
    for decision_id, table in tables.items():
        found: dict[TableProblem, None] = {}
        for known in [flow.before(task_id) for task_id in runs.get(decision_id, [])] or [set(everything)]:
            checked = check_table(table, known, functions, everything)
            # A table no task of this process runs (another process of the bundle does) reads its own names.
            found.update(dict.fromkeys(p for p in checked if decision_id in runs or not p.warning))
        for table_problem in found:
            problems.add_table(table_problem)


def _names_set_by_step(trees: dict[str, etree._Element], compiled: CompiledDefinition,
                       tables: Mapping[str, DecisionTable]) -> dict[str, set[str]]:
    """The case data names each step sets: a user task its form's fields (or its result variable), a script
    what it assigns, a multi-instance task its item and output variables, a business rule task its table's
    outputs."""
    sets: dict[str, set[str]] = {}
    for decision_id, task_ids in _decision_tasks(trees).items():
        for task_id in task_ids:
            if decision_id in tables:
                sets.setdefault(task_id, set()).update(tables[decision_id].output_names)
    for (_pid, bpmn_id), info in compiled.user_tasks.items():
        if info.result_variable:
            sets.setdefault(bpmn_id, set()).add(info.result_variable)
        elif info.form_key and info.form_key in compiled.forms:
            properties = compiled.forms[info.form_key].schema.get("properties", {})
            properties = properties if isinstance(properties, dict) else {}
            sets.setdefault(bpmn_id, set()).update(properties)
            for schema in properties.values():  # the decisions a chosen answer stands for (x-decides)
                for decisions in (schema.get("x-decides") or {}).values() if isinstance(schema, dict) else ():
                    sets[bpmn_id].update(decisions)
    for tree in trees.values():
        for script in tree.iter(f"{{{BPMN_NS}}}script"):
            owner = script.getparent()
            if owner is not None and owner.get("id"):
                sets.setdefault(str(owner.get("id")), set()).update(assigned_names(script.text or ""))
        for loop in tree.iter(f"{{{BPMN_NS}}}multiInstanceLoopCharacteristics"):
            owner = loop.getparent()
            if owner is not None and owner.get("id"):
                sets.setdefault(str(owner.get("id")), set()).update(_loop_names(loop))
    return sets


def _loop_names(loop: etree._Element) -> set[str]:
    names = {value for attribute in ("collection", "elementVariable")
             if (value := loop.get(f"{{{CAMUNDA_NS}}}{attribute}"))}
    for item in loop:
        if not isinstance(item.tag, str):
            continue
        if item.tag.endswith(("inputDataItem", "outputDataItem")):
            names.add(item.get("name") or item.get("id") or "")
        elif item.tag.endswith("loopDataOutputRef"):
            names.add((item.text or "").strip())
    names.discard("")
    return names


def _available(node: etree._Element, flow: DataFlow, sets: dict[str, set[str]]) -> set[str]:
    """The names an expression or script can read: what can have been set when its element runs."""
    parent = node.getparent()
    if parent is None:
        return flow.before(None)
    kind = etree.QName(parent).localname
    if kind == "sequenceFlow":
        return flow.after(parent.get("sourceRef") or "") if parent.get("sourceRef") else flow.before(None)
    if kind == "multiInstanceLoopCharacteristics":
        task = parent.getparent()
        task_id = task.get("id") if task is not None else None
        own = sets.get(task_id or "", set())
        return flow.before(task_id) | own
    owner: etree._Element | None = parent
    while owner is not None and (not owner.get("id") or str(owner.tag).endswith("EventDefinition")):
        owner = owner.getparent()
    return flow.before(owner.get("id") if owner is not None else None)


def _check_expressions(tree: etree._Element | None, file: str, problems: _Problems,
                       known: Callable[[etree._Element], set[str]], functions: dict[str, Any],
                       everything: Set[str]) -> None:
    """Compile every condition, script and timer expression in the sandbox and resolve the names it uses,
    reporting the element and line."""
    if tree is None:
        return
    for node in tree.iter(*(f"{{{BPMN_NS}}}{tag}" for tag in (*EXPRESSION_TAGS, "script"))):
        owner = node.getparent()
        # The element a process owner clicks: the timer event, not its (invisible) event definition.
        while owner is not None and (not owner.get("id") or str(owner.tag).endswith("EventDefinition")):
            owner = owner.getparent()
        element_id = owner.get("id") if owner is not None else None
        element_name = owner.get("name") if owner is not None else None
        text = (node.text or "").strip()
        if not text:
            problems.add(file, "the expression is empty", element_id, element_name, node.sourceline)
            continue
        is_script = str(node.tag).endswith("}script")
        # Lines count from the element's opening tag; an expression is read without its leading blank lines.
        first = (node.sourceline or 1) + (0 if is_script else (node.text or "")[: (node.text or "").find(text)]
                                           .count("\n"))
        refused = False
        for finding in check_source(node.text or "" if is_script else text, "exec" if is_script else "eval",
                                    known(node), functions):
            refused = refused or not finding.warning
            message = finding.message
            if finding.warning and finding.name in everything:
                message = (f"no step before this one sets '{finding.name}' (only a later step or another path "
                           "does): a case reaching here fails unless an integration sets it")
            what = "the script" if is_script else "the expression"
            problems.add(file, f"{what}: {message}" if finding.warning else f"{what} is refused by the sandbox: "
                         f"{message}", element_id, element_name, first + finding.line - 1, warning=finding.warning)
        try:
            if is_script:
                compile_script(node.text or "")
            else:
                compile_expression(text)
        except SandboxError as error:
            if refused:  # the same fault, said once, in the words above
                continue
            line = node.sourceline
            if line is not None and error.line:
                line += error.line - 1
            problems.add(file, f"the expression is refused by the sandbox: {error}", element_id, element_name, line)
