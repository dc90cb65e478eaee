"""Refusals on pages, shown in one place.

An operation refuses with an OperationError (app.core.errors). Views do not catch it: the page's error
handler rolls the action back (app.web.unit_of_work) and shows the refusal the way the view asked before
acting, the first that fits:

- ``read_form``: a posted GOV.UK form's invalid answers go back to the form, with its error summary;
- ``on_refusal``: any refusal shown by the view's own page (an error summary on the page);
- ``go_back_to``: the refusal's message as a notice on the page the person came from;
- otherwise the GOV.UK error page with the refusal's status (404s as the ordinary "Page not found").

The JSON API has its own handler (app.api) with the same rollback.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask, flash, g, redirect, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from app.core.errors import Conflict, FieldError, NotFound, OperationError, ValidationFailed
from app.forms import FormDefinition, parse_html
from app.web.security import NOT_FOUND, refusal_response
from app.web.unit_of_work import refuse_action

Show = Callable[[OperationError], ResponseReturnValue]


def on_refusal(show: Show, *kinds: type[OperationError]) -> None:
    """Refusals of these kinds (any, if none is named) in this request are shown by ``show``."""
    g.setdefault("refusal_pages", []).append((kinds or (OperationError,), show))


def go_back_to(url: str, *kinds: type[OperationError]) -> None:
    """Refusals of these kinds (a Conflict, if none is named) send the person to ``url`` with the reason."""
    def notice(refusal: OperationError) -> ResponseReturnValue:
        flash(refusal.message, "info")
        return redirect(url)
    on_refusal(notice, *(kinds or (Conflict,)))


def read_form(form: FormDefinition, page: Callable[[dict, list[FieldError]], ResponseReturnValue]) -> dict:
    """The posted form's answers, parsed. Invalid answers, found here or by the operation, are shown by
    ``page(values, errors)``: the form again, with what was typed and the error summary."""
    values, errors = parse_html(form, request.form)
    on_refusal(lambda refusal: page(values, refusal.errors if isinstance(refusal, ValidationFailed) else []),
               ValidationFailed)
    if errors:
        raise ValidationFailed(errors)
    return values


def _error_page(refusal: OperationError) -> ResponseReturnValue:
    if isinstance(refusal, NotFound):
        return refusal_response(404, NOT_FOUND)
    return refusal_response(refusal.status, refusal.message)


def register(app: Flask) -> None:
    @app.errorhandler(OperationError)
    def _refused(refusal: OperationError) -> ResponseReturnValue:
        refuse_action(refusal)
        for kinds, show in g.get("refusal_pages", ()):
            if isinstance(refusal, kinds):
                try:
                    return show(refusal)
                except OperationError as instead:  # the page itself is refused (another role's task)
                    return _error_page(instead)
                except HTTPException as missing:  # or gone
                    return app.handle_http_exception(missing)
        return _error_page(refusal)
