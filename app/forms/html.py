"""HTML posts → the same JSON an API client would send, then the same validate().

Browsers send strings: empty inputs, a list for checkboxes, "true"/"false" for yes-no radios and
three inputs for a date. Turning those into JSON here, and nowhere else, is what keeps the
browser and the API from ever disagreeing about what is valid.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from datetime import date
from typing import Any, Protocol

from app.core.errors import FieldError

from .definitions import Field, FormDefinition, _ui
from .validation import _plain_title, validate

_DATE_PARTS = ("day", "month", "year")


class FormData(Protocol):
    """What parse_html reads: werkzeug's MultiDict (request.form) fits."""

    def get(self, key: str, default: str) -> str: ...
    def getlist(self, key: str) -> list[Any]: ...


def parse_html(form: FormDefinition, formdata: FormData) -> tuple[dict[str, Any], list[FieldError]]:
    """Read a posted GOV.UK form into JSON data and check it; errors are in the order shown.

    Only the form's own inputs are read (a CSRF token or button name is ignored), and only for the questions
    the answers ask (``x-show-when``). When the errors are not empty the data is for showing the form again,
    not for saving: a date that could not be read is kept as the typed {"day", "month", "year"} so the
    person sees what they entered.
    """
    data, problems = _read(form.fields, formdata)
    # A question the page did not ask (its x-show-when does not hold) was hidden: what is left in it is dropped.
    data = form.asked(data)
    problems = [(path, message) for path, message in problems if path[0] in data]
    parse_errors = {".".join(path): message for path, message in problems}
    # Errors of a form's own fields always name the field (only a whole request's problem has none).
    errors = {e.field or "": e.message for e in validate(form, _without(data, [path for path, _ in problems]))}
    errors.update(parse_errors)  # "must be a real date" beats "Enter the date"
    ordered = sorted(errors, key=form.order_key)
    return data, [FieldError(path, errors[path], form.anchor(path)) for path in ordered]


Problems = list[tuple[list[str], str]]


def _read(fields: Sequence[Field], formdata: FormData) -> tuple[dict[str, Any], Problems]:
    data: dict[str, Any] = {}
    problems: Problems = []
    for field in fields:
        if field.widget == "group":
            value, found = _read(field.children, formdata)
            if value or field.required:  # an empty required group still reports its own fields
                data[field.name] = value
            problems.extend(([field.name, *path], message) for path, message in found)
        elif field.widget == "repeat":
            rows: list[dict[str, Any]] = []
            for row in field.children:  # rows left wholly empty are ignored; the rest close up
                value, found = _read(row.children, formdata)
                if value or found:
                    problems.extend(([field.name, str(len(rows)), *path], message) for path, message in found)
                    rows.append(value)
            if rows:
                data[field.name] = rows
        elif field.widget == "date":
            typed, message = _read_date(field, formdata)
            if typed is not None:
                data[field.name] = typed
            if message:
                problems.append(([field.name], message))
        else:
            value = _read_value(field, formdata)
            if value is not None:
                data[field.name] = value
    return data, problems


def _read_value(field: Field, formdata: FormData) -> Any:
    kind = field.schema.get("type")
    if field.widget == "checkboxes":
        chosen = [str(v).strip() for v in formdata.getlist(field.id)]
        chosen = [v for v in chosen if v]
        return chosen or None
    raw = str(formdata.get(field.id, "") or "")
    if field.widget == "textarea":
        raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    raw = raw.strip()
    if not raw:
        return None
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw, raw)  # anything else fails the type check
    if kind == "integer":
        return int(raw) if raw.lstrip("-").isdigit() else raw
    if kind == "number":
        try:
            number = float(raw)
        except ValueError:
            return raw
        return number if math.isfinite(number) else raw  # "nan", "inf": shown back as typed, refused as not a number
    return raw


def _read_date(field: Field, formdata: FormData) -> tuple[str | dict[str, str] | None, str | None]:
    """An ISO date from the day, month and year inputs, or what was typed and why it is wrong."""
    parts = {part: str(formdata.get(f"{field.id}-{part}", "") or "").strip() for part in _DATE_PARTS}
    if not any(parts.values()):
        return None, None
    messages = _ui(field.schema).get("messages", {})
    subject = _date_subject(field)
    missing = [part for part in _DATE_PARTS if not parts[part]]
    if missing:
        incomplete = messages.get("incomplete") or f"{subject} must include a {' and '.join(missing)}"
        return parts, incomplete
    not_real = messages.get("format") or f"{subject} must be a real date"
    if not all(parts[p].isdigit() for p in _DATE_PARTS) or len(parts["year"]) != 4:
        return parts, not_real
    try:
        value = date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        return parts, not_real
    return value.isoformat(), None


def _date_subject(field: Field) -> str:
    """What the date is, for 'X must include a month': taken from the form's own 'X must be a real
    date' message where there is one, as titles are often questions."""
    message = _ui(field.schema).get("messages", {}).get("format", "")
    suffix = " must be a real date"
    if message.endswith(suffix):
        return message.removesuffix(suffix)
    return _plain_title(field.schema)


def _without(data: dict[str, Any], paths: list[list[str]]) -> dict[str, Any]:
    """A copy of data without the values that could not be read: their own message already says
    what is wrong, so validate() should not add "Enter the date" on top."""
    clean = copy.deepcopy(data)
    for path in paths:
        node: Any = clean
        for segment in path[:-1]:
            node = node[int(segment)] if isinstance(node, list) else node[segment]
        node.pop(path[-1], None)
    return clean
