"""JSON API v1 for partner systems: the same operations as the pages, bearer-token authenticated.

This package holds what every API route shares: THE blueprint (``bp``, under /api/v1), reading a JSON body,
the error body (app/api/errors.py) and the OpenAPI document's common parts (app/api/openapi.py). The routes
themselves live beside their feature, in ``app/<feature>/api.py``, listed once in app/api/routes.py.
"""
from __future__ import annotations

from flask import Blueprint, Response, request

from app.api.errors import operation_error
from app.core.errors import FieldError, OperationError, ValidationFailed
from app.web.unit_of_work import refuse_action

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.errorhandler(OperationError)
def _refused(error: OperationError) -> Response:
    """The API's one handler for refusals: the action is rolled back (app/web/unit_of_work.py), the answer is
    the error body."""
    refuse_action(error)
    return operation_error(error)


def json_body() -> dict:
    """The request's JSON object; anything else is refused (400 not JSON, 422 not an object)."""
    if not request.is_json:
        raise OperationError("Send the body as JSON with Content-Type: application/json.")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed([FieldError(None, "The body must be a JSON object.")])
    return body
