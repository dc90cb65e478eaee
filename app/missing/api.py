"""Missing children in the JSON API: a case's missing episode (within need to know). Notifications are sent as
contacts (POST /api/v1/contacts, "type": "missing-person-notification"); the return and the interview are steps
completed through the task routes."""
from __future__ import annotations

from flask import g, jsonify

from app.api import bp
from app.api.openapi import responses
from app.core.db import get_db
from app.missing.queries import missing_episode_on


@bp.get("/cases/<id:case_id>/missing-episode")
def case_missing_episode(case_id: int):
    return jsonify(missing_episode_on(get_db().session, case_id, g.actor))


_TIME = {"type": ["string", "null"], "format": "date-time"}
_BOOL = {"type": ["boolean", "null"]}
EPISODE = {"type": "object", "properties": {
    "case_id": {"type": "integer"}, "started_at": _TIME, "returned_at": _TIME, "still_missing": {"type": "boolean"},
    "risk_grading": {"type": "string", "enum": ["no-apparent-risk", "low", "medium", "high"]},
    "looked_after": {"type": "boolean"}, "police_reference": {"type": ["string", "null"]},
    "repeat": {"type": "boolean", "description": "The child had this many episodes in the repeat rule's window "
                                                 "(processes/missing-episodes.toml) when notified"},
    "repeat_count": {"type": "integer"}, "interview_due_at": _TIME, "interview_offered": _BOOL,
    "interview_offered_at": _TIME, "interview_offered_in_time": _BOOL, "interview_accepted": _BOOL,
    "interview_held": _BOOL, "interview_held_on": {"type": ["string", "null"], "format": "date"},
    "strategy_decision": {"type": ["string", "null"]},
    "child": {"type": "object", "description": "Only for readers who see the case's identifiers"},
    "found_where": {"type": ["string", "null"], "description": "This and the interview's content only for readers "
                                                               "who see the notification's concern"},
    "push_factors": {"type": ["string", "null"]}, "pull_factors": {"type": ["string", "null"]},
    "exploitation_indicators": {"type": "array", "items": {"type": "string"}}}}


def openapi_paths() -> dict[str, dict]:
    case = [{"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    return {
        "/api/v1/cases/{case_id}/missing-episode": {"get": {
            "summary": "The case's missing episode: start, return, the police risk grading, the return home interview "
                       "(offered within 72 hours of the return, accepted, held) and the repeat flag",
            "operationId": "getMissingEpisode", "parameters": case,
            "responses": responses({"200": {"description": "The episode", "content": {"application/json": {
                "schema": EPISODE}}}}, 401, 403, 404)}},
    }
