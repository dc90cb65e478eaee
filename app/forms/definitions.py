"""Form definitions: `forms/<key>.json` read, checked and turned into fields the renderer walks.

A form is a JSON Schema (draft 2020-12) with a few UI hints under `x-ui`. The schema is the one
source of truth: the HTML page, the HTML parser and the JSON API all work from it. Loading checks
everything a process owner could get wrong in an editor (a misspelt field in `x-ui.order`, a label
for an option that does not exist, a conditional rule naming a field the form does not have), so
a broken form stops a deployment instead of a practitioner.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, TypeChecker
from jsonschema.exceptions import SchemaError
from jsonschema.validators import extend

from app.core.errors import FieldError
from app.core.lawful_bases import LawfulBasisError, with_lawful_bases

from .patterns import PatternValidator, pattern_problems


def _finite_number(checker: TypeChecker, instance: Any) -> bool:
    """JSON has no NaN or infinity; Python's float() reads "nan" and "inf", and jsonschema takes them for numbers
    (NaN is never below a minimum), so a number box would put them into a case's data."""
    return bool(Draft202012Validator.TYPE_CHECKER.is_type(instance, "number")) and math.isfinite(instance)


#: The one validator every form's answers pass, from a page or the API.
FormValidator = extend(PatternValidator, type_checker=PatternValidator.TYPE_CHECKER.redefine("number", _finite_number))

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

#: Widgets a property may ask for in `x-ui.widget`.
WIDGETS = frozenset({"radios", "checkboxes", "textarea", "text", "date", "select", "yes-no"})

#: Keys a property's `x-ui` may hold. `repeat` is the number of rows an array of objects gets in HTML;
#: `groups` and `more` group a long list of checkboxes under headings (docs/process-contract.md).
PROPERTY_UI_KEYS = frozenset(
    {"widget", "hint", "labels", "hints", "messages", "rows", "classes", "autocomplete", "repeat", "order",
     "groups", "more"}
)

#: The property keyword saying when a field is asked, e.g. ``{"consent": ["refused", "not-sought"]}``
#: (docs/process-contract.md).
SHOW_WHEN = "x-show-when"
DEFAULT_MORE = "More options"
FORM_UI_KEYS = frozenset({"order", "submit", "messages"})

#: Keys of `x-ui.messages`: JSON Schema keywords, plus `incomplete` for a partly filled date.
MESSAGE_KEYS = frozenset(
    {
        "required", "type", "enum", "const", "format", "minLength", "maxLength", "pattern",
        "minItems", "maxItems", "uniqueItems", "contains", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum", "incomplete", "not",
    }
)

DEFAULT_REPEAT = 3
DEFAULT_SUBMIT = "Save and continue"


class FormDefinitionError(Exception):
    """A form file a process owner must fix; names the file so the fix is one step away.

    `problems` lists every individual problem (one for a single problem); `load_forms` raises one
    error whose `problems` cover every broken file, so nothing is fixed one deploy at a time.
    """

    def __init__(self, file: str, message: str, problems: Sequence[FormDefinitionError] = ()) -> None:
        super().__init__(file, message)
        self.file = file
        self.message = message
        self.problems: tuple[FormDefinitionError, ...] = tuple(problems) or (self,)

    def __str__(self) -> str:
        if all(p is self or p.file == self.file for p in self.problems):
            return f"{self.file}: {self.message}"
        lines = "\n".join(f"  {p.file}: {p.message}" for p in self.problems)
        return f"{self.file}: {self.message}\n{lines}"


@dataclass(frozen=True)
class Option:
    """One choice of a radios, checkboxes or select field, as the HTML form sends it."""

    value: str
    label: str
    hint: str | None = None


@dataclass(frozen=True)
class OptionGroup:
    """Options of one long choice shown under a heading; ``more`` groups sit inside one details element."""

    heading: str
    options: tuple[Option, ...]
    more: bool = False


@dataclass(frozen=True)
class Condition:
    """One clause of ``x-show-when``: an answer chosen for ``field`` is one of ``values``; with ``negate``
    ({"not": [...]}) no answer chosen is one of them ("ask unless blue": asked before the choice is made too)."""

    field: str
    values: tuple[str, ...]
    negate: bool = False

    def holds(self, answer: Any) -> bool:
        answers = [_html(v) for v in answer] if isinstance(answer, list) else [] if answer is None else [_html(answer)]
        if self.negate:
            return not any(a in self.values for a in answers)
        return any(a in self.values for a in answers)

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "values": list(self.values), "not": self.negate}


def _html(value: Any) -> str:
    """An answer as the HTML form sends it ("true"/"false" for booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class Field:
    """One thing the renderer draws: an input (`widget` in WIDGETS), a `group` (an object, drawn as
    a fieldset) or a `repeat` (an array of objects, drawn as a fixed number of `group` rows).

    `path` is the dotted data path ("subjects.0.given_name"); `id` is the same path with hyphens,
    used as the HTML name and id so error-summary links land on the field.
    """

    path: str
    title: str
    widget: str
    hint: str | None = None
    required: bool = False
    options: tuple[Option, ...] = ()
    rows: int = 5
    classes: str | None = None
    autocomplete: str | None = None
    input_type: str = "text"
    children: tuple[Field, ...] = ()
    schema: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    #: Long choices grouped under headings (x-ui.groups); ``more`` is the details element's summary.
    groups: tuple[OptionGroup, ...] = ()
    more: str | None = None
    #: When the field is asked (x-show-when): every clause must hold. Empty: always asked.
    show_when: tuple[Condition, ...] = ()

    @property
    def id(self) -> str:
        return self.path.replace(".", "-")

    @property
    def name(self) -> str:
        """The key of this field in its parent object."""
        return self.path.rsplit(".", 1)[-1]

    @property
    def anchor(self) -> str:
        """The element an error-summary link should focus (the first input of the field)."""
        if self.widget == "date":
            return f"{self.id}-day"
        if self.children:
            return self.children[0].anchor
        return self.id

    @property
    def is_group(self) -> bool:
        return self.widget in ("group", "repeat")

    def value_in(self, values: Mapping[str, Any] | None) -> Any:
        """This field's value in form data (nested dicts and lists), or None."""
        current: Any = values
        for segment in self.path.split("."):
            if isinstance(current, Mapping):
                current = current.get(segment)
            elif isinstance(current, list) and segment.isdigit() and int(segment) < len(current):
                current = current[int(segment)]
            else:
                return None
        return current

    def html_value(self, values: Mapping[str, Any] | None) -> Any:
        """The value as the HTML form sends it: "true"/"false" for booleans, a list for checkboxes."""
        value = self.value_in(values)
        if self.widget == "checkboxes":
            return [str(v) for v in value] if isinstance(value, list) else []
        if isinstance(value, bool):
            return "true" if value else "false"
        return "" if value is None else str(value)

    def date_parts(self, values: Mapping[str, Any] | None) -> dict[str, str]:
        """Day, month and year for the three date inputs, from an ISO date or from what was typed."""
        value = self.value_in(values)
        if isinstance(value, Mapping):
            return {part: str(value.get(part) or "") for part in ("day", "month", "year")}
        if isinstance(value, str):
            try:
                parsed = date.fromisoformat(value)
            except ValueError:
                return {"day": "", "month": "", "year": ""}
            return {"day": str(parsed.day), "month": str(parsed.month), "year": str(parsed.year)}
        return {"day": "", "month": "", "year": ""}

    def error_in(self, errors: Iterable[FieldError] | Mapping[str, str] | None) -> str | None:
        """The message for this field among a list of FieldError (or a field→message dict)."""
        if not errors:
            return None
        if isinstance(errors, Mapping):
            return errors.get(self.path)
        return next((error.message for error in errors if error.field == self.path), None)

    def shown(self, values: Mapping[str, Any] | None) -> bool:
        """Whether the field is asked, given the answers so far (its ``x-show-when``)."""
        return all(c.holds((values or {}).get(c.field)) for c in self.show_when)

    @property
    def revealed(self) -> bool:
        """Asked because of an answer chosen (drawn inset, as GOV.UK reveals are), not just unless one is."""
        return any(not c.negate for c in self.show_when)

    @property
    def show_when_json(self) -> list[dict[str, Any]]:
        return [c.as_json() for c in self.show_when]

    def groups_open(self, values: Mapping[str, Any] | None) -> bool:
        """Whether the 'more' details element starts open: an answer chosen inside it is never hidden."""
        chosen = set(self.html_value(values)) if self.widget == "checkboxes" else {self.html_value(values)}
        return any(o.value in chosen for g in self.groups if g.more for o in g.options)

    def walk(self) -> Iterator[Field]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class FormDefinition:
    """A loaded, checked form: its schema plus the ordered fields the renderer and parser walk."""

    key: str
    title: str
    schema: Mapping[str, Any] = field(compare=False, repr=False)
    fields: tuple[Field, ...] = ()
    description: str | None = None
    submit: str = DEFAULT_SUBMIT
    source: str = ""

    @cached_property
    def validator(self) -> Draft202012Validator:
        """Draft 2020-12, with patterns matched by RE2 (linear time, patterns.py) and finite numbers only."""
        validator: Draft202012Validator = FormValidator(self.schema, format_checker=format_checker())
        return validator

    @cached_property
    def defaults(self) -> dict[str, Any]:
        """Top-level fields with a ``"default"``: the value case data gets when the answer is left out, so a
        diagram can always read the name (an optional list of checkboxes left empty is ``[]``)."""
        return {name: prop["default"] for name, prop in self.schema.get("properties", {}).items()
                if isinstance(prop, Mapping) and "default" in prop}

    def with_defaults(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The answers with each missing defaulted field filled in (a copy: the default is never shared)."""
        return {**{name: json.loads(json.dumps(value)) for name, value in self.defaults.items()
                   if name not in data}, **data}

    @cached_property
    def _index(self) -> dict[str, Field]:
        return {f.path: f for top in self.fields for f in top.walk()}

    @property
    def records(self) -> tuple[str, ...]:
        """Case data the step keeps with its answers (``x-records``): what the person decided *on*, e.g. the
        agencies a decision was made without."""
        names = self.schema.get("x-records") or ()
        return tuple(n for n in names if isinstance(n, str))

    def with_decisions(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The answers plus the decisions a chosen answer stands for (``x-decides`` on a top-level choice):
        "Confirm immediate risk" is the decision rag = red and outcome = strategy discussion, made by the
        person who chose it, so the case records it as theirs, not the process's."""
        decided = dict(answers)
        for name, schema in (self.schema.get("properties") or {}).items():
            stands_for = schema.get("x-decides") if isinstance(schema, Mapping) else None
            if isinstance(stands_for, Mapping) and isinstance(answers.get(name), str):
                for key, value in (stands_for.get(answers[name]) or {}).items():
                    decided.setdefault(key, value)
        return decided

    @cached_property
    def panels(self) -> dict[tuple[str, str], tuple[Field, ...]]:
        """Fields drawn inside one option's GOV.UK conditional reveal: those asked when one radio answer is
        chosen (``x-show-when`` naming one field and one value). Keyed by (the choice's name, the answer)."""
        by_name = {f.name: f for f in self.fields}
        found: dict[tuple[str, str], list[Field]] = {}
        for f in self.fields:
            if len(f.show_when) == 1 and len(f.show_when[0].values) == 1 and not f.show_when[0].negate:
                clause = f.show_when[0]
                if by_name[clause.field].widget in ("radios", "yes-no"):
                    found.setdefault((clause.field, clause.values[0]), []).append(f)
        return {key: tuple(fields) for key, fields in found.items()}

    def panel(self, name: str, value: str) -> tuple[Field, ...]:
        return self.panels.get((name, value), ())

    def in_panel(self, f: Field) -> bool:
        return any(f in fields for fields in self.panels.values())

    @cached_property
    def reveal_choices(self) -> frozenset[str]:
        """The choices other questions depend on: without JavaScript each gets a "Continue" button that shows
        the page again with the questions its answer needs."""
        return frozenset(c.field for f in self.fields for c in f.show_when)

    def asked(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The answers without those to questions not asked (``x-show-when`` does not hold): a hidden field's
        leftover text is never saved. Checked in the form's order, so a question that depends on a hidden
        question is hidden too."""
        kept = dict(data)
        for f in self.fields:
            if f.show_when and not f.shown(kept):
                kept.pop(f.name, None)
        return kept

    def field(self, path: str) -> Field | None:
        """The rendered field at a dotted path, if the HTML form has one."""
        return self._index.get(path)

    def anchor(self, path: str) -> str:
        """The element id an error-summary link for `path` should point at."""
        found = self.field(path)
        return found.anchor if found else path.replace(".", "-")

    def order_key(self, path: str) -> tuple[int, ...]:
        """Sort key putting data paths in the order the form shows them (unknown fields last)."""
        key: list[int] = []
        node: Mapping[str, Any] | None = self.schema
        for segment in path.split(".") if path else []:
            if node is None:
                key.append(10_000)
            elif segment.isdigit() and node.get("type") == "array":
                key.append(int(segment))
                node = node.get("items") if isinstance(node.get("items"), Mapping) else None
                continue
            else:
                order = _ui(node).get("order") or list(node.get("properties", {}))
                key.append(order.index(segment) if segment in order else 10_000)
                node = node.get("properties", {}).get(segment)
        return tuple(key)


def format_checker() -> FormatChecker:
    """The formats forms rely on: `date` (a real calendar date) and a stricter `email`."""
    checker = FormatChecker(["date", "email"])

    @checker.checks("email")
    def is_email(instance: object) -> bool:
        if not isinstance(instance, str):
            return True
        local, at, domain = instance.rpartition("@")
        return bool(at and local and "." in domain.strip(".") and not any(c.isspace() for c in instance))

    return checker


def load_form(path: Path) -> FormDefinition:
    """Read and check one form file; raise FormDefinitionError listing every problem in it."""
    form, problems = _read(Path(path))
    if problems:
        raise _combine(_display(Path(path)), problems)
    if form is None:
        raise RuntimeError(f"{path}: no form was built, yet no problem was found")
    return form


def load_forms(directory: Path) -> dict[str, FormDefinition]:
    """Read every `*.json` in a folder, keyed by file stem; one error lists all broken files."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FormDefinitionError(str(directory), "is not a folder of form definitions")
    forms: dict[str, FormDefinition] = {}
    problems: list[FormDefinitionError] = []
    for path in sorted(directory.glob("*.json")):
        form, found = _read(path)
        problems.extend(found)
        if form is not None:
            forms[form.key] = form
    if problems:
        raise _combine(directory.name or str(directory), problems)
    return forms


def load_form_data(key: str, schema: Any, file: str) -> FormDefinition:
    """Check an already-parsed form (e.g. one stored with a process version); `file` names it in errors."""
    form, problems = _build(key, schema, file)
    if problems:
        raise _combine(file, problems)
    if form is None:
        raise RuntimeError(f"{file}: no form was built, yet no problem was found")
    return form


def _combine(file: str, problems: list[FormDefinitionError]) -> FormDefinitionError:
    """One error for many problems; within one file the message names them all."""
    if len(problems) == 1:
        return problems[0]
    if all(p.file == file for p in problems):
        return FormDefinitionError(file, "; ".join(p.message for p in problems), problems)
    return FormDefinitionError(file, f"{len(problems)} problems in form definitions", problems)


def _display(path: Path) -> str:
    """`forms/screening.json`: short, and the same wherever the app was started from."""
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def _ui(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    ui = schema.get("x-ui")
    return ui if isinstance(ui, Mapping) else {}


def _read(path: Path) -> tuple[FormDefinition | None, list[FormDefinitionError]]:
    file = _display(path)
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        return None, [FormDefinitionError(file, f"cannot be read: {exc.strerror}")]
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        return None, [FormDefinitionError(file, f"is not valid JSON: {exc.msg} ({where})")]
    return _build(path.stem, schema, file)


def _build(key: str, schema: Any, file: str) -> tuple[FormDefinition | None, list[FormDefinitionError]]:
    checker = _Checker(file)
    if not isinstance(schema, dict):
        return None, [FormDefinitionError(file, "must hold a JSON object")]
    try:  # lawful-basis fields take their choices from the hub's maintained list
        schema = dict(with_lawful_bases(schema))
    except LawfulBasisError as exc:
        where = "" if exc.file == "the form" else f"{exc.file} "
        return None, [FormDefinitionError(file, f"{where}{p}") for p in exc.problems]
    if schema.get("$schema") != DRAFT_2020_12:
        checker.problem(f'"$schema" must be "{DRAFT_2020_12}"')
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        checker.problem(f"is not a valid JSON Schema at {exc.json_path}: {exc.message}")
        return None, checker.problems
    for message in pattern_problems(schema):
        checker.problem(message)
    if not isinstance(schema.get("title"), str) or not schema["title"].strip():
        checker.problem('needs a "title" (the page heading)')
    if schema.get("type") != "object":
        checker.problem('"type" must be "object"')
    unknown = set(_ui(schema)) - FORM_UI_KEYS
    if unknown:
        checker.problem(f"x-ui has unknown keys: {', '.join(sorted(unknown))}")
    submit = _ui(schema).get("submit", DEFAULT_SUBMIT)
    if not isinstance(submit, str) or not submit.strip():
        checker.problem("x-ui.submit must be the button text")
    records = schema.get("x-records", [])
    if not isinstance(records, list) or not all(isinstance(n, str) and n.isidentifier() for n in records):
        checker.problem("x-records must list case-data names, e.g. [\"agencies_not_returned\"]")
    fields = checker.object_fields(schema, prefix="")
    fields = checker.show_when(schema, fields)
    if checker.problems:
        return None, checker.problems
    description = schema.get("description")
    return (
        FormDefinition(
            key=key,
            title=schema["title"],
            schema=schema,
            fields=fields,
            description=description if isinstance(description, str) else None,
            submit=submit,
            source=file,
        ),
        [],
    )


class _Checker:
    """Walks a schema once, collecting problems and building the fields."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[FormDefinitionError] = []

    def problem(self, message: str) -> None:
        self.problems.append(FormDefinitionError(self.file, message))

    def object_fields(self, schema: Mapping[str, Any], prefix: str) -> tuple[Field, ...]:
        where = prefix.rstrip(".") or "the form"
        properties = schema.get("properties")
        if not isinstance(properties, Mapping) or not properties:
            self.problem(f"{where}: needs at least one property")
            return ()
        if schema.get("additionalProperties") is not False:
            self.problem(f'{where}: "additionalProperties" must be false, so unknown fields are refused')
        required = schema.get("required", [])
        for name in required:
            if name not in properties:
                self.problem(f'{where}: "required" names "{name}", which is not a property')
        self._check_conditions(schema, properties, where)
        order = _ui(schema).get("order", list(properties))
        if not isinstance(order, list) or not all(isinstance(n, str) for n in order):
            self.problem(f"{where}: x-ui.order must be a list of property names")
            order = list(properties)
        for name in order:
            if name not in properties:
                self.problem(f'{where}: x-ui.order names "{name}", which is not a property')
        for name in properties:
            if name not in order:
                self.problem(f'{where}: property "{name}" is missing from x-ui.order, so it would never be shown')
        if len(set(order)) != len(order):
            self.problem(f"{where}: x-ui.order lists a property twice")
        return tuple(
            self.property_field(properties[name], f"{prefix}{name}", name in required)
            for name in order
            if name in properties and isinstance(properties[name], Mapping)
        )

    def _check_conditions(self, schema: Mapping[str, Any], properties: Mapping[str, Any], where: str) -> None:
        """A conditional rule naming a field the form lacks would make the form impossible to submit."""
        for rule in _conditional_rules(schema):
            names = list(rule.get("required", [])) + list(rule.get("properties", {}))
            for name in names:
                if name not in properties:
                    self.problem(f'{where}: a conditional rule names "{name}", which is not a property')
            for name, sub in rule.get("properties", {}).items():
                if isinstance(sub, Mapping) and "x-ui" in sub:  # a rule's own message for what it refuses
                    ui = _ui(sub)
                    if set(ui) - {"messages"}:
                        self.problem(f"{where}: a conditional rule on \"{name}\" may give only x-ui.messages")
                    self._check_messages(ui, f"{where}: a conditional rule on {name}")

    def _check_decides(self, schema: Mapping[str, Any], path: str) -> None:
        """``x-decides`` maps answers of a top-level choice to the case data each stands for."""
        if "x-decides" not in schema:
            return
        stands_for = schema["x-decides"]
        if "." in path or not isinstance(stands_for, Mapping) or "enum" not in schema:
            self.problem(f"{path}: x-decides belongs on a top-level choice (a property with an enum)")
            return
        for answer, decisions in stands_for.items():
            if answer not in schema["enum"]:
                self.problem(f'{path}: x-decides names "{answer}", which is not one of its choices')
            if not isinstance(decisions, Mapping) or not all(
                    isinstance(k, str) and k.isidentifier() and (v is None or isinstance(v, (str, int, bool)))
                    for k, v in decisions.items()):
                self.problem(f'{path}: x-decides "{answer}" must map case-data names to plain values')

    def property_field(self, schema: Mapping[str, Any], path: str, required: bool) -> Field:
        ui = _ui(schema)
        title = schema.get("title")
        if not isinstance(title, str) or not title.strip():
            self.problem(f'{path}: needs a "title" (its label)')
            title = path
        if "x-ui" in schema and not isinstance(schema["x-ui"], Mapping):
            self.problem(f"{path}: x-ui must be an object")
        unknown = set(ui) - PROPERTY_UI_KEYS
        if unknown:
            self.problem(f"{path}: x-ui has unknown keys: {', '.join(sorted(unknown))}")
        self._check_messages(ui, path)
        self._check_decides(schema, path)
        kind = schema.get("type")
        raw_items = schema.get("items")
        items: Mapping[str, Any] = raw_items if isinstance(raw_items, Mapping) else {}
        common: dict[str, Any] = {"path": path, "title": title, "hint": ui.get("hint"), "required": required,
                                  "schema": schema}

        if kind == "object":
            self._no_widget(ui, path, "an object")
            return Field(widget="group", children=self.object_fields(schema, f"{path}."), **common)
        if kind == "array" and items.get("type") == "object":
            self._no_widget(ui, path, "a list of objects")
            return Field(widget="repeat", children=self._repeat_rows(schema, items, path, ui), **common)

        if "default" in schema and not Draft202012Validator(schema, format_checker=format_checker()).is_valid(
                schema["default"]):
            self.problem(f'{path}: its "default" is not one of the answers the field accepts')
        widget, values = self._widget_and_values(schema, items, path, ui)
        options = self._options(ui, values, path) if values is not None else ()
        rows = ui.get("rows", 5)
        if not isinstance(rows, int) or isinstance(rows, bool) or rows < 1:
            self.problem(f"{path}: x-ui.rows must be a whole number above 0")
            rows = 5
        input_type = "text"
        if schema.get("format") == "email":
            input_type = "email"
        elif ui.get("autocomplete") == "tel":
            input_type = "tel"
        groups, more = self._groups(ui, options, widget, path)
        return Field(
            widget=widget,
            options=options,
            groups=groups,
            more=more,
            rows=rows,
            classes=ui.get("classes"),
            autocomplete=ui.get("autocomplete"),
            input_type=input_type,
            **common,
        )

    def _groups(self, ui: Mapping[str, Any], options: tuple[Option, ...], widget: str,
                path: str) -> tuple[tuple[OptionGroup, ...], str | None]:
        """``x-ui.groups``: every option under exactly one heading, most used first; ``"more": true`` groups go
        inside a details element headed ``x-ui.more``."""
        raw = ui.get("groups")
        if raw is None:
            if "more" in ui:
                self.problem(f"{path}: x-ui.more belongs with x-ui.groups")
            return (), None
        if widget != "checkboxes":
            self.problem(f"{path}: x-ui.groups suits checkboxes only")
            return (), None
        by_value = {o.value: o for o in options}
        groups: list[OptionGroup] = []
        seen: list[str] = []
        if not isinstance(raw, list) or not raw:
            self.problem(f"{path}: x-ui.groups must be a list of {{\"heading\", \"options\"}}")
            return (), None
        for group in raw:
            heading = group.get("heading") if isinstance(group, Mapping) else None
            values = group.get("options") if isinstance(group, Mapping) else None
            more = group.get("more", False) if isinstance(group, Mapping) else False
            if not isinstance(heading, str) or not heading.strip() or not isinstance(values, list) \
                    or not values or not isinstance(more, bool) or set(group) - {"heading", "options", "more"}:
                self.problem(f"{path}: each of x-ui.groups needs a \"heading\", a list of \"options\" and may say "
                             "\"more\": true")
                continue
            for value in values:
                if value not in by_value:
                    self.problem(f'{path}: x-ui.groups names "{value}", which is not one of its values')
            seen.extend(values)
            groups.append(OptionGroup(heading, tuple(by_value[v] for v in values if v in by_value), more))
        twice = sorted({v for v in seen if seen.count(v) > 1})
        if twice:
            self.problem(f"{path}: x-ui.groups lists {', '.join(twice)} more than once")
        missing = [v for v in by_value if v not in seen]
        if missing:
            self.problem(f"{path}: x-ui.groups leaves out {', '.join(missing)}, so it could never be chosen")
        more_text = ui.get("more", DEFAULT_MORE)
        if not isinstance(more_text, str) or not more_text.strip():
            self.problem(f"{path}: x-ui.more must be the details element's summary text")
            more_text = DEFAULT_MORE
        return tuple(groups), more_text if any(g.more for g in groups) else None

    def show_when(self, schema: Mapping[str, Any], fields: tuple[Field, ...]) -> tuple[Field, ...]:
        """Top-level ``x-show-when``: each clause names an earlier choice on the form and answers it offers,
        and a field asked only sometimes is never required outright (its condition's rule requires it)."""
        properties = schema.get("properties") or {}
        required = set(schema.get("required") or ())
        names = [f.name for f in fields]
        built: list[Field] = []
        for name, prop in properties.items():
            self._no_nested_show_when(prop, name, top=True)
        for f in fields:
            raw = properties.get(f.name, {}).get(SHOW_WHEN) if isinstance(properties.get(f.name), Mapping) else None
            if raw is None:
                built.append(f)
                continue
            where = f"{f.name}: {SHOW_WHEN}"
            if not isinstance(raw, Mapping) or not raw:
                self.problem(f'{where} must map earlier choices to answers, e.g. {{"consent": ["refused"]}}')
                built.append(f)
                continue
            if f.name in required:
                self.problem(f"{where}: a field asked only sometimes cannot be in \"required\" (require it in the "
                             "rule for its condition)")
            clauses = []
            for name, answers in raw.items():
                negate = isinstance(answers, Mapping)
                values = answers.get("not") if isinstance(answers, Mapping) and set(answers) == {"not"} else answers
                controller = next((c for c in fields if c.name == name), None)
                if controller is None or names.index(name) >= names.index(f.name):
                    self.problem(f'{where} names "{name}", which is not a choice earlier on the form')
                    continue
                offered = {o.value for o in controller.options}
                if not offered:
                    self.problem(f'{where} names "{name}", which offers no answers to choose')
                    continue
                if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
                    self.problem(f'{where}: "{name}" must list answers, or {{"not": [answers]}}')
                    continue
                for value in values:
                    if value not in offered:
                        self.problem(f'{where}: "{value}" is not one of the answers "{name}" offers')
                clauses.append(Condition(name, tuple(values), negate))
            built.append(replace(f, show_when=tuple(clauses)))
        return tuple(built)

    def _no_nested_show_when(self, schema: Any, name: str, top: bool) -> None:
        """Only top-level questions are asked conditionally: a nested x-show-when would be silently ignored."""
        if not isinstance(schema, Mapping):
            return
        if not top and SHOW_WHEN in schema:
            self.problem(f"{name}: {SHOW_WHEN} is only for the form's top-level questions")
        for child in (schema.get("properties") or {}).values():
            self._no_nested_show_when(child, name, top=False)
        items = schema.get("items")
        if isinstance(items, Mapping):
            self._no_nested_show_when(items, name, top=False)

    def _repeat_rows(
        self, schema: Mapping[str, Any], items: Mapping[str, Any], path: str, ui: Mapping[str, Any]
    ) -> tuple[Field, ...]:
        repeat = ui.get("repeat", DEFAULT_REPEAT)
        if not isinstance(repeat, int) or isinstance(repeat, bool) or not 1 <= repeat <= 20:
            self.problem(f"{path}: x-ui.repeat must be a whole number from 1 to 20")
            repeat = DEFAULT_REPEAT
        if isinstance(schema.get("maxItems"), int):
            repeat = min(repeat, schema["maxItems"])
        item_title = items.get("title")
        if not isinstance(item_title, str) or not item_title.strip():
            self.problem(f'{path}: its "items" need a "title" (each row is headed "<title> 1", "<title> 2", ...)')
            item_title = "Item"
        rows = []
        for index in range(repeat):
            checker = self if index == 0 else _Checker(self.file)  # report each problem once
            row_path = f"{path}.{index}"
            rows.append(
                Field(
                    path=row_path,
                    title=f"{item_title} {index + 1}",
                    widget="group",
                    hint=_ui(items).get("hint"),
                    children=checker.object_fields(items, f"{row_path}."),
                    schema=items,
                )
            )
        return tuple(rows)

    def _widget_and_values(
        self, schema: Mapping[str, Any], items: Mapping[str, Any], path: str, ui: Mapping[str, Any]
    ) -> tuple[str, list[str] | None]:
        """The widget to draw and the option values it offers (None for free entry)."""
        kind = schema.get("type")
        widget = ui.get("widget")
        if widget is not None and widget not in WIDGETS:
            self.problem(f'{path}: unknown widget "{widget}" (known: {", ".join(sorted(WIDGETS))})')
            widget = None

        if kind == "array":
            enum = items.get("enum")
            if not isinstance(enum, list) or not all(isinstance(v, str) for v in enum):
                self.problem(f"{path}: a list field needs items with an enum of strings")
                enum = []
            if schema.get("uniqueItems") is not True:
                self.problem(f'{path}: a list of choices needs "uniqueItems": true')
            return self._allowed(widget or "checkboxes", {"checkboxes"}, path), enum
        if kind == "boolean":
            return self._allowed(widget or "yes-no", {"yes-no", "radios"}, path), ["true", "false"]
        if kind == "string" and "enum" in schema:
            enum = schema["enum"]
            if not all(isinstance(v, str) for v in enum):
                self.problem(f"{path}: enum values must be strings")
            return self._allowed(widget or "radios", {"radios", "select"}, path), [str(v) for v in enum]
        if kind == "string" and schema.get("format") == "date":
            return self._allowed(widget or "date", {"date"}, path), None
        if kind == "string":
            if not isinstance(schema.get("maxLength"), int):
                self.problem(f'{path}: free text needs a "maxLength"')
            return self._allowed(widget or "text", {"text", "textarea"}, path), None
        if kind in ("integer", "number"):
            return self._allowed(widget or "text", {"text"}, path), None
        self.problem(f'{path}: cannot draw a field of type "{kind}"')
        return "text", None

    def _allowed(self, widget: str, allowed: set[str], path: str) -> str:
        if widget not in allowed:
            self.problem(f'{path}: widget "{widget}" does not suit this field (use {" or ".join(sorted(allowed))})')
            return sorted(allowed)[0]
        return widget

    def _no_widget(self, ui: Mapping[str, Any], path: str, what: str) -> None:
        if "widget" in ui:
            self.problem(f"{path}: {what} is drawn as a group of fields and takes no widget")

    def _options(self, ui: Mapping[str, Any], values: list[str], path: str) -> tuple[Option, ...]:
        labels = ui.get("labels", {})
        hints = ui.get("hints", {})
        for key, mapping in (("labels", labels), ("hints", hints)):
            if not isinstance(mapping, Mapping):
                self.problem(f"{path}: x-ui.{key} must map option values to text")
                continue
            for value in mapping:
                if value not in values:
                    self.problem(f'{path}: x-ui.{key} names "{value}", which is not one of its values')
        labels = labels if isinstance(labels, Mapping) else {}
        hints = hints if isinstance(hints, Mapping) else {}
        defaults = {"true": "Yes", "false": "No"}
        return tuple(
            Option(value=v, label=labels.get(v) or defaults.get(v) or v, hint=hints.get(v)) for v in values
        )

    def _check_messages(self, ui: Mapping[str, Any], path: str) -> None:
        messages = ui.get("messages", {})
        if not isinstance(messages, Mapping):
            self.problem(f"{path}: x-ui.messages must map keywords to messages")
            return
        for keyword, text in messages.items():
            if keyword not in MESSAGE_KEYS:
                self.problem(f'{path}: x-ui.messages has unknown keyword "{keyword}"')
            if not isinstance(text, str) or not text.strip():
                self.problem(f'{path}: x-ui.messages["{keyword}"] must be text')


def _conditional_rules(schema: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The subschemas of allOf/anyOf/oneOf/not/if/then/else that apply to this same object."""
    for keyword in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(keyword, []):
            if isinstance(sub, Mapping):
                yield sub
                yield from _conditional_rules(sub)
    for keyword in ("if", "then", "else", "not"):
        sub = schema.get(keyword)
        if isinstance(sub, Mapping):
            yield sub
            yield from _conditional_rules(sub)
