"""GET /api/v1/search?q=: the header search's answer for partner tools, within the same need to know."""
from __future__ import annotations

from flask import g, jsonify, request

from app.api import bp
from app.api.errors import invalid
from app.api.openapi import responses
from app.core.clock import now
from app.core.db import get_db
from app.core.errors import FieldError
from app.search.reading import KINDS, read_query
from app.search.service import CaseHit, run_search


@bp.get("/search")
def search():
    """Cases (and, for those who read the person index, people) the query may mean."""
    query = read_query(request.args.get("q", ""))
    if query is None:
        return invalid([FieldError("q", "Enter a case reference, name, date of birth, NHS number or postcode")])
    found = run_search(get_db().session, g.actor, query, now(), via="api")
    if query.problem:
        return invalid([FieldError("q", query.problem)])
    return jsonify({"kind": query.kind, "more": found.more, "cases": [_case(hit) for hit in found.cases],
                    "people": [{"person_id": p.person_id, "name": p.name, "names": p.names,
                                "dates_of_birth": [d.isoformat() for d in p.dates_of_birth if d],
                                "contacts": p.contacts} for p in found.people]})


def _case(hit: CaseHit) -> dict:
    return {"case_id": hit.case_id, "reference": hit.reference, "status": hit.status, "rag": hit.rag,
            "received_at": hit.received_at.isoformat(), "current_step": hit.step,
            "subjects": [{"given_name": s.given_name, "family_name": s.family_name, "role": s.role,
                          **({"date_of_birth": s.date_of_birth.isoformat()} if s.date_of_birth else {})}
                         for s in hit.subjects]}


SEARCH_RESULT = {"type": "object", "required": ["kind", "more", "cases", "people"], "properties": {
    "kind": {"type": "string", "enum": list(KINDS), "description": "How the query was read"},
    "more": {"type": "boolean", "description": "More matched than are listed: narrow the query"},
    "cases": {"type": "array", "items": {"type": "object", "required": ["case_id", "reference", "status"],
                                         "properties": {
        "case_id": {"type": "integer"}, "reference": {"type": "string"}, "status": {"type": "string"},
        "rag": {"type": ["string", "null"]}, "received_at": {"type": "string", "format": "date-time"},
        "current_step": {"type": "string"},
        "subjects": {"type": "array", "description": "The matched subjects, as the reader's need to know allows",
                     "items": {"type": "object", "properties": {
                         "given_name": {"type": "string"}, "family_name": {"type": "string"},
                         "role": {"type": "string"}, "date_of_birth": {"type": "string", "format": "date"}}}}}}},
    "people": {"type": "array", "description": "People in the person index (roles that may read it)",
               "items": {"type": "object", "properties": {
                   "person_id": {"type": "integer"}, "name": {"type": "string"},
                   "names": {"type": "array", "items": {"type": "string"}},
                   "dates_of_birth": {"type": "array", "items": {"type": "string", "format": "date"}},
                   "contacts": {"type": "integer"}}}}}}


def openapi_paths() -> dict[str, dict]:
    return {
        "/api/v1/search": {"get": {
            "summary": "Search by case reference, name (fuzzy), date of birth, NHS number or postcode. Only cases the "
                       "reader may see, matched on what they may see; audited with the query's kind, not its text.",
            "operationId": "search",
            "parameters": [{"name": "q", "in": "query", "required": True,
                            "schema": {"type": "string", "minLength": 1, "maxLength": 100}}],
            "responses": responses({"200": {"description": "What was found", "content": {"application/json": {
                "schema": SEARCH_RESULT}}}}, 401, 403, 422)}},
    }
