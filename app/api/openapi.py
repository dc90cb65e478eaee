"""The OpenAPI 3.1 document for partner systems (and for fuzzing the API against it)."""
from __future__ import annotations

import json

from flask import current_app

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
    "rag_history": {"type": "array", "items": {"type": "object", "properties": {
        "from": {"type": ["string", "null"]}, "to": {"type": "string"}, "rationale": {"type": "string"},
        "by": {"type": "string"}, "at": {"type": "string", "format": "date-time"}, "step": {"type": ["string", "null"]}}}},
    "outcome": {"type": ["string", "null"], "enum": ["nfa", "advice", "early-help", "s17-assessment",
                                                     "strategy-discussion", "marac", "lado", "adult-safeguarding", None]},
    "strategy_outcome": {"type": ["string", "null"], "enum": ["s47-single", "s47-joint", "s17-assessment", "nfa", None]},
    "immediate_risk": {"type": "boolean"}, "linked_case_id": {"type": ["integer", "null"]},
    "subjects": {"type": "array", "items": {"type": "object"}},
    "open_tasks": {"type": "array", "items": OPEN_TASK},
    "agency_returns": {"type": "array", "items": {"type": "object"}},
    "deadlines": {"type": "array", "items": {"type": "object", "required": ["name", "kind", "due_at", "state", "met_at"],
                                            "properties": {
        "name": {"type": "string"}, "kind": {"type": "string", "enum": ["rag", "statutory", "check"]},
        "due_at": {"type": "string", "format": "date-time"},
        "state": {"type": "string", "enum": ["on-track", "at-risk", "breached", "met"]},
        "met_at": {"type": ["string", "null"], "format": "date-time"}}}},
    "process": {"type": "object", "properties": {"id": {"type": "string"}, "version": {"type": "integer"}}}}}

RERATE = {"type": "object", "required": ["rag", "rag_rationale"], "additionalProperties": False, "properties": {
    "rag": {"type": "string", "enum": ["red", "amber", "green", "blue"]},
    "rag_rationale": {"type": "string", "minLength": 1, "maxLength": 10000}}}

CLOCK = {"type": "object", "required": ["now", "training"], "properties": {
    "now": {"type": "string", "format": "date-time"}, "training": {"type": "boolean"}}}


def _contact_schema() -> dict:
    settings = current_app.config["MASH_SETTINGS"]
    schema = json.loads((settings.forms_dir / "contact.json").read_text(encoding="utf-8"))
    schema.pop("$schema", None)
    return schema


def _responses(ok: dict, *codes: int) -> dict:
    text = {400: "Bad request", 401: "No or invalid bearer token", 403: "The caller's roles do not allow this",
            404: "Not found", 409: "The task is no longer ready (someone else completed it) or is claimed",
            413: "Body too large", 415: "Not JSON", 422: "Invalid input; nothing was stored"}
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
                    "application/json": {"schema": {"$ref": "#/components/schemas/Case"}}}}},
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
            "/healthz": {"get": {"summary": "Liveness", "security": [], "operationId": "health",
                                 "responses": {"200": {"description": "OK"}}}},
        },
    }
