"""The API's one error body, ``{"errors": [{"field": ..., "message": ...}]}``, and how a refusal becomes one.

Everything that answers a JSON request with an error builds it here: the API's views and its OperationError
handler, the access rule (401/403) and the web refusal pages (404, 405, 413, 500, CSRF) when asked under /api/.
"""
from __future__ import annotations

from collections.abc import Iterable

from flask import Response, jsonify

from app.core.errors import FieldError, OperationError, ValidationFailed


def error_response(status: int, errors: list[dict]) -> Response:
    """The error body with its status. ``errors`` are usually {field, message}; a refused deployment lists
    its problems (file, element, line) instead."""
    response = jsonify({"errors": errors})
    response.status_code = status
    return response


def refusal(status: int, message: str) -> Response:
    """One message about the request as a whole (no field)."""
    return error_response(status, [{"field": None, "message": message}])


def invalid(errors: Iterable[FieldError]) -> Response:
    """422: the input's problems, one per field; nothing was stored."""
    return error_response(422, [{"field": e.field, "message": e.message} for e in errors])


def operation_error(error: OperationError) -> Response:
    """The API blueprint's handler for a refusal an operation raised."""
    if isinstance(error, ValidationFailed):
        return invalid(error.errors)
    return refusal(error.status, error.message)
