"""Releases in the JSON API: the agency that made a return releases it to other agencies on the case, or
withdraws a release that has not been read."""
from __future__ import annotations

from typing import Any

from flask import g, jsonify

from app.api import bp, json_body
from app.api.openapi import responses
from app.core.clock import now
from app.core.db import run_in_transaction
from app.core.errors import FieldError, ValidationFailed
from app.core.roles import AGENCIES
from app.need_to_know.models import ReturnRelease
from app.need_to_know.releases import release_return, withdraw_release


def _release_json(release: ReturnRelease) -> dict[str, Any]:
    return {"release_id": release.id, "agency": release.from_agency, "to": release.to_agency,
            "released_by": release.released_by, "released_at": release.released_at.isoformat(),
            "read_at": release.read_at.isoformat() if release.read_at else None,
            "withdrawn_at": release.withdrawn_at.isoformat() if release.withdrawn_at else None}


@bp.post("/cases/<id:case_id>/agency-returns/<agency>/releases")
def release_agency_return(case_id: int, agency: str):
    """{"to": ["health", ...]}: the owning agency's role only."""
    body = json_body()
    to = body.get("to")
    if not isinstance(to, list) or not all(isinstance(code, str) for code in to) or set(body) - {"to"}:
        raise ValidationFailed([FieldError("to", "Send {\"to\": [agency codes]}")])
    made = run_in_transaction(release_return, case_id, agency, to, g.actor, now())
    return jsonify({"releases": [_release_json(r) for r in made]}), 201


@bp.delete("/cases/<id:case_id>/agency-returns/<agency>/releases/<to>")
def withdraw_agency_return_release(case_id: int, agency: str, to: str):
    """Withdraw a release that has not been read (409 once it has)."""
    withdrawn = run_in_transaction(withdraw_release, case_id, agency, to, g.actor, now())
    return jsonify({"releases": [_release_json(r) for r in withdrawn]})


RELEASE = {"type": "object", "properties": {
    "release_id": {"type": "integer"}, "agency": {"type": "string"}, "to": {"type": "string"},
    "released_by": {"type": "string"}, "released_at": {"type": "string", "format": "date-time"},
    "read_at": {"type": ["string", "null"], "format": "date-time"},
    "withdrawn_at": {"type": ["string", "null"], "format": "date-time"}}}
RELEASES = {"type": "object", "required": ["releases"], "properties": {"releases": {"type": "array", "items": RELEASE}}}


def openapi_paths() -> dict[str, dict]:
    case_id = {"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    agency = {"name": "agency", "in": "path", "required": True, "schema": {"type": "string", "enum": list(AGENCIES)}}
    to = {"name": "to", "in": "path", "required": True, "schema": {"type": "string", "enum": list(AGENCIES)}}
    return {
        "/api/v1/cases/{case_id}/agency-returns/{agency}/releases": {"post": {
            "summary": "Release the agency's return to other agencies involved in the case (the owning agency only)",
            "operationId": "releaseAgencyReturn", "parameters": [case_id, agency],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["to"], "additionalProperties": False, "properties": {
                    "to": {"type": "array", "minItems": 1, "items": {"type": "string", "enum": list(AGENCIES)}}}}}}},
            "responses": responses({"201": {"description": "The releases made (none if already released)",
                                            "content": {"application/json": {"schema": RELEASES}}}},
                                   400, 401, 403, 404, 422)}},
        "/api/v1/cases/{case_id}/agency-returns/{agency}/releases/{to}": {"delete": {
            "summary": "Withdraw a release the receiving agency has not read",
            "operationId": "withdrawAgencyReturnRelease",
            "parameters": [case_id, agency, to],
            "responses": responses({"200": {"description": "The releases withdrawn", "content": {
                "application/json": {"schema": RELEASES}}}}, 401, 403, 404, 409)}},
    }
