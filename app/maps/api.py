"""GET /api/v1/cases/{case_id}/trail: a case's history of steps, and its OpenAPI description.

What it answers is built from the same trail the case map replays.
"""
from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy.orm import Session

from app.api import bp
from app.api.errors import refusal
from app.api.openapi import responses
from app.audit.operations import record
from app.cases.models import Case
from app.core.actor import Actor
from app.core.clock import now
from app.core.db import get_db
from app.maps.trail import ALL, WORK, trail_view, work_indexes
from app.maps.trail import case_trail as replayed_trail  # case_trail is the route's name (api.case_trail)
from app.need_to_know.sight import sight_of
from app.process_models.registry import version_by_id


def case_trail_json(session: Session, case_id: int, actor: Actor, show: str = ALL) -> list[dict] | None:
    """The trail in order (``show="work"``: only the case's work, app.maps.trail.WORK_KINDS), or None for a case
    that does not exist. Reading it is audited in the caller's session (committed with the request)."""
    case = session.get(Case, case_id)
    if case is None:
        return None
    sight_of(session, actor, case_id, now())  # need to know: a case the reader may not see is not found
    trail = replayed_trail(session, case_id)
    if show == WORK:
        work = work_indexes(version_by_id(session, case.process_version_id), trail)
        trail = [event for event in trail if event.index in work]
    record(session, actor, "case.trail-viewed", case_id=case_id, details={"via": "api", "events": len(trail)})
    return [event.as_json() for event in trail]


@bp.get("/cases/<id:case_id>/trail")
def case_trail(case_id: int):
    """A case's history of steps, in order: [{element_id, name, state, at, by}]; ``?show=work`` leaves out
    decision points and internal events. Audited."""
    db = get_db()
    trail = case_trail_json(db.session, case_id, g.actor, trail_view(request.args.get("show"), ALL))
    if trail is None:
        return refusal(404, "There is no case with this id.")
    return jsonify(trail)


TRAIL_EVENT = {
    "type": "object",
    "required": ["element_id", "name", "state", "at", "by"],
    "properties": {
        "element_id": {"type": "string", "description": "The BPMN id of the step in its process"},
        "name": {"type": "string", "description": "The step's name on the diagram when it happened"},
        "state": {"type": "string", "description": "What happened to it: ready, waiting, started, completed, "
                                                   "cancelled or error"},
        "at": {"type": "string", "format": "date-time", "description": "When, in UTC"},
        "by": {"type": "string", "description": "The username whose action caused it; \"system\" for timers "
                                                "fired by the scheduler"},
        "process_id": {"type": ["string", "null"], "description": "The BPMN process the step belongs to "
                                                                  "(a called process for its inner steps)"},
        "task_id": {"type": ["string", "null"], "description": "The engine's task id: one per run of the step"},
    },
}


def openapi_paths() -> dict[str, dict]:
    return {"/api/v1/cases/{case_id}/trail": {"get": {
        "summary": "A case's history of steps in the order they happened (the process map's replay). Audited.",
        "operationId": "getCaseTrail",
        "parameters": [
            {"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}},
            {"name": "show", "in": "query", "required": False,
             "schema": {"type": "string", "enum": ["all", "work"], "default": "all"},
             "description": "all: every change of every step (the default). work: only tasks for people, "
                            "called processes and the starts and ends of processes; decision points (gateways), "
                            "automatic steps, intermediate and boundary events and embedded sub-processes are "
                            "left out."}],
        "responses": responses({"200": {"description": "The trail", "content": {"application/json": {
            "schema": {"type": "array", "items": TRAIL_EVENT}}}}}, 401, 403, 404)}}}
