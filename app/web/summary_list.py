"""GOV.UK Frontend's summary list, rendered by its own macro once per shape of list and filled in after.

The case page shows up to a dozen summary lists (the contact, the decision, each agency return and sharing
decision); the macro (a loop with `set` blocks, filters and an attributes import on every call) cost about a fifth
of rendering it (issue 20). For the plain lists the hub shows, rows of a key and a value given as text or html and
nothing else, the output is the macro's text around each key and value: rendered once per shape (how many rows,
which are html) with a marker in each place, it is then filled in exactly as the macro would (text escaped; html
trimmed and indented). Anything else (actions, classes, attributes, a card) goes to the macro itself.
"""
from __future__ import annotations

from typing import Any

from flask import current_app
from jinja2.filters import do_indent
from markupsafe import Markup, escape

MACRO = "govuk_frontend_jinja/components/summary-list/macro.html"
#: (key's kind, value's kind) per row -> the macro's output split at the markers: [text, slot, text, slot, ...].
_shapes: dict[tuple[tuple[str, str], ...], list[str]] = {}
_MARK = "\x00mash-summary-list\x00"


def _part(part: Any) -> str | None:
    """'html' or 'text' for a key or value of just that; None for anything the macro does more with."""
    if not isinstance(part, dict) or len(part) != 1:
        return None
    kind = next(iter(part))
    return kind if kind in ("html", "text") and (kind == "text" or part[kind]) else None


def _shape(params: dict[str, Any]) -> tuple[tuple[str, str], ...] | None:
    if set(params) != {"rows"}:
        return None
    shape = []
    for row in params["rows"]:
        if not isinstance(row, dict) or set(row) != {"key", "value"}:
            return None
        key, value = _part(row["key"]), _part(row["value"])
        if key is None or value is None:
            return None
        shape.append((key, value))
    return tuple(shape)


def _fill(kind: str, part: dict[str, Any]) -> str:
    """As the macro puts a key or value: ``html | safe | trim | indent(6)``, or the text escaped."""
    if kind == "html":
        return str(do_indent(Markup(part["html"]).strip(), 6))  # noqa: S704  (html the caller marked safe)
    return str(escape(part["text"]))


def summary_list(params: dict[str, Any]) -> Markup:
    """govukSummaryList(params), byte for byte."""
    macro = current_app.jinja_env.get_template(MACRO).module.govukSummaryList  # type: ignore[attr-defined]
    shape = _shape(params)
    if shape is None:
        return Markup(macro(params))  # noqa: S704  (the macro's own output)
    pieces = _shapes.get(shape)
    if pieces is None:
        marked = [{"key": {kind: Markup(_MARK)}, "value": {kind_v: Markup(_MARK)}}  # noqa: S704  (a constant)
                  for kind, kind_v in shape]
        pieces = str(macro({"rows": marked})).split(_MARK)
        if len(pieces) != 2 * len(shape) + 1:  # a marker lost or doubled: never cache what cannot be filled
            return Markup(macro(params))  # noqa: S704  (the macro's own output)
        _shapes[shape] = pieces
    out = [pieces[0]]
    for index, (row, (key, value)) in enumerate(zip(params["rows"], shape, strict=True)):
        out += [_fill(key, row["key"]), pieces[2 * index + 1], _fill(value, row["value"]), pieces[2 * index + 2]]
    return Markup("".join(out))  # noqa: S704  (the macro's text around values escaped or marked safe as it would)
