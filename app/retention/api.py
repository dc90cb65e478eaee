"""POST /api/v1/subject-access-exports: everything held about one person, for the information governance
officer (admin) to review before disclosure. Audited."""
from __future__ import annotations

from flask import g, jsonify

from app.api import bp, json_body
from app.api.openapi import responses
from app.core.db import run_in_transaction
from app.retention.subject_access import export_subject_access, person_from_request


@bp.post("/subject-access-exports")
def subject_access_export():
    """Everything held about one person (admin): {"given_name", "family_name", "date_of_birth"?}. Audited."""
    person = person_from_request(json_body())
    return jsonify(run_in_transaction(export_subject_access, person, g.actor))


SUBJECT_ACCESS_REQUEST = {"type": "object", "required": ["given_name", "family_name"], "additionalProperties": False,
                          "properties": {"given_name": {"type": "string", "minLength": 1, "maxLength": 200},
                                         "family_name": {"type": "string", "minLength": 1, "maxLength": 200},
                                         "date_of_birth": {"type": ["string", "null"], "format": "date"}}}

SUBJECT_ACCESS_EXPORT = {"type": "object", "required": ["subject_access_export", "cases", "redactions"], "properties": {
    "subject_access_export": {"type": "object", "required": ["generated_at", "generated_by", "request", "case_count"]},
    "cases": {"type": "array", "items": {"type": "object", "required": ["reference", "match", "subject"],
                                         "properties": {
        "reference": {"type": "string"}, "match": {"type": "string", "enum": ["names-and-date-of-birth", "names-only",
                                                                     "confirmed-in-person-index"]},
        "subject": {"type": "array", "items": {"type": "object"}}, "contact": {"type": "object"},
        "rag_history": {"type": "array"}, "agency_returns": {"type": "array"},
        "strategy_discussions": {"type": "array"},
        "referrer_feedback": {"type": "array"}, "professional_disagreements": {"type": "array"},
        "notifications": {"type": "array"},
        "completed_forms": {"type": "array"}, "viewed_by": {"type": "array"}}}},
    "person_index": {"type": "array", "items": {"type": "object", "required": ["records", "merges", "relationships"],
                                                "properties": {"records": {"type": "array"},
                                                               "merges": {"type": "array"},
                                                               "relationships": {"type": "array"},
                                                               "associations": {"type": "array"}}}},
    "redactions": {"type": "array", "items": {"type": "object", "required": ["reference", "record", "field", "reason"],
                                              "properties": {"reference": {"type": "string"},
                                                             "record": {"type": "string"}, "field": {"type": "string"},
                                                             "reason": {"type": "string"}}}}}}


def openapi_paths() -> dict[str, dict]:
    return {
        "/api/v1/subject-access-exports": {"post": {
            "summary": "Everything held about one person, for the information governance officer (admin). "
                       "Third-party information is withheld and listed under redactions. Audited.",
            "operationId": "createSubjectAccessExport",
            "requestBody": {"required": True, "content": {"application/json": {"schema": SUBJECT_ACCESS_REQUEST}}},
            "responses": responses({"200": {"description": "The export", "content": {"application/json": {
                "schema": SUBJECT_ACCESS_EXPORT}}}}, 400, 401, 403, 413, 415, 422)}},
    }
