"""Receive a police missing-person notification: store the contact, the episode (linked to the child's record in
the person index), count the child's episodes against the repeat rule, and start the missing_episode process
(docs/process-contract.md, "Missing children")."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import Case
from app.core.actor import Actor
from app.core.calendar import london_instant
from app.core.clock import now
from app.core.errors import FieldError, ValidationFailed
from app.core.vocabulary import (
    MISSING_EPISODE_FIELD,
    MISSING_INTERVIEW_ACCEPTED_FIELD,
    MISSING_REPEAT_COUNT_FIELD,
    MISSING_REPEAT_FIELD,
    MISSING_RETURNED_AT_FIELD,
    MISSING_RETURNED_FIELD,
    MISSING_RISK_FIELD,
    MISSING_STRATEGY_DECISION_FIELD,
)
from app.forms import FormDefinition
from app.intake.case_data import begin, contact_data, named_person, new_case, pathway_form, validated
from app.intake.contact_types import MISSING_PERSON_NOTIFICATION
from app.intake.models import Contact
from app.missing.episodes import repeat_missing
from app.missing.models import MissingEpisode
from app.missing.recording import interview_due
from app.people.intake import index_subjects
from app.people.names import is_valid_nhs_number, normalise_nhs_number
from app.people.queries import proposed_matches

#: Police: the children in need census's referral source.
POLICE_SOURCE = "6"
#: Dates of an episode before this year are mistyped.
EARLIEST_YEAR = 1900
CONSENT_REASON = "A police missing-person notification: shared under the police's duty to safeguard the child."


def missing_person_form(session: Session) -> FormDefinition:
    """The notification form of the current missing_episode process version (the page and the API)."""
    return pathway_form(session, MISSING_PERSON_NOTIFICATION)[1]


def receive_missing_person(session: Session, payload: dict[str, Any], actor: Actor, *, channel: str,
                           idempotency_key: str | None, digest: str | None, start: bool) -> Case:
    """Store a validated notification, its case and episode, and start (or store, ``start=False``) its process."""
    version, form = validated(session, MISSING_PERSON_NOTIFICATION, payload)
    received_at = now()
    child = payload["child"]
    nhs_number = normalise_nhs_number(child.get("nhs_number"))
    if nhs_number and not is_valid_nhs_number(nhs_number):
        raise ValidationFailed([FieldError("child.nhs_number", "This NHS number is not valid: check it and enter "
                                           "it again", form.anchor("child.nhs_number"))])
    started_at = _instant(payload["started_on"], payload["started_time"], received_at, form, "started")
    returned = bool(payload["returned"])
    returned_at = (_instant(payload["returned_on"], payload["returned_time"], received_at, form, "returned")
                   if returned else None)
    if returned_at is not None and returned_at < started_at:
        raise ValidationFailed([FieldError("returned_on", "The return must be after the child went missing",
                                           form.anchor("returned_on"))])
    subject = {"role": "child", **named_person(child), "address": (child.get("address") or "").strip() or None}
    case, work = new_case(session, [subject], version_id=version.id, received_at=received_at, immediate_risk=False)
    session.add(Contact(
        case_id=case.id, source=POLICE_SOURCE, channel=channel, referrer_name=payload["officer_name"],
        referrer_organisation="Police", referrer_role=f"Missing person reference {payload['police_reference']}",
        concern=payload["circumstances"], immediate_risk=False, consent_status="not-sought",
        consent_reason=CONSENT_REASON, created_by_id=actor.user_id, idempotency_key=idempotency_key,
        idempotency_digest=digest, received_at=received_at, type=MISSING_PERSON_NOTIFICATION.name))
    index_subjects(session, case, actor)
    person_id = case.subjects[0].person_id
    episode = MissingEpisode(
        case_id=case.id, person_id=person_id, received_at=received_at, police_reference=payload["police_reference"],
        officer_name=payload["officer_name"], given_name=subject["given_name"], family_name=subject["family_name"],
        date_of_birth=date.fromisoformat(child["date_of_birth"]), nhs_number=nhs_number, address=subject["address"],
        looked_after=bool(payload["looked_after"]), started_at=started_at, risk_grading=payload["risk_grading"],
        returned_at=returned_at, found_where=(payload.get("found_where") or "").strip() or None if returned else None,
        return_recorded_at=received_at if returned else None,
        interview_due_at=interview_due(version, returned_at) if returned_at else None)
    session.add(episode)
    session.flush()
    proposed = proposed_matches(session, case).get(case.subjects[0].id, [])
    repeat = repeat_missing(session, [person_id] if person_id else [], started_at,
                            proposed=[match.person_id for match in proposed])
    episode.repeat_count, episode.repeat = repeat.count, repeat.flagged
    record(session, actor, "contact.received", case_id=case.id, summary=f"Contact {case.reference} received",
           details={"channel": channel, "source": POLICE_SOURCE, "type": MISSING_PERSON_NOTIFICATION.name,
                    "risk_grading": payload["risk_grading"], "returned": returned, "repeat": repeat.flagged})
    data = contact_data(case, received_at=received_at, source=POLICE_SOURCE, immediate_risk=False, work=work) | {
        MISSING_EPISODE_FIELD: episode.id,
        MISSING_RISK_FIELD: payload["risk_grading"],
        MISSING_RETURNED_FIELD: returned,
        MISSING_RETURNED_AT_FIELD: returned_at.isoformat() if returned_at else None,
        MISSING_REPEAT_FIELD: repeat.flagged,
        MISSING_REPEAT_COUNT_FIELD: repeat.count,
        MISSING_INTERVIEW_ACCEPTED_FIELD: None,
        MISSING_STRATEGY_DECISION_FIELD: None,
    }
    begin(session, case, data, actor, start=start)
    return case


def _instant(day: str, clock: str, received_at: datetime, form: FormDefinition, which: str) -> datetime:
    """A date and UK time on the form, never after the notification."""
    field = f"{which}_on"
    when = date.fromisoformat(day)
    if when.year < EARLIEST_YEAR:  # no real episode; and the repeat rule's window must not run off the calendar
        raise ValidationFailed([FieldError(field, "Enter a real date", form.anchor(field))])
    at = london_instant(when, clock)
    if at > received_at:
        raise ValidationFailed([FieldError(field, "The date and time must be in the past", form.anchor(field))])
    return at
