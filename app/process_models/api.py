"""The process-model API: deploy through the one pipeline, list processes and versions, read a version's files,
compare two versions, make an earlier version current again.
"""
from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy.orm import Session

from app.api import bp, json_body
from app.api.errors import error_response, refusal
from app.api.openapi import responses
from app.core.actor import Actor
from app.core.db import get_db, run_in_transaction
from app.core.diagram_xml import as_utf8_text
from app.core.errors import FieldError, NotFound, ValidationFailed
from app.engine import DefinitionError
from app.process_models.compare import compare, comparison_json, diff_paths
from app.process_models.deploy import Deployment, UploadedFile, deploy, restore
from app.process_models.queries import process_catalogue
from app.process_models.registry import bundle_of, version_of
from app.process_models.views import uploaded_files

MULTIPART = "multipart/form-data"


def deploy_from_api(session: Session, files: list[UploadedFile], form: dict, actor: Actor) -> Deployment:
    return deploy(session, files, actor, process_id=(form.get("process_id") or "").strip() or None,
                  note=(form.get("note") or "").strip(), source="api")


def deployment_json(result: Deployment) -> dict:
    return {"process_id": result.process_id, "version": result.version, "created": result.created,
            "restored_from": result.restored_from, "warnings": [w.as_dict() for w in result.warnings]}


def problems_json(error: DefinitionError) -> list[dict]:
    return [p.as_dict() for p in error.problems]


def catalogue_json(session: Session) -> dict:
    return {"process_models": [p.as_json() for p in process_catalogue(session)]}


def version_files(session: Session, process_id: str, version: int) -> dict:
    stored = version_of(session, process_id, version)
    if stored is None:
        raise NotFound(f"{process_id} has no version {version}.")
    bundle = bundle_of(stored)
    return {"process_id": process_id, "version": version, "content_hash": stored.content_hash,
            "diagrams": {name: as_utf8_text(raw) for name, raw in bundle.bpmn.items()},
            "forms": bundle.forms, "policies": bundle.policies,
            "decision_tables": {name: as_utf8_text(raw) for name, raw in bundle.dmn.items()}}


@bp.get("/process-models")
def list_process_models():
    """Each deployed process with its versions, newest first."""
    return jsonify(catalogue_json(get_db().session))


@bp.post("/process-models")
def deploy_process_model():
    """Multipart: one or more .bpmn or .dmn files (any field name, usually ``files``), optional forms, process_id,
    note."""
    if request.mimetype != MULTIPART:
        return refusal(415, "Send the files as multipart/form-data.")
    files = uploaded_files([f for name in request.files for f in request.files.getlist(name)])
    try:
        result = run_in_transaction(deploy_from_api, files, request.form, g.actor)
    except DefinitionError as error:
        return error_response(422, problems_json(error))
    response = jsonify(deployment_json(result))
    response.status_code = 201 if result.created else 200
    return response


@bp.post("/process-models/<process_id>/versions/<id:version>/restore")
def restore_process_model_version(process_id: str, version: int):
    """{"note": "..."}: make an earlier version current again, as a new version with its files (audited).

    200 with the current version when its files are already current (a repeated request changes nothing)."""
    note = json_body().get("note")
    if not isinstance(note, str):
        raise ValidationFailed([FieldError("note", "Say why this version is to be current again")])
    try:
        result = run_in_transaction(restore, process_id, version, g.actor, note=note, source="api")
    except DefinitionError as error:
        return error_response(422, problems_json(error))
    response = jsonify(deployment_json(result))
    response.status_code = 201 if result.created else 200
    return response


@bp.get("/process-models/<process_id>/versions/<id:version>")
def get_process_model_version(process_id: str, version: int):
    return jsonify(version_files(get_db().session, process_id, version))


@bp.get("/process-models/<process_id>/diff")
def process_model_diff(process_id: str):
    """What changed between two versions (?from=&to=): the same diff as the version history's compare page."""
    return jsonify(comparison_json(compare(get_db().session, process_id, request.args)))


PROBLEM = {"type": "object", "required": ["file", "element_id", "element_name", "line", "message"], "properties": {
    "file": {"type": "string"}, "element_id": {"type": ["string", "null"]},
    "element_name": {"type": ["string", "null"]}, "line": {"type": ["integer", "null"]}, "message": {"type": "string"},
    "rule": {"type": "integer", "description": "In a decision table (.dmn; element_id is the decision): the rule's "
                                               "number, 1 for the first row"}}}
DEPLOYMENT = {"type": "object", "required": ["process_id", "version"], "properties": {
    "process_id": {"type": "string"}, "version": {"type": "integer"},
    "created": {"type": "boolean",
                "description": "False when the files are those of the current version: nothing was stored"},
    "restored_from": {"type": ["integer", "null"],
                      "description": "The earlier version whose files these are, when this made it current again"},
    "warnings": {"type": "array", "items": PROBLEM, "description": "bpmnlint warnings; they do not stop a deploy"}}}
VERSION = {"type": "object", "required": ["version", "deployed_at", "deployed_by"], "properties": {
    "version": {"type": "integer"}, "deployed_at": {"type": "string", "format": "date-time"},
    "deployed_by": {"type": "string"}, "source": {"type": ["string", "null"]}, "note": {"type": ["string", "null"]},
    "content_hash": {"type": "string"}, "diagrams": {"type": "array", "items": {"type": "string"}},
    "forms": {"type": "array", "items": {"type": "string"}},
    "open_cases": {"type": "integer"}, "closed_cases": {"type": "integer"}}}
PROCESS_MODELS = {"type": "object", "required": ["process_models"], "properties": {"process_models": {
    "type": "array", "items": {"type": "object", "required": ["process_id", "name", "latest_version", "versions"],
                               "properties": {"process_id": {"type": "string"}, "name": {"type": "string"},
                                              "latest_version": {"type": "integer"},
                                              "versions": {"type": "array", "items": VERSION}}}}}}
VERSION_FILES = {"type": "object", "required": ["process_id", "version", "diagrams", "forms"], "properties": {
    "process_id": {"type": "string"}, "version": {"type": "integer"}, "content_hash": {"type": "string"},
    "diagrams": {"type": "object", "additionalProperties": {"type": "string"}},
    "forms": {"type": "object", "additionalProperties": {"type": "string"}},
    "policies": {"type": ["string", "null"]},
    "decision_tables": {"type": "object", "additionalProperties": {"type": "string"},
                        "description": "DMN 1.3 decision tables by file name"}}}


def openapi_paths() -> dict[str, dict]:
    invalid = {"description": "The files were refused; nothing changed. Every problem, with file, element and line",
               "content": {"application/json": {"schema": {"type": "object", "required": ["errors"], "properties": {
                   "errors": {"type": "array", "items": PROBLEM}}}}}}
    deploy_responses = responses({
        "201": {"description": "A new version", "content": {"application/json": {"schema": DEPLOYMENT}}},
        "200": {"description": "The files are those of the current version: nothing changed",
                "content": {"application/json": {"schema": DEPLOYMENT}}}}, 401, 403, 409, 413, 415)
    deploy_responses["422"] = invalid
    restore_responses = responses({
        "201": {"description": "The version's files, stored again as the new current version",
                "content": {"application/json": {"schema": DEPLOYMENT}}},
        "200": {"description": "Its files are already those of the current version: nothing changed",
                "content": {"application/json": {"schema": DEPLOYMENT}}}}, 400, 401, 403, 404, 409)
    restore_responses["422"] = {"description": "No note, or the version's files no longer pass today's checks "
                                               "(every problem, with file, element and line); nothing changed",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    path = {"name": "process_id", "in": "path", "required": True, "schema": {"type": "string"}}
    return {
        "/api/v1/process-models": {
            "get": {"summary": "Each deployed process with its versions", "operationId": "listProcessModels",
                    "responses": responses({"200": {"description": "Processes, with versions newest first",
                                                    "content": {"application/json": {"schema": PROCESS_MODELS}}}},
                                           401, 403)},
            "post": {"summary": "Deploy one or more .bpmn files (and any .dmn decision tables, forms, "
                                "sla-policies.toml) as a new version. "
                                "Files not sent stay as they are in the latest version.",
                     "operationId": "deployProcessModel",
                     "requestBody": {"required": True, "content": {MULTIPART: {"schema": {
                         "type": "object", "required": ["files"], "properties": {
                             "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                             "process_id": {"type": "string",
                                            "description": "Which process; default: found from the files"},
                             "note": {"type": "string", "description": "What changed and why"}}}}}},
                     "responses": deploy_responses}},
        "/api/v1/process-models/{process_id}/versions/{version}/restore": {"post": {
            "summary": "Make an earlier version current again: its files are stored as a new version that new "
                       "cases start on (audited). Running cases stay where they are.",
            "operationId": "restoreProcessModelVersion",
            "parameters": [path, {"name": "version", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["note"], "properties": {
                    "note": {"type": "string", "minLength": 1, "description": "Why; shown in the version history"}}}}}},
            "responses": restore_responses}},
        "/api/v1/process-models/{process_id}/versions/{version}": {"get": {
            "summary": "The files of one version", "operationId": "getProcessModelVersion",
            "parameters": [path, {"name": "version", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": responses({"200": {"description": "Diagrams (XML text), forms (JSON text) and policies",
                                            "content": {"application/json": {"schema": VERSION_FILES}}}},
                                   401, 403, 404)}},
        **diff_paths(responses),
    }
