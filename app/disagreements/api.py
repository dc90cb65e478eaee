"""Professional disagreements in the JSON API: raise one on a case, and list those the reader may read."""
from __future__ import annotations

from flask import g, jsonify, request

from app.api import bp, json_body
from app.api.openapi import responses
from app.core.db import get_db, run_in_transaction
from app.disagreements.models import DISPUTED, RESOLUTIONS
from app.disagreements.operations import raise_disagreement
from app.disagreements.queries import disagreement_json, disagreements_on, reads_every_disagreement


@bp.route("/cases/<id:case_id>/disagreements", methods=["GET", "POST"])
def case_disagreements(case_id: int):
    """GET: those the caller may read. POST {"disputed": "rag" | "outcome" | "other", "view": "..."}: raise one,
    201 with the record. One rule for both methods, so an id too large for a row is 404 to either."""
    whole = reads_every_disagreement(g.actor)
    if request.method == "GET":
        return jsonify([disagreement_json(row, whole) for row in disagreements_on(get_db().session, case_id, g.actor)])
    row = run_in_transaction(raise_disagreement, case_id, json_body(), g.actor)
    return jsonify(disagreement_json(row, whole)), 201


RAISE = {"type": "object", "required": ["disputed", "view"], "additionalProperties": False, "properties": {
    "disputed": {"type": "string", "enum": list(DISPUTED)},
    "view": {"type": "string", "minLength": 1, "maxLength": 10000,
             "description": "What you think the rating or outcome should be, and why"}}}

_TIME = {"type": ["string", "null"], "format": "date-time"}
_TEXT = {"type": ["string", "null"]}
#: A disagreement as its reader may read it: decision makers and the operations manager every field; the person
#: who raised it (an agency, the referrer) what they disputed, their view, and the outcome code.
DISAGREEMENT = {"type": "object", "required": ["id", "case_id", "disputed", "view", "created_at", "status"],
                "properties": {
    "id": {"type": "integer"}, "case_id": {"type": "integer"}, "task_id": _TEXT,
    "raised_by": {"type": "string"}, "raised_by_role": {"type": "string"}, "raised_by_agency": _TEXT,
    "disputed": {"type": "string", "enum": list(DISPUTED)}, "rag_at_raising": _TEXT, "outcome_at_raising": _TEXT,
    "view": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"},
    "status": {"type": "string", "enum": ["open", "resolved"]},
    "resolution": {"type": ["string", "null"], "enum": [*RESOLUTIONS, None]}, "resolution_rationale": _TEXT,
    "changed_to": _TEXT, "escalated_to": _TEXT, "disputing_party_told": _TEXT, "resolved_by": _TEXT,
    "resolved_at": _TIME}}


def openapi_paths() -> dict[str, dict]:
    case = [{"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    return {"/api/v1/cases/{case_id}/disagreements": {
        "post": {
            "summary": "Raise a professional disagreement about a contact's RAG rating or outcome (a decision maker, "
                       "an agency involved in the case, or the referrer of the contact). It opens 'Resolve "
                       "professional disagreement' for the operations manager, due in 2 working days; a closed "
                       "contact opens again for it",
            "operationId": "raiseDisagreement", "parameters": case,
            "requestBody": {"required": True, "content": {"application/json": {"schema": RAISE}}},
            "responses": responses({"201": {"description": "The disagreement, recorded", "content": {
                "application/json": {"schema": DISAGREEMENT}}}}, 400, 401, 403, 404, 409, 422)},
        "get": {
            "summary": "The case's professional disagreements the caller may read (decision makers and the "
                       "operations manager: all; others: those they raised)",
            "operationId": "listDisagreements", "parameters": case,
            "responses": responses({"200": {"description": "Oldest first", "content": {"application/json": {
                "schema": {"type": "array", "items": DISAGREEMENT}}}}}, 401, 403, 404)}}}
