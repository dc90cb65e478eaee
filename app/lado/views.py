"""The LADO's pages: telling the LADO about an allegation, the LADO's list of open allegations, and the allegation
section of a child's case page (each reader as app/lado/queries.py allows)."""
from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.audit.operations import record
from app.core.db import get_db, run_in_transaction
from app.core.errors import FieldError
from app.intake.allegations import allegation_form
from app.intake.contact_types import ALLEGATION, TYPE_FIELD
from app.intake.operations import IDEMPOTENCY_FIELD, receive_contact, start_received
from app.intake.views import SENT_ALREADY
from app.lado.queries import DETAILS, allegations_read, open_allegations, reading_of
from app.web.refusals import read_form

bp = Blueprint("lado", __name__, template_folder="templates")

SECTOR_LABELS = {"education": "Education", "early-years": "Early years", "health": "Health",
                 "social-care": "Social care", "police": "Police", "foster-carer": "Foster carer",
                 "faith": "Faith group",
                 "sport": "Sport and leisure", "voluntary": "Voluntary and charity", "transport": "Transport",
                 "secure-estate": "Secure estate", "other": "Other"}


@bp.route("/contacts/new/allegation", methods=["GET", "POST"])
def new_allegation() -> ResponseReturnValue:
    """Tell the LADO about an allegation against someone who works with children."""
    form = allegation_form(get_db().session)
    submission_key = request.form.get("submission_key") or uuid.uuid4().hex

    def page(values: dict, errors: list[FieldError]) -> ResponseReturnValue:
        key = submission_key
        if any(error.field == IDEMPOTENCY_FIELD for error in errors):
            errors = [FieldError("submission_key", SENT_ALREADY, anchor="send") if error.field == IDEMPOTENCY_FIELD
                      else error for error in errors]
            key = uuid.uuid4().hex
        return render_template("lado/new_allegation.html", form=form, values=values, errors=errors,
                               submission_key=key, title=ALLEGATION.title)

    if request.method == "GET":
        return page({}, [])
    values = read_form(form, page)
    case, _created = run_in_transaction(
        receive_contact, {**values, TYPE_FIELD: ALLEGATION.name}, g.actor, channel="web",
        idempotency_key=f"web:{submission_key[:64]}", start=False)
    start_received(get_db().session, case, g.actor)
    return redirect(url_for("intake.received", case_id=case.id))


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
    if reading is None:
        return None
    rows = allegations_read(get_db().session, detail.case.id, reading)  # the page already applied need to know
    return {"details": reading == DETAILS, "rows": rows, "sectors": SECTOR_LABELS} if rows else None
