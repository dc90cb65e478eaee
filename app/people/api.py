"""The person index in the JSON API: GET /api/v1/people/{person_id}, a person's network, and links to adults of
concern and places recorded on a case (proposed, then confirmed or rejected), with their OpenAPI description."""
from __future__ import annotations

from flask import g, jsonify
from sqlalchemy.orm import Session

from app.api import bp, json_body
from app.api.errors import refusal
from app.api.openapi import responses
from app.audit.operations import record
from app.concerns.chronology import for_reader, person_chronology
from app.core.actor import Actor
from app.core.clock import now
from app.core.db import get_db, run_in_transaction
from app.people import places
from app.people.clusters import root_of
from app.people.models import Person
from app.people.network import person_network
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


def _association(row) -> dict:
    return {"association_id": row.id, "child_person_id": row.child_person_id, "adult_person_id": row.adult_person_id,
            "place_id": row.place_id, "link": row.link, "seen_on": row.seen_on.isoformat(),
            "case_id": row.source_case_id, "agency": row.agency, "status": row.status, "recorded_by": row.recorded_by,
            "decided_by": row.decided_by}


@bp.post("/cases/<id:case_id>/associations")
def record_association(case_id: int):
    """A child on the case is linked to an adult of concern or a place: recorded as proposed."""
    row = run_in_transaction(places.record_association, case_id, json_body(), g.actor)
    return jsonify(_association(row)), 201


@bp.post("/cases/<id:case_id>/associations/<id:association_id>/decision")
def decide_association(case_id: int, association_id: int):
    """A hub decision maker confirms or rejects a proposed link: {"decision": "confirm" | "reject"}."""
    body = json_body()
    row = run_in_transaction(places.decide_association, association_id, body.get("decision"), g.actor,
                             case_id=case_id)
    return jsonify(_association(row))


@bp.get("/people/<id:person_id>/network")
def person_network_json(person_id: int):
    """The person's network one and two steps out, within need to know. Audited."""
    db = get_db()
    if db.session.get(Person, person_id) is None:
        return refusal(404, "There is no person with this id.")
    network = person_network(db.session, person_id, g.actor)
    record(db.session, g.actor, "person.viewed", summary="Viewed a person's network",
           details={"person_id": network.centre.id, "via": "api", "network_links": len(network.edges)})
    return jsonify(network.as_json())


ASSOCIATION = {"type": "object", "properties": {
    "association_id": {"type": "integer"}, "child_person_id": {"type": "integer"},
    "adult_person_id": {"type": ["integer", "null"]}, "place_id": {"type": ["integer", "null"]},
    "link": {"type": "string", "enum": list(places.LINKS)}, "seen_on": {"type": "string", "format": "date"},
    "case_id": {"type": ["integer", "null"]}, "agency": {"type": "string", "enum": list(places.SOURCES)},
    "status": {"type": "string", "enum": list(places.STATUSES)}, "recorded_by": {"type": "string"},
    "decided_by": {"type": ["string", "null"]}}}
NEW_ASSOCIATION = {"type": "object", "required": ["child_subject_id", "links_to", "link", "seen_on"], "properties": {
    "child_subject_id": {"type": "integer", "description": "A child subject of this case"},
    "links_to": {"type": "string", "enum": ["adult", "place"]},
    "link": {"type": "string", "enum": list(places.LINKS)},
    "seen_on": {"type": "string", "format": "date"},
    "agency": {"type": "string", "enum": list(places.SOURCES),
               "description": "Who said so; an agency practitioner always speaks for their own agency"},
    "adult_subject_id": {"type": "integer", "description": "An adult subject of this case"},
    "adult_person_id": {"type": "integer", "description": "Or a person already in the index"},
    "adult_given_name": {"type": "string"}, "adult_family_name": {"type": "string"},
    "adult_date_of_birth": {"type": "string", "format": "date"}, "adult_address": {"type": "string"},
    "place_id": {"type": "integer", "description": "A place already known, or a place by kind and name"},
    "place_kind": {"type": "string", "enum": list(places.PLACE_KINDS)}, "place_name": {"type": "string"},
    "place_address": {"type": "string"}, "place_postcode": {"type": "string"},
    "place_description": {"type": "string"}}}
NETWORK = {"type": "object", "properties": {
    "person_id": {"type": "integer"},
    "nodes": {"type": "array", "items": {"type": "object", "properties": {
        "key": {"type": "string"}, "kind": {"type": "string", "enum": ["child", "adult", "place"]},
        "id": {"type": "integer"}, "step": {"type": "integer"}}}},
    "links": {"type": "array", "items": {"type": "object"}}}}


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
    case = [{"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    person = [{"name": "person_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    return {**_person_path(),
        "/api/v1/cases/{case_id}/associations": {"post": {
            "summary": "Record that a child on the case is linked to an adult of concern or a place (proposed).",
            "operationId": "recordAssociation", "parameters": case,
            "requestBody": {"required": True, "content": {"application/json": {"schema": NEW_ASSOCIATION}}},
            "responses": responses({"201": {"description": "The link, proposed", "content": {"application/json": {
                "schema": ASSOCIATION}}}}, 400, 401, 403, 404, 409, 422)}},
        "/api/v1/cases/{case_id}/associations/{association_id}/decision": {"post": {
            "summary": "Confirm or reject a proposed link (a hub decision maker).",
            "operationId": "decideAssociation",
            "parameters": [*case, {"name": "association_id", "in": "path", "required": True,
                                   "schema": {"type": "integer"}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["decision"],
                "properties": {"decision": {"type": "string", "enum": ["confirm", "reject"]}}}}}},
            "responses": responses({"200": {"description": "The link, decided", "content": {"application/json": {
                "schema": ASSOCIATION}}}}, 400, 401, 403, 404, 409, 422)}},
        "/api/v1/people/{person_id}/network": {"get": {
            "summary": "A person's network of linked adults, places and children, one and two steps out. Audited.",
            "operationId": "getPersonNetwork", "parameters": person,
            "responses": responses({"200": {"description": "The network", "content": {"application/json": {
                "schema": NETWORK}}}}, 401, 403, 404)}}}


def _person_path() -> dict[str, dict]:
    return {"/api/v1/people/{person_id}": {"get": {
        "summary": "A person in the person index (the root of any merged records) with their chronology. Audited.",
        "operationId": "getPerson",
        "parameters": [{"name": "person_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": responses({"200": {"description": "The person", "content": {"application/json": {
            "schema": PERSON}}}}, 401, 403, 404)}}}
