"""The LADO's pages: telling the LADO about an allegation, the LADO's list of open allegations, and the allegation
section of a child's case page (each reader as app/lado/queries.py allows)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template
from flask.typing import ResponseReturnValue

from app.audit.operations import record
from app.core.db import get_db
from app.intake.allegations import allegation_form
from app.intake.contact_types import ALLEGATION
from app.intake.views import typed_contact_page
from app.lado.models import LadoAllegation
from app.lado.queries import DETAILS, allegations_read, open_allegations, reading_of

bp = Blueprint("lado", __name__, template_folder="templates")

SECTOR_LABELS = {"education": "Education", "early-years": "Early years", "health": "Health",
                 "social-care": "Social care", "police": "Police", "foster-carer": "Foster carer",
                 "faith": "Faith group",
                 "sport": "Sport and leisure", "voluntary": "Voluntary and charity", "transport": "Transport",
                 "secure-estate": "Secure estate", "other": "Other"}


@bp.route("/contacts/new/allegation", methods=["GET", "POST"])
def new_allegation() -> ResponseReturnValue:
    """Tell the LADO about an allegation against someone who works with children."""
    return typed_contact_page(ALLEGATION, allegation_form(get_db().session), "lado/new_allegation.html")


@bp.get("/lado")
def allegations() -> ResponseReturnValue:
    """The LADO's open allegations, oldest first, each with the step it waits on."""
    session = get_db().session
    rows = open_allegations(session, g.actor)
    record(session, g.actor, "lado.listed", details={"shown": len(rows)})
    return render_template("lado/allegations.html", rows=rows, sectors=SECTOR_LABELS)


@bp.app_template_global()
def lado_allegations(detail: Any) -> dict[str, Any] | None:
    """The case page's allegation section: the LADO's record for the LADO, the fact of it for the hub's decision
    makers, nothing for anyone else (and nothing when the case has none)."""
    reading = reading_of(g.actor)
    if reading is None or not detail.may_hold(LadoAllegation):
        return None
    rows = allegations_read(get_db().session, detail.case.id, reading)  # the page already applied need to know
    return {"details": reading == DETAILS, "rows": rows, "sectors": SECTOR_LABELS} if rows else None
