"""The page to raise a concern about an adult at risk, and the adult safeguarding record on the case page."""
from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.adults.queries import AdultRecordView, adult_records
from app.core.db import get_db, run_in_transaction
from app.core.errors import FieldError
from app.intake.adults import adult_concern_form
from app.intake.contact_types import ADULT_AT_RISK, TYPE_FIELD
from app.intake.operations import IDEMPOTENCY_FIELD, receive_contact, start_received
from app.intake.views import SENT_ALREADY
from app.web.refusals import read_form

bp = Blueprint("adults", __name__, template_folder="templates")

#: Words for the record's codes on the case page (the forms' own labels say the same).
ABUSE_LABELS = {"physical": "Physical", "domestic": "Domestic", "sexual": "Sexual", "psychological": "Psychological",
                "financial": "Financial or material", "modern-slavery": "Modern slavery",
                "discriminatory": "Discriminatory", "organisational": "Organisational",
                "neglect": "Neglect and acts of omission", "self-neglect": "Self-neglect"}
DECISION_LABELS = {"enquiry": "Section 42 enquiry", "other-action": "No section 42 enquiry: other action",
                   "no-enquiry": "No enquiry and no further safeguarding action"}


@bp.route("/contacts/new/adult-at-risk", methods=["GET", "POST"])
def new_adult_concern() -> ResponseReturnValue:
    """A concern about an adult with care and support needs (Care Act 2014 section 42), and any children with them."""
    form = adult_concern_form(get_db().session)
    submission_key = request.form.get("submission_key") or uuid.uuid4().hex

    def page(values: dict, errors: list[FieldError]) -> ResponseReturnValue:
        key = submission_key
        if any(error.field == IDEMPOTENCY_FIELD for error in errors):
            errors = [FieldError("submission_key", SENT_ALREADY, anchor="send") if error.field == IDEMPOTENCY_FIELD
                      else error for error in errors]
            key = uuid.uuid4().hex
        return render_template("adults/new_concern.html", form=form, values=values, errors=errors,
                               submission_key=key, title=ADULT_AT_RISK.title)

    if request.method == "GET":
        return page({}, [])
    values = read_form(form, page)
    case, _created = run_in_transaction(
        receive_contact, {**values, TYPE_FIELD: ADULT_AT_RISK.name}, g.actor, channel="web",
        idempotency_key=f"web:{submission_key[:64]}", start=False)
    start_received(get_db().session, case, g.actor)
    return redirect(url_for("intake.received", case_id=case.id))


@bp.app_template_global()
def adult_safeguarding_records(detail: Any) -> list[AdultRecordView]:
    """The case's adult safeguarding records, as the reader's need to know shows them (the case page)."""
    return adult_records(get_db().session, detail.sight)


@bp.app_template_global()
def adult_labels() -> dict[str, dict[str, str]]:
    return {"abuse": ABUSE_LABELS, "decision": DECISION_LABELS}
