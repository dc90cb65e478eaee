from __future__ import annotations

from flask import Blueprint, current_app, g, redirect, url_for
from sqlalchemy import text

from app.auth.authorisation import may_use
from app.core.db import get_db

bp = Blueprint("web", __name__)

#: Where each person starts: (what they may do, the page) in order, their own work first. Process owners
#: start on the process models they change, trainers and auditors on what they read.
START_PAGES = (("inbox.index", "inbox.index"), ("dashboard.index", "dashboard.index"),
               ("process_models.upload", "process_models.index"), ("training.start", "maps.index"),
               ("audit.index", "audit.index"), ("maps.index", "maps.index"))


@bp.get("/")
def home():
    if current_app.config["MASH_SETTINGS"].training and may_use("training.index", g.actor.roles):
        return redirect(url_for("training.index"))
    start = next((page for needed, page in START_PAGES if may_use(needed, g.actor.roles)), "intake.new_contact")
    return redirect(url_for(start))


@bp.get("/healthz")
def healthz():
    get_db().session.execute(text("SELECT 1"))
    return {"status": "ok"}
