"""Form ``pattern`` values run on RE2, a linear-time engine, so no answer can stall a worker.

jsonschema matches ``pattern`` with Python's ``re``, which backtracks: ``^(a+)+$`` against forty a's and a b
takes longer than the age of the universe. RE2 answers in time proportional to the text, whatever the
pattern; the price is that it has no backreferences and no lookaround, so a form whose pattern needs them is
refused when it is deployed (with the field), never tried on a practitioner's answer.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

import re2  # type: ignore[import-untyped]  # google-re2 ships no type information
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from jsonschema.validators import extend

#: RE2's own memory cap for one compiled pattern (its default is 8 MiB); a form's pattern needs far less.
_MAX_MEMORY = 1 << 20


class PatternError(ValueError):
    """A pattern RE2 cannot compile: the reason in RE2's words."""


@lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> Any:
    """The compiled RE2 pattern; raises PatternError when RE2 cannot run it in linear time."""
    options = re2.Options()
    options.log_errors = False
    options.max_mem = _MAX_MEMORY
    try:
        return re2.compile(pattern, options)
    except re2.error as error:
        reason = error.args[0] if error.args else error
        raise PatternError(reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)) from None


def _pattern(validator: Any, pattern: str, instance: Any, schema: Mapping[str, Any]) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "string"):
        return
    try:
        matched = compile_pattern(pattern).search(instance)
    except PatternError as error:  # never for a loaded form: load_form_data refuses the pattern first
        yield ValidationError(f"the form's pattern {pattern!r} cannot be used: {error}")
        return
    if matched is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator: Any, patterns: Mapping[str, Any], instance: Any,
                        schema: Mapping[str, Any]) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for name, value in instance.items():
            try:
                found = compile_pattern(pattern).search(name) is not None
            except PatternError as error:
                yield ValidationError(f"the form's pattern {pattern!r} cannot be used: {error}")
                return
            if found:
                yield from validator.descend(value, subschema, path=name, schema_path=pattern)


#: Draft 2020-12 with ``pattern`` and ``patternProperties`` matched by RE2.
PatternValidator = extend(Draft202012Validator, {"pattern": _pattern, "patternProperties": _pattern_properties})


def pattern_problems(schema: Any, path: str = "") -> list[str]:
    """Every pattern in a schema RE2 cannot compile, as a message naming its field."""
    problems: list[str] = []
    if isinstance(schema, Mapping):
        where = f"field {path}" if path else "the form"
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            problems += _problem(where, pattern)
        patterns = schema.get("patternProperties")
        if isinstance(patterns, Mapping):
            for key in patterns:
                problems += _problem(where, key)
        for key, value in schema.items():
            if key == "properties" and isinstance(value, Mapping):
                for name, child in value.items():
                    problems += pattern_problems(child, f"{path}.{name}" if path else str(name))
            elif key not in ("pattern", "properties", "x-ui"):
                problems += pattern_problems(value, path)
    elif isinstance(schema, list):
        for item in schema:
            problems += pattern_problems(item, path)
    return problems


def _problem(where: str, pattern: str) -> list[str]:
    try:
        compile_pattern(pattern)
    except PatternError as error:
        return [(f"{where}: the pattern {pattern!r} cannot be used ({error}): patterns must run in linear time, "
                 "so backreferences (\\1) and lookaround ((?=...), (?!...), (?<=...)) are not allowed")]
    return []
