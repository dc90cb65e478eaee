"""The front door: reporting a safeguarding concern, and a referrer's own contacts."""
from __future__ import annotations

import uuid

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.audit.operations import record
from app.cases.queries import case_for_referrer, feedback_given
from app.core.db import get_db, run_in_transaction
from app.core.errors import FieldError, ValidationFailed
from app.forms import FormDefinition
from app.intake.contact_types import DOMESTIC_ABUSE_NOTIFICATION, TYPE_FIELD, ContactType
from app.intake.notifications import notification_form
from app.intake.operations import IDEMPOTENCY_FIELD, contact_form, receive_contact, start_received
from app.intake.queries import contacts_of
from app.intake.receipt import (
    PAGE_DAY,
    PAGE_INPUTS,
    RECEIVED_AT,
    RECEIVED_AT_REASON,
    from_page,
    may_state_receipt,
)
from app.web.refusals import read_form

bp = Blueprint("intake", __name__, template_folder="templates")

#: The form came back from the browser (Back, an answer changed, Send) with the key of a contact already sent.
SENT_ALREADY = ("This form was already sent with different answers. If this is a new concern, check the answers "
                "and select Send to the MASH again: it will be reported as a new contact. What you sent before "
                "is in Your contacts.")


#: Where the error summary's link for a receipt-time error lands on the page.
RECEIPT_ANCHORS = {RECEIVED_AT: PAGE_DAY, RECEIVED_AT_REASON: RECEIVED_AT_REASON}


@bp.route("/contacts/new", methods=["GET", "POST"])
def new_contact():
    """Report a safeguarding concern: the professional's front door to the hub."""
    form = contact_form(get_db().session)
    # A double-clicked "Send" must not report the concern twice: the form carries its own key.
    submission_key = request.form.get("submission_key") or uuid.uuid4().hex

    stating = may_state_receipt(g.actor)
    stated, page_errors = from_page(request.form) if stating and request.method == "POST" else (None, [])

    def page(values: dict, errors: list[FieldError]) -> ResponseReturnValue:
        key = submission_key
        # The receipt time's errors land on the page's own inputs, found here or by the operation.
        errors = [*errors, *(error for error in page_errors if error not in errors)]
        errors = [FieldError(error.field, error.message, anchor=RECEIPT_ANCHORS.get(error.field or ""))
                  if error.anchor is None else error for error in errors]
        if any(error.field == IDEMPOTENCY_FIELD for error in errors):
            # Never dropped, never sent twice unasked: said so, and sending again is a new contact.
            errors = [FieldError("submission_key", SENT_ALREADY, anchor="send") if error.field == IDEMPOTENCY_FIELD
                      else error for error in errors]
            key = uuid.uuid4().hex
        return render_template("intake/new_contact.html", form=form, values=values, errors=errors,
                               submission_key=key, stating=stating,
                               receipt={name: request.form.get(name, "") for name in PAGE_INPUTS})

    if request.method == "GET":
        return page({}, [])
    values = read_form(form, page)
    if page_errors:
        raise ValidationFailed(page_errors)
    if stating and (stated or request.form.get(RECEIVED_AT_REASON, "").strip()):
        values = {**values, RECEIVED_AT: stated, RECEIVED_AT_REASON: request.form.get(RECEIVED_AT_REASON, "")}
    case, _created = run_in_transaction(receive_contact, values, g.actor, channel="web",
                                        idempotency_key=f"web:{submission_key[:64]}", start=False)
    # Stored and committed first: the contact stands whatever the diagram does next.
    start_received(get_db().session, case, g.actor)
    return redirect(url_for("intake.received", case_id=case.id))


@bp.route("/contacts/new/domestic-abuse", methods=["GET", "POST"])
def new_notification():
    """A police officer's domestic abuse notification (a PPN): the incident, the people and the DASH answers."""
    return typed_contact_page(DOMESTIC_ABUSE_NOTIFICATION, notification_form(get_db().session),
                              "intake/new_notification.html")


def typed_contact_page(kind: ContactType, form: FormDefinition, template: str) -> ResponseReturnValue:
    """The page for a contact of one of the hub's other doors (app/intake/contact_types.py): its form, sent once
    (a resent page is refused as the plain contact's is), stored and committed, then started."""
    submission_key = request.form.get("submission_key") or uuid.uuid4().hex

    def page(values: dict, errors: list[FieldError]) -> ResponseReturnValue:
        key = submission_key
        if any(error.field == IDEMPOTENCY_FIELD for error in errors):
            errors = [FieldError("submission_key", SENT_ALREADY, anchor="send") if error.field == IDEMPOTENCY_FIELD
                      else error for error in errors]
            key = uuid.uuid4().hex
        return render_template(template, form=form, values=values, errors=errors, submission_key=key,
                               title=kind.title)

    if request.method == "GET":
        return page({}, [])
    values = read_form(form, page)
    case, _created = run_in_transaction(
        receive_contact, {**values, TYPE_FIELD: kind.name}, g.actor, channel="web",
        idempotency_key=f"web:{submission_key[:64]}", start=False)
    start_received(get_db().session, case, g.actor)  # stored and committed first, as a plain contact is
    return redirect(url_for("intake.received", case_id=case.id))


@bp.get("/contacts/<int:case_id>/received")
def received(case_id: int):
    """The referrer's page for one contact: the reference, what happens next, and the hub's feedback."""
    db = get_db()
    case = case_for_referrer(db.session, case_id, g.actor)
    if case is None:  # someone else's contact looks like no contact at all
        abort(404)
    record(db.session, g.actor, "contact.viewed", case_id=case_id)
    return render_template("intake/received.html", case=case, feedback=feedback_given(db.session, case_id))


@bp.get("/contacts")
def my_contacts():
    """The contacts you reported, newest first: the child you named and where each contact is."""
    db = get_db()
    return render_template("intake/my_contacts.html", rows=contacts_of(db.session, g.actor))
