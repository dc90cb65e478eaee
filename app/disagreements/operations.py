"""Raising a professional disagreement: who may, the record, and the signal that opens its resolution step."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.auth.authorisation import DECISION_MAKERS, DISAGREEMENT_RAISERS
from app.auth.models import User
from app.cases.models import Case
from app.casework.signals import signal_case
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import Conflict, NeedToKnow, ValidationFailed
from app.core.roles import AGENCIES
from app.core.vocabulary import DISAGREEMENT_DATA, DISAGREEMENT_FORM, DISAGREEMENT_SIGNAL
from app.disagreements.models import ProfessionalDisagreement
from app.forms import FormDefinition, validate
from app.intake.models import Contact
from app.need_to_know.involvement import involved_agencies
from app.process_models.registry import compiled_by_id

REFERRER = "referrer"
NOT_LISTENING = ("This contact runs on a version of the process that has no step for professional disagreements. "
                 "Tell the operations manager directly; a process owner can move the case to the current version.")


def raising_role(session: Session, actor: Actor, case_id: int) -> str | None:
    """The role in which ``actor`` may dispute this case's rating or outcome, or None (need to know): a decision
    maker on any case, an agency practitioner on a case their agency is involved in (break glass is not
    involvement), the referrer on the contact they made."""
    roles = actor.roles & DISAGREEMENT_RAISERS
    for role in sorted(roles & DECISION_MAKERS):  # a decision maker may dispute a colleague's decision on any case
        return role
    agencies = roles & set(AGENCIES)
    if agencies:
        involved = sorted(agencies & involved_agencies(session, case_id))
        if involved:
            return involved[0]
    if REFERRER in roles and actor.user_id is not None and session.scalar(
            select(Contact.created_by_id).where(Contact.case_id == case_id)) == actor.user_id:
        return REFERRER
    return None


def case_to_dispute(session: Session, case_id: int, actor: Actor) -> tuple[Case, str]:
    """The case and the role its disagreement is raised in; NeedToKnow (404) for anyone else."""
    case = session.get(Case, case_id)
    role = raising_role(session, actor, case_id) if case is not None else None
    if case is None or role is None:
        raise NeedToKnow()
    return case, role


def disagreement_form(session: Session, case: Case) -> FormDefinition:
    """The raise form of the case's process version (deployed with its diagrams)."""
    form = compiled_by_id(session, case.process_version_id).forms.get(DISAGREEMENT_FORM)
    if form is None:
        raise Conflict(NOT_LISTENING)
    return form


def raise_disagreement(session: Session, case_id: int, form_data: dict[str, Any],
                       actor: Actor) -> ProfessionalDisagreement:
    """Record the disagreement and send the signal that opens "Resolve professional disagreement" for the
    operations manager, in the caller's transaction. A closed contact opens again for it."""
    case, role = case_to_dispute(session, case_id, actor)
    errors = validate(disagreement_form(session, case), form_data)
    if errors:
        raise ValidationFailed(errors)
    at = now()
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    row = ProfessionalDisagreement(
        case_id=case.id, raised_by=actor.username, raised_by_role=role, raised_by_agency=user.agency if user else None,
        disputed=form_data["disputed"], rag_at_raising=case.rag, outcome_at_raising=case.outcome,
        view=form_data["view"], created_at=at)
    session.add(row)
    session.flush()
    record(session, actor, "disagreement.raised", case_id=case.id, summary="Professional disagreement raised",
           details={"disagreement_id": row.id, "disputed": row.disputed, "role": role,
                    "case_status": case.status})
    # The step gets the facts it needs to find the record; the view itself stays in the record.
    payload = {DISAGREEMENT_DATA: {"id": row.id, "disputed": row.disputed, "raised_by_role": role,
                                   "raised_at": at.isoformat()}}
    opened = signal_case(session, case, DISAGREEMENT_SIGNAL, payload, actor, not_listening=NOT_LISTENING)
    step = next((task for task in opened if (task.data.get(DISAGREEMENT_DATA) or {}).get("id") == row.id), None)
    row.task_id = step.task_id if step is not None else None
    return row
