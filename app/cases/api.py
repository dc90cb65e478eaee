"""A case in the JSON API: read it (audited), and re-rate it as the MASH manager."""
from __future__ import annotations

from flask import g, jsonify

from app.api import bp, json_body
from app.api.errors import refusal
from app.api.openapi import responses
from app.audit.operations import record
from app.casework.detail import case_detail, case_summary, summary_of_case
from app.casework.rerating import rerate
from app.core.db import get_db, run_in_transaction
from app.core.vocabulary import RAG_CODES


@bp.get("/cases/<id:case_id>")
def get_case(case_id: int):
    db = get_db()
    detail = case_detail(db.session, case_id, g.actor, for_answer=True)
    if detail is None:
        return refusal(404, "There is no case with this id.")
    record(db.session, g.actor, "case.viewed", case_id=case_id,
           details={"via": "api", **({"exceptional": True} if detail.sight.exceptional else {})})
    return jsonify(case_summary(db.session, detail))


@bp.post("/cases/<id:case_id>/rag")
def change_rag(case_id: int):
    """Re-rate a contact: {"rag": "red", "rag_rationale": "..."}; its open deadlines move with it."""
    body = json_body()
    run_in_transaction(rerate, case_id, body, g.actor)
    return jsonify(summary_of_case(get_db().session, case_id, g.actor))


RERATE = {"type": "object", "required": ["rag", "rag_rationale"], "additionalProperties": False, "properties": {
    "rag": {"type": "string", "enum": list(RAG_CODES)},
    "rag_rationale": {"type": "string", "minLength": 1, "maxLength": 10000}}}


def openapi_paths() -> dict[str, dict]:
    return {
        "/api/v1/cases/{case_id}": {"get": {
            "summary": "A case with its RAG history, open tasks and deadlines", "operationId": "getCase",
            "parameters": [{"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": responses({"200": {"description": "The case", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Case"}}}}}, 401, 403, 404)}},
        "/api/v1/cases/{case_id}/rag": {"post": {
            "summary": "Re-rate a contact (MASH manager); its open deadlines move to the new timescale",
            "operationId": "changeRag",
            "parameters": [{"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": RERATE}}},
            "responses": responses({"200": {"description": "The case after the re-rating", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Case"}}}}},
                400, 401, 403, 404, 409, 422)}},
    }
