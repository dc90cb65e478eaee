"""Operation Encompass and MARAC in the JSON API: the schools told about a case's notification, a case's MARAC
referral and actions, and the coordinator's list (waiting referrals with the next meeting and repeat finding)."""
from __future__ import annotations

from flask import g, jsonify

from app.api import bp
from app.api.openapi import responses
from app.core.db import get_db
from app.marac.queries import coordinator_list, encompass_on, marac_on


@bp.get("/cases/<id:case_id>/encompass")
def case_encompass(case_id: int):
    return jsonify(encompass_on(get_db().session, case_id, g.actor))


@bp.get("/cases/<id:case_id>/marac")
def case_marac(case_id: int):
    return jsonify(marac_on(get_db().session, case_id, g.actor))


@bp.get("/marac/referrals")
def marac_referrals():
    return jsonify(coordinator_list(get_db().session, g.actor))


_TIME = {"type": ["string", "null"], "format": "date-time"}
_DATE = {"type": ["string", "null"], "format": "date"}
TOLD = {"type": "object", "properties": {
    "school": {"type": "string", "description": "The school's id in processes/schools.toml"},
    "school_name": {"type": "string"}, "dsl_name": {"type": ["string", "null"]}, "told_at": _TIME,
    "told_by": {"type": "string"}, "told_method": {"type": "string", "enum": ["phone", "in-person", "secure-email"]},
    "due_at": _TIME, "before_school_day": {"type": "boolean"}}}
ACTION = {"type": "object", "properties": {"action": {"type": "string"}, "owner_agency": {"type": "string"},
                                            "due_on": _DATE, "heard_on": _DATE, "recorded_by": {"type": "string"}}}
REFERRAL = {"type": "object", "properties": {
    "case_id": {"type": "integer"}, "referred_on": _DATE, "referred_at": _TIME, "referred_by": {"type": "string"},
    "meeting_date": _DATE, "repeat": {"type": "boolean", "description": "The coordinator's answer"},
    "repeat_found": {"type": "boolean", "description": "The person index found a MARAC referral of the same victim "
                                                       "in the 12 months before"},
    "repeat_of_case_id": {"type": ["integer", "null"]}, "dash_score": {"type": ["integer", "null"]},
    "actions": {"type": "array", "items": ACTION}}}


def openapi_paths() -> dict[str, dict]:
    case = [{"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    return {
        "/api/v1/cases/{case_id}/encompass": {"get": {
            "summary": "Operation Encompass: the schools told about the case's domestic abuse notification, who was "
                       "told, when and by whom, and whether it was before the start of the next school day",
            "operationId": "listEncompassNotifications", "parameters": case,
            "responses": responses({"200": {"description": "Oldest first", "content": {"application/json": {
                "schema": {"type": "array", "items": TOLD}}}}}, 401, 403, 404)}},
        "/api/v1/cases/{case_id}/marac": {"get": {
            "summary": "The case's MARAC referrals, with the meeting, the repeat flag and the actions recorded",
            "operationId": "listMaracReferrals", "parameters": case,
            "responses": responses({"200": {"description": "Oldest first", "content": {"application/json": {
                "schema": {"type": "array", "items": REFERRAL}}}}}, 401, 403, 404)}},
        "/api/v1/marac/referrals": {"get": {
            "summary": "The MARAC coordinator's list: referrals waiting (with the next meeting and whether the person "
                       "index finds the victim a repeat) and those made, newest first",
            "operationId": "maracCoordinatorList",
            "responses": responses({"200": {"description": "Waiting and referred", "content": {"application/json": {
                "schema": {"type": "object", "properties": {
                    "waiting": {"type": "array", "items": {"type": "object"}},
                    "referred": {"type": "array", "items": REFERRAL}}}}}}}, 401, 403)}},
    }
