"""GET /api/v1/audit: the audit trail in chain order for auditors' tools, paged by a Link header. Reading it is
audited too."""
from __future__ import annotations

from flask import g, jsonify, request, url_for

from app.api import bp
from app.api.errors import invalid
from app.api.openapi import responses
from app.audit.operations import record
from app.audit.queries import audit_entries, entry_json, parse_filter
from app.core.db import get_db


@bp.get("/audit")
def audit():
    """Audit entries in chain order: ?case_id=&username=&action=&from=&to=&after=&limit=."""
    db = get_db()
    wanted, errors = parse_filter(db.session, request.args)
    if errors:
        return invalid(errors)
    entries = audit_entries(db.session, wanted)
    record(db.session, g.actor, "audit.viewed", case_id=wanted.case_id,
           details={"via": "api", "username": wanted.username, "action": wanted.action, "rows": len(entries)})
    response = jsonify([entry_json(e) for e in entries])
    if len(entries) == wanted.limit:
        following = url_for("api.audit", **{**request.args.to_dict(), "after": entries[-1].seq})
        response.headers["Link"] = f'<{following}>; rel="next"'
    return response


AUDIT_ENTRY = {"type": "object",
               "required": ["seq", "at", "username", "action", "case_id", "summary", "details", "hash"],
               "properties": {
    "seq": {"type": "integer"}, "at": {"type": "string", "format": "date-time"}, "username": {"type": "string"},
    "user_id": {"type": ["integer", "null"]}, "action": {"type": "string"}, "case_id": {"type": ["integer", "null"]},
    "task_id": {"type": ["string", "null"]}, "element_id": {"type": ["string", "null"]},
    "summary": {"type": "string"}, "details": {"type": "object"},
    "hash": {"type": "string", "description": "SHA-256 chaining this entry to the one before"}}}


def openapi_paths() -> dict[str, dict]:
    return {
        "/api/v1/audit": {"get": {
            "summary": "Audit entries in chain order (auditor, ops-manager). Reading them is audited too. "
                       "A Link header with rel=\"next\" points to the next page.",
            "operationId": "listAudit",
            "parameters": [
                {"name": "case_id", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                {"name": "username", "in": "query", "schema": {"type": "string"}},
                {"name": "action", "in": "query", "schema": {"type": "string"}},
                {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
                {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
                {"name": "after", "in": "query", "description": "The seq of the last entry already read",
                 "schema": {"type": "integer", "minimum": 0}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}],
            "responses": responses({"200": {"description": "Entries", "content": {"application/json": {
                "schema": {"type": "array", "items": AUDIT_ENTRY}}}}}, 401, 403, 422)}},
    }
