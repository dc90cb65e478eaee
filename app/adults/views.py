"""The page to raise a concern about an adult at risk, and the adult safeguarding record on the case page."""
from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask.typing import ResponseReturnValue

from app.adults.models import AdultSafeguarding
from app.adults.queries import AdultRecordView, adult_records
from app.core.db import get_db
from app.intake.adults import adult_concern_form
from app.intake.contact_types import ADULT_AT_RISK
from app.intake.views import typed_contact_page

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
    return typed_contact_page(ADULT_AT_RISK, adult_concern_form(get_db().session), "adults/new_concern.html")


@bp.app_template_global()
def adult_safeguarding_records(detail: Any) -> list[AdultRecordView]:
    """The case's adult safeguarding records, as the reader's need to know shows them (the case page)."""
    return adult_records(get_db().session, detail.sight) if detail.may_hold(AdultSafeguarding) else []


@bp.app_template_global()
def adult_labels() -> dict[str, dict[str, str]]:
    return {"abuse": ABUSE_LABELS, "decision": DECISION_LABELS}
