"""Validation: one jsonschema check for HTML posts and API calls alike, in words a practitioner reads.

jsonschema reports what a schema author needs ("'rag' is a required property"); this module turns
each error into a GOV.UK-style message on the field a person has to fix, taken from the field's
`x-ui.messages` where the form gives one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from jsonschema.exceptions import ValidationError

from app.core.errors import FieldError

from .definitions import FormDefinition, _ui

#: When a field has several errors, the one a person should fix first wins.
_PRIORITY = [
    "required", "type", "enum", "const", "format", "minItems", "minLength", "maxLength", "maxItems", "contains",
]

#: Keywords whose errors, on a choice field, say the same thing as "you have not chosen yet".
_LIKE_REQUIRED = {"enum", "const", "contains", "minItems", "type"}


def validate(form: FormDefinition, data: Mapping[str, Any]) -> list[FieldError]:
    """Check data against the form; one message per field, in the order the form shows them.

    Blank strings count as not given, exactly as the HTML parser drops empty inputs, so an API
    call and a browser post of the same answers always get the same errors.
    """
    if not isinstance(data, Mapping):
        return [FieldError("", "Send the form as a JSON object")]
    found: dict[str, tuple[int, str]] = {}
    for error in form.validator.iter_errors(_without_blanks(data)):
        rank = _PRIORITY.index(error.validator) if error.validator in _PRIORITY else len(_PRIORITY)
        for path, message in _describe(form, error):
            if path not in found or rank < found[path][0]:
                found[path] = (rank, message)
    ordered = sorted(found, key=form.order_key)
    return [FieldError(path, found[path][1], form.anchor(path)) for path in ordered]


def _without_blanks(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            k: _without_blanks(v) for k, v in value.items() if not (isinstance(v, str) and not v.strip())
        }
    if isinstance(value, list):
        return [_without_blanks(v) for v in value]
    return value


def _describe(form: FormDefinition, error: ValidationError) -> list[tuple[str, str]]:
    """The (field path, message) pairs one jsonschema error stands for."""
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, Mapping):
        missing = [name for name in cast(list[str], error.validator_value) if name not in error.instance]
        return [_message_for(form, [*path, name], "required", error) for name in missing]
    if error.validator in ("additionalProperties", "unevaluatedProperties") and isinstance(error.instance, Mapping):
        known = error.schema.get("properties", {}) if isinstance(error.schema, Mapping) else {}
        extras = [name for name in error.instance if name not in known]
        return [(".".join([*path, name]), f"{'.'.join([*path, name])} is not a field of this form") for name in extras]
    return [_message_for(form, path, str(error.validator), error)]


def _message_for(form: FormDefinition, path: Sequence[str], keyword: str, error: ValidationError) -> tuple[str, str]:
    field_path, schema = _field_at(form.schema, path)
    rule = _ui(error.schema) if isinstance(error.schema, Mapping) else {}
    if isinstance(rule.get("messages"), Mapping) and keyword in rule["messages"]:
        return field_path, rule["messages"][keyword]  # a conditional rule's own words, e.g. "not again"
    ui = _ui(schema)
    messages = ui.get("messages", {}) if isinstance(ui.get("messages"), Mapping) else {}
    if keyword in messages:
        return field_path, messages[keyword]
    choice = _is_choice(schema)
    if keyword in _LIKE_REQUIRED and "required" in messages and (choice or keyword != "type"):
        return field_path, messages["required"]
    return field_path, _default_message(schema, keyword, error, choice)


def _field_at(root: Mapping[str, Any], path: Sequence[str]) -> tuple[str, Mapping[str, Any]]:
    """The deepest field along a data path, and its schema.

    An index into a list of choices ("agencies.2") is not a field of its own: the error belongs
    to the list. Names the schema does not know stop the walk too.
    """
    node: Mapping[str, Any] = root
    taken: list[str] = []
    for segment in path:
        if node.get("type") == "array":
            items = node.get("items")
            if not (segment.isdigit() and isinstance(items, Mapping) and items.get("type") == "object"):
                break
            node = items
        else:
            child = node.get("properties", {}).get(segment)
            if not isinstance(child, Mapping):
                taken.append(segment)
                return ".".join(taken), {}
            node = child
        taken.append(segment)
    return ".".join(taken), node


def _is_choice(schema: Mapping[str, Any]) -> bool:
    raw_items = schema.get("items")
    items: Mapping[str, Any] = raw_items if isinstance(raw_items, Mapping) else {}
    return "enum" in schema or schema.get("type") == "boolean" or "enum" in items


def _default_message(schema: Mapping[str, Any], keyword: str, error: ValidationError, choice: bool) -> str:
    """GOV.UK-style wording for forms that give no message of their own."""
    title = _plain_title(schema)
    lower = _lower_first(title)
    value = error.validator_value
    kind = schema.get("type")
    if keyword == "required" or (keyword in _LIKE_REQUIRED and choice):
        if kind == "array" and schema.get("items", {}).get("type") == "object":
            return f"Add {lower}"
        return f"Select {lower}" if choice else f"Enter {lower}"
    if keyword == "format":
        if value == "date":
            return f"{title} must be a real date"
        if value == "email":
            return "Enter an email address in the correct format, like name@example.com"
        return f"{title} is not in the right format"
    if keyword == "maxLength":
        return f"{title} must be {value:,} characters or fewer"
    if keyword == "minLength":
        return f"{title} must be {value:,} characters or more"
    if keyword == "minItems":
        return f"Add at least {value} – {lower}"
    if keyword == "maxItems":
        return f"{title} must have {value} or fewer entries"
    if keyword == "uniqueItems":
        return f"{title} lists the same answer more than once"
    if keyword == "type":
        words = {"string": "text", "integer": "a whole number", "number": "a number", "object": "a group of fields",
                 "array": "a list", "boolean": "true or false"}
        return f"{title} must be {words.get(str(value), str(value))}"
    if keyword in ("minimum", "exclusiveMinimum"):
        return f"{title} must be {value} or more"
    if keyword in ("maximum", "exclusiveMaximum"):
        return f"{title} must be {value} or less"
    return f"{title} is not valid"


def _plain_title(schema: Mapping[str, Any]) -> str:
    title = str(schema.get("title") or "This field")
    return title.removesuffix(" (optional)").rstrip("?").strip()


def _lower_first(text: str) -> str:
    """'Full name' → 'full name', but 'RAG rating' stays as it is."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text
