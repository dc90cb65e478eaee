"""The MARAC coordinator's page (/marac): referrals waiting, with the next meeting and whether the person index
finds the victim a repeat, and the referrals made."""
from __future__ import annotations

from flask import Blueprint, g, render_template
from flask.typing import ResponseReturnValue

from app.core.db import get_db
from app.marac.queries import coordinator_list

bp = Blueprint("marac", __name__, template_folder="templates")


@bp.get("/marac")
def index() -> ResponseReturnValue:
    return render_template("marac/index.html", marac=coordinator_list(get_db().session, g.actor))
