"""The person index in the JSON API: GET /api/v1/people/{person_id} and its OpenAPI description."""
from __future__ import annotations

from flask import g, jsonify
from sqlalchemy.orm import Session

from app.api import bp
from app.api.errors import refusal
from app.api.openapi import responses
from app.audit.operations import record
from app.concerns.chronology import for_reader, person_chronology
from app.core.actor import Actor
from app.core.clock import now
from app.core.db import get_db
from app.people.clusters import root_of
from app.people.models import Person
from app.people.queries import person_json


def person_document(session: Session, person_id: int, actor: Actor) -> dict | None:
    """The person ``person_id`` is part of (their root), with their chronology. Reading it is audited."""
    if session.get(Person, person_id) is None:
        return None
    root = root_of(session, person_id)
    entries = for_reader(session, actor, person_chronology(session, root), now())
    document = person_json(session, root, [entry.as_json() for entry in entries])
    record(session, actor, "person.viewed", summary="Viewed a person", details={"person_id": root, "via": "api"})
    return document


@bp.get("/people/<id:person_id>")
def get_person(person_id: int):
    """A person in the person index (the root of any merged records) with their chronology. Audited."""
    db = get_db()
    document = person_document(db.session, person_id, g.actor)
    if document is None:
        return refusal(404, "There is no person with this id.")
    return jsonify(document)


PERSON = {"type": "object", "required": ["person_id", "given_name", "family_name", "date_of_birth", "nhs_number",
                                         "gender", "names", "merged_person_ids", "relationships", "contacts",
                                         "chronology"], "properties": {
    "person_id": {"type": "integer", "description": "The person's root record; records merged into it are listed"},
    "given_name": {"type": "string"}, "family_name": {"type": "string"},
    "date_of_birth": {"type": ["string", "null"], "format": "date"},
    "nhs_number": {"type": ["string", "null"], "pattern": "^[0-9]{10}$"},
    "gender": {"type": ["string", "null"], "enum": ["0", "1", "2", "9", None]},
    "names": {"type": "array", "items": {"type": "string"}, "description": "Every name the person's contacts used"},
    "dates_of_birth": {"type": "array", "items": {"type": "string", "format": "date"}},
    "merged_person_ids": {"type": "array", "items": {"type": "integer"}},
    "relationships": {"type": "array", "items": {"type": "object",
                                                 "required": ["relationship", "direction", "person_id"],
                                                 "properties": {
        "relationship": {"type": "string", "enum": ["parent", "carer", "sibling", "household-member",
                                                    "alleged-perpetrator", "significant-other"]},
        "direction": {"type": "string", "enum": ["from", "to"],
                      "description": "from: this person is the relationship of person_id; to: the reverse"},
        "person_id": {"type": "integer"}}}},
    "contacts": {"type": "array", "items": {"type": "object",
                                            "required": ["case_id", "reference", "received_at", "role"],
                                            "properties": {
        "case_id": {"type": "integer"}, "reference": {"type": "string"},
        "received_at": {"type": "string", "format": "date-time"}, "role": {"type": "string"}}}},
    "chronology": {"type": "array", "items": {"type": "object", "required": ["at", "kind", "case_id", "summary"]}}}}


def openapi_paths() -> dict[str, dict]:
    return {"/api/v1/people/{person_id}": {"get": {
        "summary": "A person in the person index (the root of any merged records) with their chronology. Audited.",
        "operationId": "getPerson",
        "parameters": [{"name": "person_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": responses({"200": {"description": "The person", "content": {"application/json": {
            "schema": PERSON}}}}, 401, 403, 404)}}}
