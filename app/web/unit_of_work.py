"""One unit of work per request: the request boundary commits once.

Views call operations and return. At the end of the request everything it did commits together: who asked
(a session's activity, a token's use), the action, and its audit events. A refusal (an OperationError that
reaches the error handlers) rolls the action back while still committing who asked and the security events
the action queued; an error (5xx) keeps nothing. Effects an operation queued for after the commit (waking
the scheduler) run only once it has committed (app.core.db.after_commit).
"""
from __future__ import annotations

from flask import Flask, Response, g, request

from app.core.db import end_request_unit, open_request_unit, request_unit
from app.core.errors import OperationError

#: Requests that only read: they begin without SQLite's write lock (app.core.db.RequestUnit).
READS = frozenset({"GET", "HEAD", "OPTIONS"})


def refuse_action(refusal: OperationError) -> None:
    """Called by the error handlers of pages and of the API when an operation refuses. The refusal stays on
    the request (``g.refusal``) for the hooks that record refused access (app.web.access)."""
    g.refusal = refusal
    unit = request_unit()
    if unit is not None:
        unit.refuse(earlier_steps_stand=refusal.earlier_steps_stand)


def register(app: Flask) -> None:
    """Install the boundary. Registered before every other request hook, so it opens first."""

    @app.before_request
    def _open() -> None:
        open_request_unit(write=request.method not in READS)

    @app.after_request
    def _finish(response: Response) -> Response:
        # Taken off the request first: a failing commit becomes a 500 that must not try to commit again.
        unit = end_request_unit()
        if unit is not None:
            unit.finish(keep=unit.refused or response.status_code < 500)
        return response

    @app.teardown_request
    def _close(_error: BaseException | None) -> None:
        unit = end_request_unit()  # still here: the request ended before after_request (an unhandled error)
        if unit is not None:
            unit.finish(keep=False)
