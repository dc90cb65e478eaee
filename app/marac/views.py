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


@bp.app_template_global()
def encompass_or_marac_panel(task) -> dict:
    """The Encompass or MARAC step's facts for inbox/task.html (marac/_task_panel.html)."""
    from app.marac.queries import task_panel
    return task_panel(get_db().session, task)
