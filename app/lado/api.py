"""Allegations in the JSON API: a case's allegations as the reader may read them (the LADO the whole record, the
hub's decision makers only that one exists), and the LADO's list of open allegations."""
from __future__ import annotations

from flask import g, jsonify

from app.api import bp
from app.api.openapi import responses
from app.core.db import get_db
from app.lado.queries import allegations_on, open_allegations


@bp.get("/cases/<id:case_id>/allegation")
def case_allegation(case_id: int):
    return jsonify(allegations_on(get_db().session, case_id, g.actor))


@bp.get("/lado/allegations")
def lado_allegations():
    return jsonify(open_allegations(get_db().session, g.actor))


_TIME = {"type": ["string", "null"], "format": "date-time"}
_DATE = {"type": ["string", "null"], "format": "date"}
_TEXT = {"type": ["string", "null"]}
EXISTS_FIELDS: dict[str, object] = {
    "reference": {"type": "string"}, "received_at": _TIME, "status": {"type": "string", "enum": ["open", "closed"]},
    "held_by": {"type": "string", "enum": ["LADO"]}}
ALLEGATION = {"type": "object", "description": "The LADO's record (the lado role); other readers get only the "
                                               "reference, received_at, status and held_by", "properties": {
    **EXISTS_FIELDS, "case_id": {"type": "integer"},
    "source": {"type": "string", "enum": ["contact", "mash-decision"]},
    "person": {"type": "object", "properties": {"given_name": _TEXT, "family_name": _TEXT, "date_of_birth": _DATE,
                                                "role": _TEXT, "employer": _TEXT, "sector": {"type": "string"},
                                                "regulated_activity": {"type": "string"}}},
    "allegation": {"type": "object", "properties": {"category": {"type": "string"}, "what": _TEXT,
                                                    "happened_on": _DATE, "came_to_notice_on": _DATE}},
    "safeguarding_lead": {"type": "object", "properties": {"name": _TEXT, "contact": _TEXT}},
    "evaluation": {"type": "object"}, "meetings": {"type": "array", "items": {"type": "object"}},
    "outcome": {"type": "object"}, "referral": {"type": "object"}, "retention": {"type": "object"}}}


def openapi_paths() -> dict[str, dict]:
    case = [{"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    return {
        "/api/v1/cases/{case_id}/allegation": {"get": {
            "summary": "The allegations against people who work with children on the case: the whole record for the "
                       "LADO, only that one exists for the hub's decision makers and the operations manager; 404 for "
                       "anyone else",
            "operationId": "listCaseAllegations", "parameters": case,
            "responses": responses({"200": {"description": "Oldest first", "content": {"application/json": {
                "schema": {"type": "array", "items": ALLEGATION}}}}}, 401, 403, 404)}},
        "/api/v1/lado/allegations": {"get": {
            "summary": "The LADO's open allegations, oldest first, with the step each waits on and when it is due",
            "operationId": "listOpenAllegations",
            "responses": responses({"200": {"description": "Open allegations", "content": {"application/json": {
                "schema": {"type": "array", "items": {"type": "object"}}}}}}, 401, 403)}},
    }
