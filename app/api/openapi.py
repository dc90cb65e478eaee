"""The OpenAPI 3.1 document for partner systems (and for fuzzing the API against it).

Each feature describes its own routes beside them, in its api.py's ``openapi_paths()``; this module holds what
they share (the Error, Case and Contact schemas and the standard error answers) and puts the document together.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Protocol

from flask import current_app

from app.core.vocabulary import DECISION_OUTCOMES, RAG_CODES, STRATEGY_OUTCOME_LABELS
from app.intake.receipt import RECEIPT_PROPERTIES

ERROR = {"type": "object", "required": ["errors"], "properties": {"errors": {"type": "array", "items": {
    "type": "object", "required": ["message"],
    "properties": {"field": {"type": ["string", "null"]}, "message": {"type": "string"}}}}}}

OPEN_TASK = {"type": "object", "properties": {
    "task_id": {"type": "string"}, "name": {"type": "string"}, "role": {"type": "string"},
    "due_at": {"type": ["string", "null"], "format": "date-time"}}}

#: A possible match in the person index for one of a case's subjects.
MATCH = {"type": "object", "required": ["person_id", "score", "reasons"], "properties": {
    "person_id": {"type": "integer"}, "score": {"type": "number", "minimum": 0, "maximum": 100},
    "reasons": {"type": "array", "items": {"type": "string"}}}}

#: A case as its reader may see it (need to know, app/auth/authorisation.py CASE_RULES): decision makers get every
#: field; an involved agency gets the contact, subjects, rating, questions and the returns it may read; business
#: support the decision, referrer and subjects' names. Fields a reader may not see are absent.
CASE = {"type": "object", "required": ["case_id", "reference", "status", "rag", "open_tasks", "process",
                                       "agency_returns", "deadlines"], "properties": {
    "case_id": {"type": "integer"}, "reference": {"type": "string"},
    "status": {"type": "string", "enum": ["open", "closed"]}, "closure": {"type": ["string", "null"]},
    "received_at": {"type": "string", "format": "date-time",
                    "description": "When the hub received the contact (a stated time for one typed in later): every "
                                   "clock runs from it, and reports count contacts by it"},
    "typed_in_at": {"type": "string", "format": "date-time",
                    "description": "When the contact was typed in (the same as received_at unless one was stated)"},
    "received_at_reason": {"type": ["string", "null"],
                           "description": "Why the contact was typed in after it was received (with the concern)"},
    "referral_date": {"type": ["string", "null"], "format": "date-time",
                      "description": "When the decision made the contact a referral (section 17 assessment or "
                                     "strategy discussion); reports count referrals by it"},
    "rag": {"type": ["string", "null"], "enum": [*RAG_CODES, None]},
    "rag_initial": {"type": ["string", "null"]},
    "presenting_factors": {"type": "array", "items": {"type": "string"},
                           "description": "CIN census factor codes recorded at screening (empty before screening)"},
    "rag_history": {"type": "array", "items": {"type": "object", "properties": {
        "from": {"type": ["string", "null"]}, "to": {"type": "string"}, "rationale": {"type": "string"},
        "by": {"type": "string"}, "at": {"type": "string", "format": "date-time"},
        "step": {"type": ["string", "null"]}}}},
    "outcome": {"type": ["string", "null"], "enum": [*DECISION_OUTCOMES, None]},
    "strategy_outcome": {"type": ["string", "null"], "enum": [*STRATEGY_OUTCOME_LABELS, None]},
    "immediate_risk": {"type": "boolean"}, "linked_case_id": {"type": ["integer", "null"]},
    "anonymised_at": {"type": ["string", "null"], "format": "date-time",
                      "description": "When the retention policy removed this contact's personal data"},
    "subjects": {"type": "array", "items": {"type": "object", "properties": {
        "person_id": {"type": ["integer", "null"],
                      "description": "The person in the index, once nothing is left to decide "
                                     "(null while matches are proposed)"},
        "proposed_matches": {"type": "array", "items": MATCH}}}},
    "open_tasks": {"type": "array", "items": OPEN_TASK},
    "agency_returns": {"type": "array", "items": {"type": "object", "required": ["agency", "nothing_known", "findings",
                                                                                "handling_restriction", "returned_at"],
                                                  "properties": {
        "agency": {"type": "string"}, "nothing_known": {"type": "boolean"}, "findings": {"type": ["string", "null"]},
        "handling_restriction": {"type": "string"}, "returned_at": {"type": "string", "format": "date-time"},
        "releases": {"type": "array", "description": "Releases inside the hub (to the owner and decision makers)",
                     "items": {"type": "object", "properties": {
                         "to": {"type": "string"}, "released_by": {"type": "string"},
                         "released_at": {"type": "string", "format": "date-time"},
                         "read_at": {"type": ["string", "null"], "format": "date-time"},
                         "withdrawn_at": {"type": ["string", "null"], "format": "date-time"}}}}}},
        "description": "The returns the reader may read: all for decision makers; an agency's own and those "
                       "released to it"},
    "concern": {"type": "string"}, "questions_for_agencies": {"type": ["string", "null"]},
    "outcome_rationale": {"type": ["string", "null"]}, "decided_by": {"type": ["string", "null"]},
    "additional_referrals": {"type": "array", "items": {"type": "string"},
                             "description": "Referrals the decision made besides its outcome (each its own step)"},
    "agencies_not_returned": {"type": "array", "items": {"type": "string"},
                              "description": "Requested agencies whose checks had not returned when the outcome "
                                             "was decided (the hub went on without them)"},
    "referrer": {"type": "object", "properties": {
        "name": {"type": "string"}, "organisation": {"type": ["string", "null"]}, "role": {"type": ["string", "null"]},
        "email": {"type": ["string", "null"]}, "phone": {"type": ["string", "null"]}}},
    "exceptional_access": {"type": "boolean", "description": "The reader opened this case by breaking glass"},
    "deadlines": {"type": "array", "items": {"type": "object",
                                            "required": ["name", "kind", "due_at", "state", "met_at"],
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
            "contacts": {"type": "array", "items": {"type": "object", "required": ["case_id", "reference",
                                                                               "received_at",
                                                                               "agency"], "properties": {
                "case_id": {"type": "integer"}, "reference": {"type": "string"},
                "received_at": {"type": "string", "format": "date-time"}, "agency": {"type": "string"}}}}}}},
    "exploitation_links": {
        "type": "array", "description": "Exploitation flags by the hub's rules (processes/exploitation-links.toml): "
                                        "children linked to the same adult (person_id) or place (place_id); "
                                        "possible ones count links not yet confirmed",
        "items": {"type": "object", "required": ["rule", "label", "kind", "children", "explanation", "possible",
                                                 "subject_positions", "association_ids"], "properties": {
            "rule": {"type": "string"}, "label": {"type": "string"}, "kind": {"type": "string",
                                                                              "enum": ["adult", "place"]},
            "person_id": {"type": "integer"}, "place_id": {"type": "integer"}, "children": {"type": "integer"},
            "explanation": {"type": "string"}, "possible": {"type": "boolean"},
            "subject_positions": {"type": "array", "items": {"type": "integer"}},
            "association_ids": {"type": "array", "items": {"type": "integer"}}}}}}}

#: The liveness check is the web package's (app/web/views.py), not the API's; monitoring reads it here.
HEALTH = {"/healthz": {"get": {"summary": "Liveness", "security": [], "operationId": "health",
                               "responses": {"200": {"description": "OK"}}}}}


class FeatureApi(Protocol):
    """A feature's api.py: its routes decorate ``app.api.bp``, and it describes them here."""

    def openapi_paths(self) -> dict[str, dict]: ...


def responses(ok: dict, *codes: int) -> dict:
    """An operation's answers: ``ok`` (its successes) and the API's standard error answers for ``codes``."""
    text = {400: "Bad request", 401: "No or invalid bearer token", 403: "The caller's roles do not allow this",
            404: "Not found", 409: "A conflict: the task is no longer ready (someone else completed it) or is claimed; "
                                   "another version was deployed at the same moment",
            413: "Body too large", 415: "Not JSON (or, for uploads, not multipart/form-data)",
            422: "Invalid input; nothing was stored"}
    answers = dict(ok)
    for code in codes:
        answers[str(code)] = {"description": text[code],
                              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return answers


def openapi_document(features: Iterable[FeatureApi]) -> dict:
    """The document: the shared parts, and each feature's path items. An operation described twice is a
    mistake in the code, not something to paper over."""
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
        "paths": _paths([*(feature.openapi_paths() for feature in features), HEALTH]),
    }


def _paths(described: Iterable[dict[str, dict]]) -> dict[str, dict]:
    paths: dict[str, dict] = {}
    for items in described:
        for path, operations in items.items():
            item = paths.setdefault(path, {})
            twice = item.keys() & operations.keys()
            if twice:
                raise ValueError(f"{path} {sorted(twice)} is described twice")
            item.update(operations)
    return paths


def _contact_schema() -> dict:
    """The contact form's schema, and the hub's own receipt time for a contact typed in later."""
    settings = current_app.config["MASH_SETTINGS"]
    schema = json.loads((settings.forms_dir / "contact.json").read_text(encoding="utf-8"))
    schema.pop("$schema", None)
    schema["properties"].update(RECEIPT_PROPERTIES)
    return schema
