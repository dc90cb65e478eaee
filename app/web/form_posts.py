"""One way every page handles a posted GOV.UK form: parse it, act on it, or send field errors back."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import request

from app.core.db import get_db
from app.core.errors import FieldError, ValidationFailed
from app.forms import FormDefinition, parse_html

T = TypeVar("T")


def submit_form(form: FormDefinition, action: Callable[[dict], T]) -> tuple[T | None, dict, list[FieldError]]:
    """Parse the posted form and, when it is valid, run ``action(values)``.

    Field errors (from parsing, or the operation's own validation) come back with the values for the
    error summary; any other refusal propagates for the page to answer."""
    values, errors = parse_html(form, request.form)
    get_db().session.rollback()  # end the page's read before the operation's own transaction
    if errors:
        return None, values, errors
    try:
        return action(values), values, []
    except ValidationFailed as failure:
        return None, values, failure.errors
