"""Receive a concern about an adult at risk (Care Act 2014 section 42): store the contact, the adult and the concern's
codes, and start the adult_at_risk process. Children named in the household start a children's contact of their own
(the referral process), stored in the same transaction and started the same way, linked to the adult's case both
ways, so each pathway's decision makers see the other (docs/process-contract.md, "Adults at risk")."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.adults.models import AdultSafeguarding
from app.audit.operations import record
from app.cases.models import Case
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import FieldError, ValidationFailed
from app.core.vocabulary import (
    ADULT_ABUSE_KINDS_FIELD,
    ADULT_CHILDREN_CASE_FIELD,
    ADULT_FIELD,
)
from app.forms import FormDefinition
from app.intake.case_data import begin, contact_data, named_person, new_case, pathway_form, validated
from app.intake.contact_types import ADULT_AT_RISK
from app.intake.models import Contact
from app.intake.operations import receive_contact
from app.people.intake import index_subjects
from app.people.names import is_valid_nhs_number

#: The census source of the children's contact an adult concern starts: the hub's adult door (adult social care).
CHILDREN_CONTACT_SOURCE = "5A"
#: The adult's answer to "do they consent to the concern being raised", as the contact's consent position.
CONSENT_STATUS = {"yes": "given", "no": "refused", "not-asked": "not-sought"}


def adult_concern_form(session: Session) -> FormDefinition:
    """The adult-at-risk form of the current adult_at_risk process version (the page and the API)."""
    return pathway_form(session, ADULT_AT_RISK)[1]


def receive_adult_concern(session: Session, payload: dict[str, Any], actor: Actor, *, channel: str,
                          idempotency_key: str | None, digest: str | None, start: bool) -> Case:
    """Store a validated concern and its case, and start (or store, ``start=False``) its process. Children named get
    their own contact and case, stored in this transaction and started (or stored) alike: after the commit,
    app.intake.operations.start_received starts both, and the scheduler's sweep starts any a crash left."""
    version, form = validated(session, ADULT_AT_RISK, payload)
    adult = _person(payload["adult"])
    if adult["nhs_number"] and not is_valid_nhs_number(adult["nhs_number"]):
        raise ValidationFailed([FieldError("adult.nhs_number", "This NHS number is not valid: check it and enter it "
                                           "again", form.anchor("adult.nhs_number"))])
    received_at = now()
    immediate = bool(payload["immediate_risk"])
    case, _ = new_case(session, [{"role": "adult", **adult}], version_id=version.id, received_at=received_at,
                       immediate_risk=immediate, look_for_open_work=False)
    referrer = payload["referrer"]
    consent_status = CONSENT_STATUS[payload["adult_consents"]]
    session.add(Contact(
        case_id=case.id, source=CHILDREN_CONTACT_SOURCE, channel=channel, referrer_name=referrer["name"],
        referrer_organisation=referrer.get("organisation"), referrer_role=referrer.get("role"),
        referrer_email=referrer.get("email"), referrer_phone=referrer.get("phone"), concern=payload["concern"],
        immediate_risk=immediate, consent_status=consent_status, consent_reason=payload.get("consent_reason"),
        created_by_id=actor.user_id, idempotency_key=idempotency_key, idempotency_digest=digest,
        received_at=received_at, type=ADULT_AT_RISK.name))
    concern = AdultSafeguarding(
        case_id=case.id, raised_from="contact", raised_at=received_at, care_needs=payload["care_needs"],
        abuse_kinds=list(payload["abuse_kinds"]), location_of_risk=payload["location_of_risk"],
        source_of_risk=payload["source_of_risk"], adult_aware=bool(payload["adult_aware"]),
        adult_consents_to_concern=payload["adult_consents"], consent_reason=payload.get("consent_reason"))
    session.add(concern)
    record(session, actor, "contact.received", case_id=case.id, summary=f"Contact {case.reference} received",
           details={"channel": channel, "type": ADULT_AT_RISK.name, "children": len(payload.get("children") or [])})
    index_subjects(session, case, actor)
    children = payload.get("children") or []
    if children:
        children_case = _children_contact(session, case, payload, adult, actor, channel, start=start)
        concern.children_case_id = case.linked_case_id = children_case.id
    # (The children's decision names come empty: the adult pathway tests ``outcome`` to know it came from a contact.)
    data = contact_data(case, received_at=received_at, source=CHILDREN_CONTACT_SOURCE, immediate_risk=immediate,
                        work=None) | {
        ADULT_FIELD: adult,
        ADULT_ABUSE_KINDS_FIELD: list(payload["abuse_kinds"]),
        ADULT_CHILDREN_CASE_FIELD: None if not children else session.get_one(Case, case.linked_case_id).reference,
    }
    begin(session, case, data, actor, start=start)
    return case


def _children_contact(session: Session, adult_case: Case, payload: dict[str, Any], adult: dict[str, Any],
                      actor: Actor, channel: str, *, start: bool) -> Case:
    """The children's contact: the children and the adult as subjects, the referrer's words. Linked to
    the adult's case unless the children's own open work already links it elsewhere (that routing stands)."""
    subjects = [{"role": "child", "given_name": child["given_name"].strip(),
                 "family_name": child["family_name"].strip(),
                 **({"date_of_birth": child["date_of_birth"]} if child.get("date_of_birth") else {})}
                for child in payload["children"]]
    subjects.append({"role": "adult", "given_name": adult["given_name"], "family_name": adult["family_name"],
                     **{name: adult[name] for name in ("date_of_birth", "nhs_number", "address") if adult[name]}})
    referrer = {name: value for name, value in payload["referrer"].items() if value}
    contact = {
        "source": CHILDREN_CONTACT_SOURCE, "referrer": referrer, "subjects": subjects,
        "concern": f"Raised with a concern about an adult at risk in the household ({adult_case.reference}): "
                   f"{payload['concern']}",
        "immediate_risk": False,
        "consent": {"status": "not-sought",
                    "reason": f"The children were named on a concern about an adult at risk ({adult_case.reference})."},
    }
    # Started as the adult's case is: stored unstarted for the request to start after its commit (start_received
    # starts both), or here for the command line, the demo and the training runner.
    children_case, _created = receive_contact(session, contact, actor, channel=channel, start=start)
    if children_case.linked_case_id is None:
        children_case.linked_case_id = adult_case.id
    record(session, actor, "contact.linked", case_id=children_case.id,
           summary=f"Started from the adult at risk contact {adult_case.reference}",
           details={"adult_case_id": adult_case.id})
    return children_case


def _person(answers: dict[str, Any]) -> dict[str, Any]:
    return {**named_person(answers), "address": (answers.get("address") or "").strip() or None}
