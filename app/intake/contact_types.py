"""The kinds of contact the front door takes, and the process each one starts.

A contact without a ``type`` is a plain contact (every client written before types existed keeps working). A
police domestic-abuse notification ("PPN", "VPRF") starts its own process, which runs the domestic_abuse decision
table and the daily triage before any child goes to screening (docs/process-contract.md)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from app.core.errors import FieldError, ValidationFailed

#: The JSON field (and the stored column) naming a contact's type.
TYPE_FIELD = "type"


@dataclass(frozen=True)
class ContactType:
    """A kind of contact: the process it starts and the form (forms/<form>.json) its answers are checked against."""

    name: str
    process_id: str
    form: str
    title: str
    #: "module:function" storing a contact of this type and its case, called as
    #: ``receive(session, payload, actor, channel=, idempotency_key=, digest=, start=) -> Case``. Named, not
    #: imported, so the pathways' packages may build on intake without intake importing them back.
    receiver: str = ""
    #: What the type is, for the API's description of POST /api/v1/contacts.
    api_description: str = ""


CONTACT = ContactType("contact", "referral", "contact", "Report a safeguarding concern")
DOMESTIC_ABUSE_NOTIFICATION = ContactType(
    "domestic-abuse-notification", "domestic_abuse", "domestic_abuse_notification",
    "Notify the MASH of a domestic abuse incident", receiver="app.intake.notifications:receive_notification",
    api_description="a police domestic abuse notification (the incident, the victim, the alleged perpetrator, the "
                    "children present or in the household with their school ids from the hub's list, the 27 DASH "
                    "answers `q1`..`q27` (`yes`, `no`, `not-known`) and the officer's `risk_level`): it starts the "
                    "domestic_abuse process (the domestic abuse table, Operation Encompass and the daily triage)")
ALLEGATION = ContactType(
    "allegation", "lado_allegation", "allegation",
    "Tell the LADO about an allegation against someone who works with children",
    receiver="app.intake.allegations:receive_allegation",
    api_description="an allegation against a person who works or volunteers with children (the person with their "
                    "role, employer, sector and whether they are in regulated activity; the allegation; the child or "
                    "children; the employer's safeguarding lead; who is telling the LADO): it starts the "
                    "lado_allegation process, and the person and the allegation are kept in the LADO's own record")
ADULT_AT_RISK = ContactType(
    "adult-at-risk", "adult_at_risk", "adult_at_risk", "Raise a concern about an adult at risk",
    receiver="app.intake.adults:receive_adult_concern",
    api_description="a concern about an adult with care and support needs at risk of abuse or neglect (Care Act 2014 "
                    "section 42): the adult, their needs, the kinds of abuse, whether they know and consent, and any "
                    "`children` in the household. It starts the adult_at_risk process (adult social care's section 42 "
                    "decision); children named also start a children's contact (the referral process), linked to it")
MISSING_PERSON_NOTIFICATION = ContactType(
    "missing-person-notification", "missing_episode", "missing_person_notification",
    "Notify the MASH of a missing child", receiver="app.intake.missing_persons:receive_missing_person",
    api_description="a police missing-person notification (the child with `date_of_birth` and, if known, "
                    "`nhs_number` and `address`; `looked_after`; the police reference; the episode's start "
                    "`started_on` and UK `started_time`; the police `risk_grading` (`no-apparent-risk`, `low`, "
                    "`medium`, `high`); and, when the child is back, `returned` with `returned_on`, `returned_time` "
                    "and `found_where`): it starts the missing_episode process (the return, the return home "
                    "interview offered within 72 hours of it, and the repeat-episodes prompt)")
#: One line per type: each pathway adds its own.
CONTACT_TYPES: dict[str, ContactType] = {kind.name: kind for kind in (
    CONTACT,
    DOMESTIC_ABUSE_NOTIFICATION,
    ALLEGATION,
    ADULT_AT_RISK,
    MISSING_PERSON_NOTIFICATION,
)}


def type_of(payload: object) -> ContactType:
    """The type a contact names (a plain contact when it names none); an unknown type is refused on its field."""
    if not isinstance(payload, dict) or TYPE_FIELD not in payload:
        return CONTACT
    kind = CONTACT_TYPES.get(payload[TYPE_FIELD]) if isinstance(payload[TYPE_FIELD], str) else None
    if kind is None:
        raise ValidationFailed([FieldError(TYPE_FIELD, "The type must be one of: " + ", ".join(CONTACT_TYPES))])
    return kind


def without_type(payload: dict) -> dict:
    """The contact's answers, as its form checks them (the form has no ``type`` field)."""
    return {name: value for name, value in payload.items() if name != TYPE_FIELD}


def receiver_of(kind: ContactType) -> Callable[..., Any]:
    """The function that stores a contact of this (non-plain) type and its case."""
    module, _, function = kind.receiver.partition(":")
    return getattr(import_module(module), function)
