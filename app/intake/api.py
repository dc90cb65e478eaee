"""Contacts in the JSON API: a partner system reports a concern, and a referrer reads back what became of it."""
from __future__ import annotations

import json

from flask import current_app, g, jsonify, request
from sqlalchemy.exc import IntegrityError

from app.api import bp, json_body
from app.api.errors import refusal
from app.api.openapi import responses
from app.audit.operations import record
from app.cases.queries import case_for_referrer, referrer_view
from app.core.db import get_db, run_in_transaction
from app.core.errors import FieldError, ValidationFailed
from app.intake.contact_types import CONTACT, CONTACT_TYPES, TYPE_FIELD, ContactType
from app.intake.operations import contact_digest, find_by_idempotency_key, receive_contact, start_received


@bp.post("/contacts")
def create_contact():
    body = json_body()
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (0 < len(key) <= 200):
        raise ValidationFailed([FieldError("Idempotency-Key",
                                           "The Idempotency-Key header must be 1 to 200 characters")])
    try:
        case, _created = run_in_transaction(receive_contact, body, g.actor, channel="api", idempotency_key=key,
                                            start=False)
    except IntegrityError:
        # The same key arrived twice at once: the first request won; answer with its case if this is the
        # same contact, and refuse a different one.
        case = find_by_idempotency_key(get_db().session, g.actor, key, contact_digest(body)) if key else None
        if case is None:
            raise
    # Stored and committed first: the 201 stays true whatever the diagram does next. (A retry of a contact
    # whose first request stopped before its start was recorded starts it now.)
    start_received(get_db().session, case, g.actor)
    return jsonify({"case_id": case.id, "reference": case.reference}), 201


@bp.get("/contacts/<id:case_id>")
def get_contact(case_id: int):
    """The referrer's view of a contact they made: where it is and the feedback, never agency findings."""
    db = get_db()
    case = case_for_referrer(db.session, case_id, g.actor)
    if case is None:  # someone else's contact is answered as if it did not exist
        return refusal(404, "There is no contact with this id that you made.")
    record(db.session, g.actor, "contact.viewed", case_id=case_id, details={"via": "api"})
    return jsonify(referrer_view(db.session, case))


REFERRER_CONTACT = {"type": "object", "required": ["case_id", "reference", "received_at", "status", "feedback"],
                    "additionalProperties": False, "properties": {
    "case_id": {"type": "integer"}, "reference": {"type": "string"},
    "received_at": {"type": "string", "format": "date-time"},
    "status": {"type": "string", "enum": ["with the hub", "feedback given", "closed"]},
    "feedback": {"type": "array", "items": {"type": "object", "required": ["method", "summary", "sent_at"],
                                            "properties": {
        "method": {"type": "string"}, "summary": {"type": "string"},
        "sent_at": {"type": "string", "format": "date-time"}}}}}}


def openapi_paths() -> dict[str, dict]:
    return {
        "/api/v1/contacts": {"post": {
            "summary": "Report a safeguarding concern (a contact)", "operationId": "createContact",
            "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                            "schema": {"type": "string", "minLength": 1, "maxLength": 200}}],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"oneOf": [{"$ref": "#/components/schemas/Contact"}, *map(_type_schema, _other_types())]}}}},
            "responses": responses({"201": {"description": "Contact received", "content": {"application/json": {
                "schema": {"type": "object", "required": ["case_id", "reference"], "properties": {
                    "case_id": {"type": "integer"}, "reference": {"type": "string"}}}}}}},
                400, 401, 403, 413, 422),
            "description": "A retry with the same Idempotency-Key and the same contact answers with the case it made; "
                           "the same key with a different contact is refused (422) and nothing is stored. "
                           "A contact without `type` is a plain contact (the referral process). "
                           + " ".join(f"With `\"type\": \"{kind.name}\"` it is {kind.api_description}."
                                      for kind in _other_types())
                           + " An unknown `type` is refused (422) on the field `type`."}},
        "/api/v1/contacts/{case_id}": {"get": {
            "summary": "The referrer's view of a contact they made: status and feedback, never agency findings",
            "operationId": "getContact",
            "parameters": [{"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": responses({"200": {"description": "The contact", "content": {"application/json": {
                "schema": REFERRER_CONTACT}}}}, 401, 403, 404)}},
    }


def _other_types() -> list[ContactType]:
    return [kind for kind in CONTACT_TYPES.values() if kind is not CONTACT]


def _type_schema(kind: ContactType) -> dict:
    """A contact type's form (forms/<form>.json) with its ``type``."""
    settings = current_app.config["MASH_SETTINGS"]
    schema = json.loads((settings.forms_dir / f"{kind.form}.json").read_text(encoding="utf-8"))
    schema.pop("$schema", None)
    schema["properties"] = {TYPE_FIELD: {"type": "string", "const": kind.name}, **schema["properties"]}
    schema["required"] = [TYPE_FIELD, *schema["required"]]
    return schema
