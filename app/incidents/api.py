"""The incidents API: what a partner system or an operations console needs to see and retry incidents."""
from __future__ import annotations

from flask import g, jsonify

from app.api import bp
from app.api.openapi import responses
from app.audit.operations import record
from app.casework.retries import retry_incident
from app.core.db import get_db, run_in_transaction
from app.incidents.operations import give_task_back
from app.incidents.queries import IncidentView, raised_incidents

INCIDENT = {"type": "object", "additionalProperties": False,
            "required": ["incident_id", "case_id", "reference", "kind", "step", "element_id", "error", "attempts",
                         "raised_at", "submitted_by", "process_id", "version", "latest_version"],
            "properties": {
    "incident_id": {"type": "integer"}, "case_id": {"type": "integer"}, "reference": {"type": "string"},
    "kind": {"type": "string", "enum": ["timer", "task", "start"],
             "description": "timer: the case's deadline timers failed to fire; task: a submitted task's next "
                            "steps failed and its answers are held; start: a contact's process could not start"},
    "step": {"type": "string"}, "element_id": {"type": ["string", "null"]}, "error": {"type": "string"},
    "attempts": {"type": "integer"}, "raised_at": {"type": "string", "format": "date-time"},
    "submitted_by": {"type": ["string", "null"]}, "process_id": {"type": "string"},
    "version": {"type": "integer", "description": "The process version the case runs"},
    "latest_version": {"type": "integer",
                       "description": "Newer than version: a fix is deployed; move the case, then retry"}}}

def incident_json(view: IncidentView) -> dict:
    return {"incident_id": view.id, "case_id": view.case_id, "reference": view.reference, "kind": view.kind,
            "step": view.step, "element_id": view.element_id, "error": view.error, "attempts": view.attempts,
            "raised_at": view.raised_at.isoformat(), "submitted_by": view.submitted_by,
            "process_id": view.process_id, "version": view.version, "latest_version": view.latest_version}


@bp.get("/incidents")
def list_incidents():
    """Cases stopped by a fault in the process: what the SLA wall shows managers. Audited."""
    db = get_db()
    incidents = raised_incidents(db.session)
    record(db.session, g.actor, "incidents.viewed", details={"via": "api", "incidents": len(incidents)})
    return jsonify({"incidents": [incident_json(view) for view in incidents]})


@bp.post("/incidents/<id:incident_id>/retry")
def retry_incident_now(incident_id: int):
    incident = retry_incident(incident_id, g.actor)
    return jsonify({"incident_id": incident.id, "resolved": incident.resolved_at is not None})


@bp.post("/incidents/<id:incident_id>/give-back")
def give_back_task(incident_id: int):
    incident = run_in_transaction(give_task_back, incident_id, g.actor)
    return jsonify({"incident_id": incident.id, "resolved": True})


def openapi_paths() -> dict[str, dict]:
    incident_id = {"name": "incident_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    outcome = {"200": {"description": "Done: a task incident's answers went through, or a timer incident is due "
                                      "again now", "content": {"application/json": {"schema": {
                                          "type": "object", "required": ["incident_id", "resolved"], "properties": {
                                              "incident_id": {"type": "integer"}, "resolved": {"type": "boolean"}}}}}}}
    return {
        "/api/v1/incidents": {"get": {
            "summary": "Cases stopped by a fault in the process, oldest first (managers). Audited.",
            "operationId": "listIncidents",
            "responses": responses({"200": {"description": "Open incidents", "content": {"application/json": {
                "schema": {"type": "object", "required": ["incidents"], "properties": {
                    "incidents": {"type": "array", "items": INCIDENT}}}}}}}, 401, 403)}},
        "/api/v1/incidents/{incident_id}/retry": {"post": {
            "summary": "Try the failed step again (after a fixed version is deployed and the case moved onto it)",
            "operationId": "retryIncident", "parameters": [incident_id],
            "responses": responses(outcome, 401, 403, 404, 409)}},
        "/api/v1/incidents/{incident_id}/give-back": {"post": {
            "summary": "Set a task incident's held answers aside: the task is open to be done again",
            "operationId": "giveTaskBack", "parameters": [incident_id],
            "responses": responses(outcome, 401, 403, 404, 409)}},
    }
