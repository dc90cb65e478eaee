"""Receive a police domestic-abuse notification: store the contact, the notification's structured parts and its
people, and start the domestic_abuse process with the decision table's inputs (docs/process-contract.md)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import Case
from app.core.actor import Actor
from app.core.calendar import LONDON, london_instant
from app.core.clock import now
from app.core.errors import FieldError, ValidationFailed
from app.core.vocabulary import (
    CHILDREN_IN_HOUSEHOLD_FIELD,
    DA_CHILDREN_FIELD,
    DA_INCIDENT_AT_FIELD,
    DA_PERPETRATOR_FIELD,
    DA_TRIAGE_FIELD,
    DA_VICTIM_FIELD,
    DASH_RISK_LEVEL_FIELD,
    DASH_TICKS_FIELD,
    ESCALATION_FIELD,
    PREGNANCY_FIELD,
)
from app.domestic_abuse import dash
from app.domestic_abuse.models import DomesticAbuseChild, DomesticAbuseNotification
from app.domestic_abuse.schools import known_school_ids
from app.forms import FormDefinition
from app.intake.case_data import begin, contact_data, named_person, new_case, pathway_form, validated
from app.intake.contact_types import DOMESTIC_ABUSE_NOTIFICATION
from app.intake.models import Contact
from app.people.intake import index_subjects
from app.people.names import is_valid_nhs_number, normalise_nhs_number

#: Police: the children in need census's referral source for every notification.
POLICE_SOURCE = "6"
#: A notification is shared under the police's safeguarding duty; the officer does not ask the family first.
CONSENT_REASON = "A police domestic abuse notification: shared under the police's duty to safeguard the children."
PEOPLE = ("victim", "perpetrator")


def notification_form(session: Session) -> FormDefinition:
    """The notification form of the current domestic_abuse process version (the page and the API)."""
    return pathway_form(session, DOMESTIC_ABUSE_NOTIFICATION)[1]


def notification_errors(payload: dict[str, Any]) -> list[FieldError]:
    """What the form cannot say: NHS numbers with a bad check digit, and schools the hub does not know."""
    errors = []
    for who in PEOPLE:
        number = normalise_nhs_number((payload.get(who) or {}).get("nhs_number"))
        if number and not is_valid_nhs_number(number):
            errors.append(FieldError(f"{who}.nhs_number", "This NHS number is not valid: check it and enter it again"))
    schools = known_school_ids()
    for position, child in enumerate(payload.get("children") or []):
        school = (child.get("school") or "").strip()
        if school and schools is not None and school not in schools:
            errors.append(FieldError(f"children.{position}.school",
                                     "Enter the id of a school in the hub's list of schools, or leave it blank"))
    return errors


def receive_notification(session: Session, payload: dict[str, Any], actor: Actor, *, channel: str,
                         idempotency_key: str | None, digest: str | None, start: bool) -> Case:
    """Store a validated notification and its case, and start (or store, ``start=False``) its process."""
    version, form = validated(session, DOMESTIC_ABUSE_NOTIFICATION, payload)
    errors = notification_errors(payload)
    if errors:
        raise ValidationFailed([FieldError(e.field, e.message, form.anchor(e.field or "")) for e in errors])
    received_at = now()
    incident = payload["incident"]
    incident_at = _incident_at(incident, received_at, form)
    children = payload.get("children") or []
    subjects = [{"role": "child", **named_person(child)} for child in children]
    subjects += [{"role": "adult", **named_person(payload["victim"])},
                 {"role": "alleged-perpetrator", **named_person(payload["perpetrator"])}]
    immediate = bool(payload["immediate_risk"])
    case, work = new_case(session, subjects, version_id=version.id, received_at=received_at,
                          immediate_risk=immediate)
    session.add(Contact(
        case_id=case.id, source=POLICE_SOURCE, channel=channel, referrer_name=incident["officer_name"],
        referrer_organisation="Police", referrer_role=f"Attending officer, collar number {incident['officer_number']}",
        concern=payload["circumstances"], immediate_risk=immediate, consent_status="not-sought",
        consent_reason=CONSENT_REASON, created_by_id=actor.user_id, idempotency_key=idempotency_key,
        idempotency_digest=digest, received_at=received_at, type=DOMESTIC_ABUSE_NOTIFICATION.name))
    answers = dict(payload["dash"])
    victim, perpetrator = named_person(payload["victim"]), named_person(payload["perpetrator"])
    notification = DomesticAbuseNotification(
        case_id=case.id, received_at=received_at, incident_at=incident_at, incident_location=incident["location"],
        officer_name=incident["officer_name"], officer_number=incident["officer_number"],
        risk_level=payload["risk_level"], dash_ticks=dash.ticks(answers), dash_answers=answers,
        escalation=dash.escalation(answers), pregnancy=dash.pregnancy(answers),
        **{f"{who}_{name}": (date.fromisoformat(value) if name == "date_of_birth" and value else value)
           for who, person in (("victim", victim), ("perpetrator", perpetrator)) for name, value in person.items()})
    session.add(notification)
    session.flush()
    for position, child in enumerate(children):
        session.add(DomesticAbuseChild(
            case_id=case.id, notification_id=notification.id, position=position, present=bool(child["present"]),
            school=(child.get("school") or "").strip() or None, **{
                name: (date.fromisoformat(value) if name == "date_of_birth" and value else value)
                for name, value in named_person(child).items() if name != "nhs_number"}))
    record(session, actor, "contact.received", case_id=case.id, summary=f"Contact {case.reference} received",
           details={"channel": channel, "source": POLICE_SOURCE, "type": DOMESTIC_ABUSE_NOTIFICATION.name,
                    "risk_level": payload["risk_level"]})
    index_subjects(session, case, actor)
    data = contact_data(case, received_at=received_at, source=POLICE_SOURCE, immediate_risk=immediate, work=work) | {
        DASH_RISK_LEVEL_FIELD: payload["risk_level"],
        DASH_TICKS_FIELD: notification.dash_ticks,
        ESCALATION_FIELD: notification.escalation,
        CHILDREN_IN_HOUSEHOLD_FIELD: len(children),
        PREGNANCY_FIELD: notification.pregnancy,
        DA_CHILDREN_FIELD: [{"given_name": child["given_name"].strip(), "family_name": child["family_name"].strip(),
                             "date_of_birth": child.get("date_of_birth") or None,
                             "school": (child.get("school") or "").strip() or None} for child in children],
        DA_INCIDENT_AT_FIELD: incident_at.isoformat(),
        DA_VICTIM_FIELD: victim,
        DA_PERPETRATOR_FIELD: perpetrator,
        DA_TRIAGE_FIELD: None,
    }
    begin(session, case, data, actor, start=start)
    return case


def _incident_at(incident: dict[str, Any], received_at: datetime, form: FormDefinition) -> datetime:
    """The incident's instant (London time given): never after the notification."""
    day = date.fromisoformat(incident["date"])
    if day > received_at.astimezone(LONDON).date():
        raise ValidationFailed([FieldError("incident.date", "The date of the incident must be today or in the past",
                                           form.anchor("incident.date"))])
    at = london_instant(day, incident["time"])
    if at > received_at:
        raise ValidationFailed([FieldError("incident.time", "The time of the incident must be in the past",
                                           form.anchor("incident.time"))])
    return at


