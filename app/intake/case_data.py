"""What every contact's case data starts with, whatever door it came through, and how it is then started.

Every name here is in SET_AT_CONTACT (app/core/vocabulary.py), which the deploy check counts as known from the
start: a diagram may test any of them on any contact. A door adds its own names on top."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.cases.models import Case, Subject
from app.casework.starting import start_workflow, store_unstarted
from app.core.actor import Actor
from app.core.errors import ValidationFailed
from app.core.vocabulary import (
    HAS_OPEN_CASE_FIELD,
    IMMEDIATE_RISK_FIELD,
    OPEN_ENQUIRY_FIELD,
    OUTCOME_FIELD,
    RECEIVED_AT_FIELD,
    REFERENCE_FIELD,
    REFERRAL_DATE_FIELD,
    SOURCE_FIELD,
    STRATEGY_OUTCOME_FIELD,
)
from app.deadlines.tracking import hold_deadlines
from app.forms import FormDefinition, validate
from app.inbox.operations import hold_open_tasks
from app.intake.contact_types import ContactType
from app.intake.open_work import OpenWork, open_work_for
from app.people.names import normalise_nhs_number
from app.process_models.models import ProcessVersion
from app.process_models.registry import compiled, pathway_version


def pathway_form(session: Session, kind: ContactType) -> tuple[ProcessVersion, FormDefinition]:
    """The current version of a door's process and its contact form (the page's and the API's)."""
    version = pathway_version(session, kind.process_id)
    return version, compiled(version).forms[kind.form]


def validated(session: Session, kind: ContactType, payload: dict[str, Any]) -> tuple[ProcessVersion, FormDefinition]:
    """``pathway_form``, once ``payload`` has passed the form (refused with every field at fault otherwise)."""
    version, form = pathway_form(session, kind)
    errors = validate(form, payload)
    if errors:
        raise ValidationFailed(errors)
    return version, form


def named_person(answers: dict[str, Any]) -> dict[str, Any]:
    """A person as a form names them (names trimmed, no date of birth or NHS number as None), ready for
    :func:`new_case`."""
    return {"given_name": answers["given_name"].strip(), "family_name": answers["family_name"].strip(),
            "date_of_birth": answers.get("date_of_birth") or None,
            "nhs_number": normalise_nhs_number(answers.get("nhs_number"))}


def new_case(session: Session, subjects: list[dict[str, Any]], *, version_id: int, received_at: datetime,
             immediate_risk: bool, typed_in_at: datetime | None = None,
             look_for_open_work: bool = True) -> tuple[Case, OpenWork | None]:
    """A contact's open case with its subjects in the order given, stored and given its reference, and the open
    work found on those subjects (a case linked to the social work or enquiry already open on them)."""
    work = open_work_for(session, subjects) if look_for_open_work else None
    linked = (work.social_work or work.open_enquiry) if work is not None else None
    case = Case(status="open", received_at=received_at, typed_in_at=typed_in_at or received_at,
                immediate_risk=immediate_risk, has_open_case=work is not None and work.social_work is not None,
                linked_case_id=linked.id if linked else None, process_version_id=version_id)
    for position, subject in enumerate(subjects):
        born = subject.get("date_of_birth")
        case.subjects.append(Subject(
            position=position, role=subject["role"], given_name=subject["given_name"].strip(),
            family_name=subject["family_name"].strip(), address=subject.get("address"),
            nhs_number=normalise_nhs_number(subject.get("nhs_number")), gender=subject.get("gender"),
            date_of_birth=date.fromisoformat(born) if born else None))
    session.add(case)
    session.flush()
    case.reference = f"MASH-{received_at:%Y}-{case.id:06d}"
    # Stored in this transaction, the case has no deadline or inbox rows: its first steps need not read them.
    hold_deadlines(session, case.id, [])
    hold_open_tasks(session, case.id, [])
    return case, work


def contact_data(case: Case, *, received_at: datetime, source: str, immediate_risk: bool,
                 work: OpenWork | None) -> dict[str, Any]:
    """The case data a contact starts with: its reference, receipt, source, immediate risk and the open work on its
    subjects (``work=None``: none looked for), and the decisions made later, present and empty. A door adds its
    own names with ``|``."""
    return {
        REFERENCE_FIELD: case.reference,
        RECEIVED_AT_FIELD: received_at.isoformat(),
        SOURCE_FIELD: source,
        IMMEDIATE_RISK_FIELD: immediate_risk,
        HAS_OPEN_CASE_FIELD: work is not None and work.social_work is not None,
        OPEN_ENQUIRY_FIELD: work.open_enquiry.reference if work is not None and work.open_enquiry else None,
        # Decided later; present from the start so every gateway can test them.
        OUTCOME_FIELD: None,
        STRATEGY_OUTCOME_FIELD: None,
        REFERRAL_DATE_FIELD: None,
    }


def begin(session: Session, case: Case, data: dict[str, Any], actor: Actor, *, start: bool) -> None:
    """Start the case's process now, or store it unstarted for the caller to start after its commit."""
    if start:
        start_workflow(session, case, data, actor)
    else:
        store_unstarted(session, case, data, actor)
