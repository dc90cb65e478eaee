"""GET /api/v1/sharing-decisions: the sharing record for reporting systems, and its OpenAPI description."""
from __future__ import annotations

from collections.abc import Mapping

from flask import g, jsonify, request
from sqlalchemy.orm import Session

from app.api import bp
from app.api.openapi import responses
from app.audit.operations import record
from app.cases.models import Case
from app.core.actor import Actor
from app.core.db import get_db
from app.core.errors import FieldError, ValidationFailed
from app.core.lawful_bases import hub_lawful_bases
from app.core.vocabulary import CONSENT_STATUSES
from app.sharing.models import DECISIONS, STAGES
from app.sharing.queries import report_rows
from app.sharing.report import decision_json, read_filters


def sharing_decisions(session: Session, args: Mapping[str, str], actor: Actor) -> list[dict]:
    """The matching records, newest first; bad filters are a 422 naming the query argument.
    The listing is audited in the caller's session (committed with the request)."""
    filters, errors = read_filters(args, hub_lawful_bases())
    if filters.case_id is not None and (filters.case_id >= 2**63 or session.get(Case, filters.case_id) is None):
        # The listing is audited against its case: a case that does not exist is an error, not a broken trail.
        errors.append(FieldError("case_id", "There is no case with this id"))
    if errors:
        raise ValidationFailed(errors)
    rows = report_rows(session, filters)
    record(session, actor, "sharing.listed", case_id=filters.case_id,
           details={"via": "api", **filters.as_args(), "records": len(rows)})
    return [decision_json(row) for row in rows]


@bp.get("/sharing-decisions")
def list_sharing_decisions():
    """The record of sharing decisions, codes only: ?from=YYYY-MM-DD&to=YYYY-MM-DD&case_id=. Audited."""
    db = get_db()
    found = sharing_decisions(db.session, request.args, g.actor)
    return jsonify(found)


SHARING_DECISION = {
    "type": "object",
    "required": ["id", "case_id", "case_reference", "stage", "decision", "recipient", "consent_status",
                 "lawful_basis_art6", "condition_art9", "law_enforcement_part3", "what_shared", "withheld",
                 "identities_protected", "decided_by", "decided_at"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "integer"}, "case_id": {"type": "integer"}, "case_reference": {"type": "string"},
        "task_id": {"type": "string"},
        "stage": {"type": "string", "enum": list(STAGES)},
        "decision": {"type": "string", "enum": list(DECISIONS)},
        "recipient": {"type": ["string", "null"], "description": "Agency or team code; null when nothing was shared"},
        "purpose": {"type": ["string", "null"]},
        "consent_status": {"type": "string", "enum": list(CONSENT_STATUSES)},
        "reason_without_consent_recorded": {"type": "boolean"},
        "lawful_basis_art6": {"type": ["string", "null"], "description":
                              "Code from the hub's lawful-bases list (Art 6, or Part 3 when law_enforcement_part3)"},
        "condition_art9": {"type": ["string", "null"], "description": "Code from the hub's lawful-bases list"},
        "law_enforcement_part3": {"type": "boolean"},
        "subject_informed": {"type": ["boolean", "null"]},
        "subject_informed_reason_recorded": {"type": "boolean"},
        "what_shared": {"type": "array", "items": {"type": "string"}},
        "withheld": {"type": "array", "items": {"type": "object", "required": ["item", "agency", "reason"],
                                                "properties": {
            "item": {"type": "string"}, "agency": {"type": "string"}, "reason": {"type": "string"}}}},
        "identities_protected": {"type": "integer", "minimum": 0},
        "information_product": {"type": "boolean"},
        "decided_by": {"type": "string"},
        "decided_at": {"type": "string", "format": "date-time"},
        "sent_by": {"type": ["string", "null"], "description": "Who sent the product as decided (dissemination)"},
        "sent_at": {"type": ["string", "null"], "format": "date-time",
                    "description": "When it was sent; null while a dissemination is decided and not sent yet"},
        "sent_method": {"type": ["string", "null"]},
    },
}


def openapi_paths() -> dict[str, dict]:
    def query(name: str, schema: dict, description: str) -> dict:
        return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}

    ok = {"200": {"description": "Sharing decisions, newest first: codes, counts and flags, never names or free text",
                  "content": {"application/json": {"schema": {"type": "array", "items": SHARING_DECISION}}}}}
    return {"/api/v1/sharing-decisions": {"get": {
        "summary": "The record of information-sharing decisions (MASH manager, operations manager, auditor)",
        "operationId": "listSharingDecisions",
        "parameters": [
            query("from", {"type": "string", "format": "date"}, "First day (Europe/London), inclusive"),
            query("to", {"type": "string", "format": "date"}, "Last day (Europe/London), inclusive"),
            query("case_id", {"type": "integer"}, "Only this case"),
            query("stage", {"type": "string", "enum": list(STAGES)}, "Only this stage"),
            query("consent", {"type": "string", "enum": list(CONSENT_STATUSES)}, "Only this consent position"),
            query("lawful_basis", {"type": "string"}, "Only records citing this code (Art 6, Part 3 or condition)"),
        ],
        "responses": responses(ok, 401, 403, 422)}}}
