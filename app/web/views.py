from __future__ import annotations

from flask import Blueprint, g, redirect, url_for
from sqlalchemy import text

from app.auth.authorisation import TASK_ROLES
from app.core.db import get_db

bp = Blueprint("web", __name__)


@bp.get("/")
def home():
    if g.actor.roles & TASK_ROLES:
        return redirect(url_for("inbox.index"))
    return redirect(url_for("intake.new_contact"))


@bp.get("/healthz")
def healthz():
    get_db().session.execute(text("SELECT 1"))
    return {"status": "ok"}
