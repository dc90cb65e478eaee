"""Receive a contact: store what the referrer said, find any open case, start the referral process."""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adults.models import AdultSafeguarding
from app.audit.operations import record
from app.cases.models import Case
from app.casework.starting import start_stored
from app.casework.threshold import threshold_inputs
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import FieldError, ProcessFailed, ValidationFailed
from app.core.vocabulary import (
    CONTACT_FORM,
    SET_AT_MISSING_NOTIFICATION,
    SET_AT_NOTIFICATION,
)
from app.forms import FormDefinition, validate
from app.intake.case_data import begin, contact_data, new_case
from app.intake.contact_types import CONTACT, receiver_of, type_of, without_type
from app.intake.models import Contact
from app.intake.receipt import NOT_YOURS, RECEIVED_AT, RECEIVED_AT_REASON, StatedReceipt, stated_receipt
from app.people.intake import index_subjects, nhs_number_errors
from app.people.reported import LINKS_FIELD, agency_of_source, record_reported_links
from app.process_models.registry import compiled, latest_version


def contact_form(session: Session) -> FormDefinition:
    """The intake form of the current process version (the same schema for the web form and the API)."""
    return compiled(_current_version(session)).forms[CONTACT_FORM]


def _current_version(session: Session):
    version = latest_version(session)
    if version is None:
        raise ProcessFailed("No process is deployed: run 'mash init-db' first.")
    return version


#: The field a reused key is reported against (the API's header; the web form says it in its own words).
IDEMPOTENCY_FIELD = "Idempotency-Key"
KEY_USED_FOR_ANOTHER_CONTACT = ("This Idempotency-Key was already used for a different contact: nothing was stored. "
                                "Send a new key with each new contact, and the same key only to retry the same one.")


def contact_digest(payload: object) -> str:
    """SHA-256 of the contact as sent, canonical (keys sorted, no spacing): the same contact with its fields in
    another order has the same digest."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def find_by_idempotency_key(session: Session, actor: Actor, key: str, digest: str) -> Case | None:
    """The case this person's earlier contact with ``key`` made, if it was this same contact. The same key with
    a different contact is refused (ValidationFailed), so a second concern is never answered with the first
    and silently dropped. A key stored before digests were kept (no digest) answers as it always did."""
    contact = session.scalar(select(Contact).where(Contact.created_by_id == actor.user_id,
                                                   Contact.idempotency_key == key))
    if contact is None:
        return None
    if contact.idempotency_digest is not None and contact.idempotency_digest != digest:
        raise ValidationFailed([FieldError(IDEMPOTENCY_FIELD, KEY_USED_FOR_ANOTHER_CONTACT)])
    return session.get(Case, contact.case_id)


def receive_contact(session: Session, payload: dict, actor: Actor, *, channel: str,
                    idempotency_key: str | None = None, start: bool = True) -> tuple[Case, bool]:
    """Returns (case, created). A retried request with the same Idempotency-Key and the same contact creates
    nothing new; the same key with a different contact is refused.

    ``start=False`` stores the contact with its process not yet run (no diagram code runs): the web form and
    the API then commit it and call ``start_received``, so the referrer's answer stands whatever the diagram
    does. The command line, the demo and the training runner start it here, in the same transaction."""
    digest = contact_digest(payload) if idempotency_key else None
    if idempotency_key and digest:
        existing = find_by_idempotency_key(session, actor, idempotency_key, digest)
        if existing is not None:
            return existing, False
    kind = type_of(payload)  # a contact names its type, or is a plain contact (app/intake/contact_types.py)
    payload = without_type(payload) if isinstance(payload, dict) else payload
    if kind is not CONTACT:
        return receiver_of(kind)(session, payload, actor, channel=channel, idempotency_key=idempotency_key,
                                 digest=digest, start=start), True
    version = _current_version(session)  # read once: the form's and the case's
    form = compiled(version).forms[CONTACT_FORM]
    typed_in_at = now()
    payload, receipt, receipt_errors = _take_receipt(payload, actor, typed_in_at)
    errors = validate(form, payload) or nhs_number_errors(form, payload["subjects"])
    if errors or receipt_errors:
        if any(error.message == NOT_YOURS for error in receipt_errors):
            record(session, actor, "contact.received-at-refused", security=True,
                   summary="A receipt time was stated by a role that may not state one")
        raise ValidationFailed([*errors, *receipt_errors])
    # Every clock runs from when the hub received the contact, which for one typed in later is the time stated.
    received_at = receipt.at.astimezone(UTC) if receipt is not None else typed_in_at
    case, work = new_case(session, payload["subjects"], version_id=version.id,
                          received_at=received_at, typed_in_at=typed_in_at,
                          immediate_risk=bool(payload["immediate_risk"]))
    referrer = payload["referrer"]
    consent = payload["consent"]
    session.add(Contact(
        case_id=case.id, source=payload["source"], channel=channel, referrer_name=referrer["name"],
        referrer_organisation=referrer.get("organisation"), referrer_role=referrer.get("role"),
        referrer_email=referrer.get("email"), referrer_phone=referrer.get("phone"), concern=payload["concern"],
        immediate_risk=bool(payload["immediate_risk"]), consent_status=consent["status"],
        consent_reason=consent.get("reason"), created_by_id=actor.user_id, idempotency_key=idempotency_key,
        idempotency_digest=digest, received_at=received_at, received_at_reason=receipt.reason if receipt else None))
    record(session, actor, "contact.received", case_id=case.id, summary=f"Contact {case.reference} received",
           details={"channel": channel, "source": payload["source"]})
    if receipt is not None:
        # Who stated which time, and when it was typed in; the reason (free text) stays on the contact.
        record(session, actor, "contact.received-at-stated", case_id=case.id,
               summary=f"Received at {received_at:%Y-%m-%d %H:%M} UTC, typed in at {typed_in_at:%Y-%m-%d %H:%M} UTC",
               details={"received_at": received_at.isoformat(), "typed_in_at": typed_in_at.isoformat()})
    index_subjects(session, case, actor)
    # The people and places the referrer links a child to: proposed, for a decision maker to confirm or reject.
    record_reported_links(session, case, payload.get(LINKS_FIELD), actor, agency=agency_of_source(payload["source"]))
    data = contact_data(case, received_at=received_at, source=payload["source"],
                        immediate_risk=bool(payload["immediate_risk"]), work=work) | {
        # A plain contact is no domestic-abuse or missing-person notification: their names are present, empty, as
        # for every contact (the deploy check counts every name in SET_AT_CONTACT as known from the start).
        **dict.fromkeys(SET_AT_NOTIFICATION),
        **dict.fromkeys(SET_AT_MISSING_NOTIFICATION),
        # For the threshold table at screening: youngest_child_age, repeat_concern (app/casework/threshold).
        **threshold_inputs(session, case),
    }
    begin(session, case, data, actor, start=start)
    return case, True


def _take_receipt(payload: dict, actor: Actor, typed_in_at: datetime) -> tuple[
        dict, StatedReceipt | None, list[FieldError]]:
    """The referrer's contact (the form's fields) apart from the hub's stated receipt time and its reason."""
    if not isinstance(payload, dict) or not (RECEIVED_AT in payload or RECEIVED_AT_REASON in payload):
        return payload, None, []
    contact = {name: value for name, value in payload.items() if name not in (RECEIVED_AT, RECEIVED_AT_REASON)}
    receipt, errors = stated_receipt(payload.get(RECEIVED_AT), payload.get(RECEIVED_AT_REASON), actor, typed_in_at)
    return contact, receipt, errors


def start_received(session: Session, case: Case, actor: Actor) -> None:
    """After ``receive_contact(start=False)`` in a request: commit the contact, then start its process with
    the diagram's code outside any transaction (app.casework.starting.start_stored). A contact is never lost
    to its diagram, and no other writer waits behind diagram code. Called for a retried contact too: one
    whose first request stopped before its start was recorded starts now; any other is left as it is. A contact
    that stored another with it (an adult concern's children's contact) starts that one after it, the same way."""
    stored_with = list(session.scalars(
        select(Case).join(AdultSafeguarding, AdultSafeguarding.children_case_id == Case.id)
        .where(AdultSafeguarding.case_id == case.id).order_by(Case.id)))
    for started in (case, *stored_with):
        start_stored(session, started, actor)
