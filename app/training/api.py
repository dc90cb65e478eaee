"""/api/v1/clock: the training sandbox's clock, read and moved by a trainer's script. Outside the sandbox
there is no clock to move: the routes answer 404 and the OpenAPI document leaves them out."""
from __future__ import annotations

from flask import abort, current_app, g, jsonify

from app.api import bp, json_body
from app.audit.operations import record
from app.core.clock import now
from app.core.db import get_db
from app.deadlines.scheduler import wake_scheduler
from app.deadlines.training_clock import set_training_clock


@bp.get("/clock")
def get_clock():
    _training_only()
    return jsonify({"now": now().isoformat(), "training": True})


@bp.post("/clock")
def move_clock():
    """Training sandbox only: {"advance": "PT5H"} or {"set": "2027-01-04T09:00:00Z"}. Due timers fire at once."""
    _training_only()
    body = json_body()
    moved = set_training_clock(body)
    record(get_db().session, g.actor, "clock.moved", summary=f"Training clock set to {moved.isoformat()}",
           details={key: body[key] for key in ("advance", "set") if key in body})
    get_db().session.commit()
    wake_scheduler()
    return jsonify({"now": moved.isoformat(), "training": True})


def _training_only() -> None:
    if not current_app.config["MASH_SETTINGS"].training:
        abort(404)
