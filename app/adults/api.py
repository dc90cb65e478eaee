"""Adults at risk in the JSON API: a case's adult safeguarding record (consent, capacity, wishes, the section 42
decision and the outcome), each part within the reader's need to know."""
from __future__ import annotations

from flask import g, jsonify

from app.adults.queries import adult_safeguarding_on
from app.api import bp
from app.api.openapi import responses
from app.core.db import get_db


@bp.get("/cases/<id:case_id>/adult-safeguarding")
def case_adult_safeguarding(case_id: int):
    return jsonify(adult_safeguarding_on(get_db().session, case_id, g.actor))


_TIME = {"type": ["string", "null"], "format": "date-time"}
_TEXT = {"type": ["string", "null"]}
RECORD = {"type": "object", "description": "Only the parts the reader's need to know shows are present: the "
                                           "concern (concern), consent, capacity and wishes (analysis), the "
                                           "decision and outcome (decision)", "properties": {
    "children_case_id": {"type": ["integer", "null"]},
    "raised_from": {"type": "string", "enum": ["contact", "decision"]},
    "raised_at": _TIME, "abuse_kinds": {"type": ["array", "null"], "items": {"type": "string"}},
    "location_of_risk": _TEXT, "source_of_risk": _TEXT, "consent": _TEXT, "capacity": _TEXT,
    "outcomes_asked": _TEXT, "desired_outcomes": _TEXT, "best_interests_decision": _TEXT,
    "s42_duty_met": {"type": ["boolean", "null"]},
    "s42_decision": {"type": ["string", "null"], "enum": ["enquiry", "other-action", "no-enquiry", None]},
    "decided_at": _TIME, "decision_due_at": _TIME, "decided_in_time": {"type": ["boolean", "null"]},
    "risk_outcome": {"type": ["string", "null"], "enum": ["removed", "reduced", "remains", None]},
    "outcomes_met": {"type": ["string", "null"], "enum": ["fully", "partly", "not", "none-expressed", None]}}}


def openapi_paths() -> dict[str, dict]:
    case = [{"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    return {"/api/v1/cases/{case_id}/adult-safeguarding": {"get": {
        "summary": "The case's adult safeguarding records (Care Act 2014 section 42): the concern, consent and "
                   "mental capacity, the adult's wishes, the section 42 decision and the enquiry's outcome",
        "operationId": "listAdultSafeguarding", "parameters": case,
        "responses": responses({"200": {"description": "Oldest first", "content": {"application/json": {
            "schema": {"type": "array", "items": RECORD}}}}}, 401, 403, 404)}}}
