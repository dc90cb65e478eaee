"""/api/v1/clock: the training sandbox's clock, read and moved by a trainer's script. Outside the sandbox
there is no clock to move: the routes answer 404 and the OpenAPI document leaves them out."""
from __future__ import annotations

from flask import abort, current_app, g, jsonify

from app.api import bp, json_body
from app.api.openapi import responses
from app.core.clock import now
from app.training import clock as training_clock


@bp.get("/clock")
def get_clock():
    _training_only()
    return jsonify({"now": now().isoformat(), "training": True})


@bp.post("/clock")
def move_clock():
    """Training sandbox only: {"advance": "PT5H"} or {"set": "2027-01-04T09:00:00Z"}. Due timers fire at once."""
    _training_only()
    body = json_body()
    moved = training_clock.move_clock(body, g.actor)
    return jsonify({"now": moved.isoformat(), "training": True})


def _training_only() -> None:
    if not current_app.config["MASH_SETTINGS"].training:
        abort(404)


CLOCK = {"type": "object", "required": ["now", "training"], "properties": {
    "now": {"type": "string", "format": "date-time"}, "training": {"type": "boolean"}}}


def openapi_paths() -> dict[str, dict]:
    """Only the training sandbox has a clock to move: elsewhere the document leaves it out."""
    if not current_app.config["MASH_SETTINGS"].training:
        return {}
    ok = {"200": {"description": "The sandbox's time", "content": {"application/json": {"schema": CLOCK}}}}
    return {"/api/v1/clock": {
        "get": {"summary": "The training sandbox's time", "operationId": "getClock",
                "responses": responses(ok, 401, 403, 404)},
        "post": {"summary": "Move the training sandbox's clock forward; due timers fire within a second",
                 "operationId": "moveClock",
                 "requestBody": {"required": True, "content": {"application/json": {"schema": {"oneOf": [
                     {"type": "object", "required": ["advance"], "additionalProperties": False,
                      "properties": {"advance": {"type": "string", "examples": ["PT5H"]}}},
                     {"type": "object", "required": ["set"], "additionalProperties": False,
                      "properties": {"set": {"type": "string", "format": "date-time"}}}]}}}},
                 "responses": responses(ok, 400, 401, 403, 404, 422)}}}
