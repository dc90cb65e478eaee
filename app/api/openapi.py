"""The OpenAPI 3.1 document for partner systems (and for fuzzing the API against it)."""
from __future__ import annotations

import json

from flask import current_app

from app.incidents.api import HELD, incident_paths
from app.maps.api import trail_paths
from app.people.api import MATCH, person_paths
from app.process_models.api import process_model_paths
from app.process_models.compare import diff_paths
from app.reports.api import mi_dataset_paths
from app.sharing.api import sharing_decision_paths

ERROR = {"type": "object", "required": ["errors"], "properties": {"errors": {"type": "array", "items": {
    "type": "object", "required": ["message"],
    "properties": {"field": {"type": ["string", "null"]}, "message": {"type": "string"}}}}}}

OPEN_TASK = {"type": "object", "properties": {
    "task_id": {"type": "string"}, "name": {"type": "string"}, "role": {"type": "string"},
    "due_at": {"type": ["string", "null"], "format": "date-time"}}}

CASE = {"type": "object", "required": ["case_id", "reference", "status", "rag", "rag_history", "outcome", "subjects",
                                       "open_tasks", "process"], "properties": {
    "case_id": {"type": "integer"}, "reference": {"type": "string"},
    "status": {"type": "string", "enum": ["open", "closed"]}, "closure": {"type": ["string", "null"]},
    "received_at": {"type": "string", "format": "date-time"},
    "rag": {"type": ["string", "null"], "enum": ["red", "amber", "green", "blue", None]},
    "rag_initial": {"type": ["string", "null"]},
    "presenting_factors": {"type": "array", "items": {"type": "string"},
                           "description": "CIN census factor codes recorded at screening (empty before screening)"},
    "rag_history": {"type": "array", "items": {"type": "object", "properties": {
        "from": {"type": ["string", "null"]}, "to": {"type": "string"}, "rationale": {"type": "string"},
        "by": {"type": "string"}, "at": {"type": "string", "format": "date-time"}, "step": {"type": ["string", "null"]}}}},
    "outcome": {"type": ["string", "null"], "enum": ["nfa", "advice", "early-help", "s17-assessment",
                                                     "strategy-discussion", "marac", "lado", "adult-safeguarding", None]},
    "strategy_outcome": {"type": ["string", "null"], "enum": ["s47-single", "s47-joint", "s17-assessment", "nfa", None]},
    "immediate_risk": {"type": "boolean"}, "linked_case_id": {"type": ["integer", "null"]},
    "anonymised_at": {"type": ["string", "null"], "format": "date-time",
                      "description": "When the retention policy removed this contact's personal data"},
    "subjects": {"type": "array", "items": {"type": "object", "properties": {
        "person_id": {"type": ["integer", "null"],
                      "description": "The person in the index, once nothing is left to decide (null while matches are proposed)"},
        "proposed_matches": {"type": "array", "items": MATCH}}}},
    "open_tasks": {"type": "array", "items": OPEN_TASK},
    "agency_returns": {"type": "array", "items": {"type": "object"}},
    "deadlines": {"type": "array", "items": {"type": "object", "required": ["name", "kind", "due_at", "state", "met_at"],
                                            "properties": {
        "name": {"type": "string"}, "kind": {"type": "string", "enum": ["rag", "statutory", "check"]},
        "due_at": {"type": "string", "format": "date-time"},
        "state": {"type": "string", "enum": ["on-track", "at-risk", "breached", "met"]},
        "met_at": {"type": ["string", "null"], "format": "date-time"}}}},
    "process": {"type": "object", "properties": {"id": {"type": "string"}, "version": {"type": "integer"}}},
    "repeat_concerns": {
        "type": "array", "description": "Repeat-concern flags by the hub's rules (processes/repeat-concerns.toml), per "
                                        "subject; possible ones show only if a proposed match is confirmed",
        "items": {"type": "object", "required": ["rule", "label", "person_id", "subject_position", "explanation",
                                                 "possible", "contacts"], "properties": {
            "rule": {"type": "string"}, "label": {"type": "string"}, "person_id": {"type": "integer"},
            "subject_position": {"type": "integer"}, "explanation": {"type": "string"}, "possible": {"type": "boolean"},
            "proposed_person_id": {"type": ["integer", "null"]},
            "contacts": {"type": "array", "items": {"type": "object", "required": ["case_id", "reference", "received_at",
                                                                               "agency"], "properties": {
                "case_id": {"type": "integer"}, "reference": {"type": "string"},
                "received_at": {"type": "string", "format": "date-time"}, "agency": {"type": "string"}}}}}}}}}

RERATE = {"type": "object", "required": ["rag", "rag_rationale"], "additionalProperties": False, "properties": {
    "rag": {"type": "string", "enum": ["red", "amber", "green", "blue"]},
    "rag_rationale": {"type": "string", "minLength": 1, "maxLength": 10000}}}

SUBJECT_ACCESS_REQUEST = {"type": "object", "required": ["given_name", "family_name"], "additionalProperties": False,
                          "properties": {"given_name": {"type": "string", "minLength": 1, "maxLength": 200},
                                         "family_name": {"type": "string", "minLength": 1, "maxLength": 200},
                                         "date_of_birth": {"type": ["string", "null"], "format": "date"}}}

SUBJECT_ACCESS_EXPORT = {"type": "object", "required": ["subject_access_export", "cases", "redactions"], "properties": {
    "subject_access_export": {"type": "object", "required": ["generated_at", "generated_by", "request", "case_count"]},
    "cases": {"type": "array", "items": {"type": "object", "required": ["reference", "match", "subject"], "properties": {
        "reference": {"type": "string"}, "match": {"type": "string", "enum": ["names-and-date-of-birth", "names-only",
                                                                     "confirmed-in-person-index"]},
        "subject": {"type": "array", "items": {"type": "object"}}, "contact": {"type": "object"},
        "rag_history": {"type": "array"}, "agency_returns": {"type": "array"}, "strategy_discussions": {"type": "array"},
        "referrer_feedback": {"type": "array"}, "completed_forms": {"type": "array"}, "viewed_by": {"type": "array"}}}},
    "person_index": {"type": "array", "items": {"type": "object", "required": ["records", "merges", "relationships"],
                                                "properties": {"records": {"type": "array"}, "merges": {"type": "array"},
                                                               "relationships": {"type": "array"}}}},
    "redactions": {"type": "array", "items": {"type": "object", "required": ["reference", "record", "field", "reason"],
                                              "properties": {"reference": {"type": "string"}, "record": {"type": "string"},
                                                             "field": {"type": "string"}, "reason": {"type": "string"}}}}}}

CLOCK = {"type": "object", "required": ["now", "training"], "properties": {
    "now": {"type": "string", "format": "date-time"}, "training": {"type": "boolean"}}}


def _contact_schema() -> dict:
    settings = current_app.config["MASH_SETTINGS"]
    schema = json.loads((settings.forms_dir / "contact.json").read_text(encoding="utf-8"))
    schema.pop("$schema", None)
    return schema


def _responses(ok: dict, *codes: int) -> dict:
    text = {400: "Bad request", 401: "No or invalid bearer token", 403: "The caller's roles do not allow this",
            404: "Not found", 409: "A conflict: the task is no longer ready (someone else completed it) or is claimed; "
                                   "another version was deployed at the same moment",
            413: "Body too large", 415: "Not JSON (or, for uploads, not multipart/form-data)", 422: "Invalid input; nothing was stored"}
    responses = dict(ok)
    for code in codes:
        responses[str(code)] = {"description": text[code],
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return responses


def _clock_paths() -> dict:
    """Only the training sandbox has a clock to move."""
    ok = {"200": {"description": "The sandbox's time", "content": {"application/json": {"schema": CLOCK}}}}
    return {"/api/v1/clock": {
        "get": {"summary": "The training sandbox's time", "operationId": "getClock",
                "responses": _responses(ok, 401, 403, 404)},
        "post": {"summary": "Move the training sandbox's clock forward; due timers fire within a second",
                 "operationId": "moveClock",
                 "requestBody": {"required": True, "content": {"application/json": {"schema": {"oneOf": [
                     {"type": "object", "required": ["advance"], "additionalProperties": False,
                      "properties": {"advance": {"type": "string", "examples": ["PT5H"]}}},
                     {"type": "object", "required": ["set"], "additionalProperties": False,
                      "properties": {"set": {"type": "string", "format": "date-time"}}}]}}}},
                 "responses": _responses(ok, 400, 401, 403, 404, 422)}}}


REFERRER_CONTACT = {"type": "object", "required": ["case_id", "reference", "received_at", "status", "feedback"],
                    "additionalProperties": False, "properties": {
    "case_id": {"type": "integer"}, "reference": {"type": "string"},
    "received_at": {"type": "string", "format": "date-time"},
    "status": {"type": "string", "enum": ["with the hub", "feedback given", "closed"]},
    "feedback": {"type": "array", "items": {"type": "object", "required": ["method", "summary", "sent_at"], "properties": {
        "method": {"type": "string"}, "summary": {"type": "string"}, "sent_at": {"type": "string", "format": "date-time"}}}}}}

AUDIT_ENTRY = {"type": "object", "required": ["seq", "at", "username", "action", "case_id", "summary", "details", "hash"],
               "properties": {
    "seq": {"type": "integer"}, "at": {"type": "string", "format": "date-time"}, "username": {"type": "string"},
    "user_id": {"type": ["integer", "null"]}, "action": {"type": "string"}, "case_id": {"type": ["integer", "null"]},
    "task_id": {"type": ["string", "null"]}, "element_id": {"type": ["string", "null"]},
    "summary": {"type": "string"}, "details": {"type": "object"},
    "hash": {"type": "string", "description": "SHA-256 chaining this entry to the one before"}}}

def openapi_document() -> dict:
    task_id = {"name": "task_id", "in": "path", "required": True, "schema": {"type": "string"}}
    training = current_app.config["MASH_SETTINGS"].training
    return {
        "openapi": "3.1.0",
        "info": {"title": "MASH case work API", "version": "1.0.0",
                 "description": "Report contacts, read cases and work tasks of a Multi-Agency Safeguarding Hub."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "Mint with: mash token USERNAME"}},
            "schemas": {"Error": ERROR, "Case": CASE, "Contact": _contact_schema()},
        },
        "paths": {
            "/api/v1/contacts": {"post": {
                "summary": "Report a safeguarding concern (a contact)", "operationId": "createContact",
                "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                "schema": {"type": "string", "minLength": 1, "maxLength": 200}}],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Contact"}}}},
                "responses": _responses({"201": {"description": "Contact received", "content": {"application/json": {
                    "schema": {"type": "object", "required": ["case_id", "reference"], "properties": {
                        "case_id": {"type": "integer"}, "reference": {"type": "string"}}}}}}},
                    400, 401, 403, 413, 422)}},
            "/api/v1/cases/{case_id}": {"get": {
                "summary": "A case with its RAG history, open tasks and deadlines", "operationId": "getCase",
                "parameters": [{"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": _responses({"200": {"description": "The case", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Case"}}}}}, 401, 403, 404)}},
            "/api/v1/contacts/{case_id}": {"get": {
                "summary": "The referrer's view of a contact they made: status and feedback, never agency findings",
                "operationId": "getContact",
                "parameters": [{"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": _responses({"200": {"description": "The contact", "content": {"application/json": {
                    "schema": REFERRER_CONTACT}}}}, 401, 403, 404)}},
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
                "responses": _responses({"200": {"description": "Entries", "content": {"application/json": {
                    "schema": {"type": "array", "items": AUDIT_ENTRY}}}}}, 401, 403, 422)}},
            "/api/v1/tasks": {"get": {
                "summary": "The caller's inbox, soonest to breach first (tasks without a deadline last, oldest first)", "operationId": "listTasks",
                "responses": _responses({"200": {"description": "Open tasks of the caller's roles", "content": {
                    "application/json": {"schema": {"type": "array", "items": {"type": "object", "properties": {
                        "task_id": {"type": "string"}, "case_id": {"type": "integer"}, "name": {"type": "string"},
                        "role": {"type": "string"}, "due_at": {"type": ["string", "null"]},
                        "at_risk_at": {"type": ["string", "null"]},
                        "deadline_state": {"type": ["string", "null"],
                                           "enum": ["on-track", "at-risk", "breached", None]},
                        "rag": {"type": ["string", "null"]}}}}}}}}, 401, 403)}},
            "/api/v1/tasks/{task_id}": {"get": {
                "summary": "A task with its form (JSON Schema)", "operationId": "getTask", "parameters": [task_id],
                "responses": _responses({"200": {"description": "The task", "content": {"application/json": {
                    "schema": {"type": "object", "required": ["task_id", "form"], "properties": {
                        "task_id": {"type": "string"}, "form": {"type": "object"}}}}}}}, 401, 403, 404)}},
            "/api/v1/tasks/{task_id}/complete": {"post": {
                "summary": "Complete a task with its form data", "operationId": "completeTask", "parameters": [task_id],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": _responses({"200": {"description": "The case after the step", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Case"}}}},
                    "202": {"description": "The answers are held, but the process failed after this step: an "
                                           "incident was raised for managers, who retry it once the diagram is fixed",
                            "content": {"application/json": {"schema": HELD}}}},
                    400, 401, 403, 404, 409, 413, 422)}},
            "/api/v1/cases/{case_id}/rag": {"post": {
                "summary": "Re-rate a contact (MASH manager); its open deadlines move to the new timescale",
                "operationId": "changeRag",
                "parameters": [{"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": RERATE}}},
                "responses": _responses({"200": {"description": "The case after the re-rating", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Case"}}}}},
                    400, 401, 403, 404, 409, 422)}},
            **(_clock_paths() if training else {}),
            **sharing_decision_paths(_responses),
            **mi_dataset_paths(_responses),
            **trail_paths(_responses),
            **person_paths(_responses),
            **incident_paths(_responses),
            **process_model_paths(_responses),
            **diff_paths(_responses),
            "/api/v1/subject-access-exports": {"post": {
                "summary": "Everything held about one person, for the information governance officer (admin). "
                           "Third-party information is withheld and listed under redactions. Audited.",
                "operationId": "createSubjectAccessExport",
                "requestBody": {"required": True, "content": {"application/json": {"schema": SUBJECT_ACCESS_REQUEST}}},
                "responses": _responses({"200": {"description": "The export", "content": {"application/json": {
                    "schema": SUBJECT_ACCESS_EXPORT}}}}, 400, 401, 403, 413, 415, 422)}},
            "/healthz": {"get": {"summary": "Liveness", "security": [], "operationId": "health",
                                 "responses": {"200": {"description": "OK"}}}},
        },
    }
