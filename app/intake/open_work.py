"""Where a new contact's child already is: with a social worker, or in a MASH enquiry not yet decided.

Open-case routing is narrow on purpose (issue 18): only a child or unborn child who is the *same person* (the
same NHS number: an identifier, not a likeness) as a child on a case with social work in progress goes to that
worker. Shared adults and likenesses are screened, with the link shown. A child whose MASH enquiry is still open
is only *linked*: the screener confirms whether the new contact joins it. A missing episode's case is no MASH
enquiry (app/missing): a contact about the child is screened, with the repeat-missing flag where it applies.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from app.cases.models import Case, Subject
from app.core.codes import CHILD_ROLES
from app.core.vocabulary import SOCIAL_WORK_ROLE, STEPS_THAT_ARE_NOT_SOCIAL_WORK
from app.inbox.models import OpenTask
from app.missing.models import MissingEpisode
from app.people.names import normalise_nhs_number


@dataclass(frozen=True)
class OpenWork:
    social_work: Case | None = None  # the contact goes to this case's worker
    open_enquiry: Case | None = None  # the screener confirms whether the contact joins this enquiry


def _social_work_in_progress():
    return exists().where(OpenTask.case_id == Case.id, OpenTask.role == SOCIAL_WORK_ROLE,
                          OpenTask.bpmn_id.not_in(STEPS_THAT_ARE_NOT_SOCIAL_WORK))


def open_work_for(session: Session, subjects: list[dict]) -> OpenWork:
    """The open case with social work in progress for one of these children, else an open enquiry about one."""
    children = [s for s in subjects if s.get("role") in CHILD_ROLES]
    numbers = [n for n in (normalise_nhs_number(s.get("nhs_number")) for s in children) if n]
    same_child = Subject.role.in_(CHILD_ROLES)
    if numbers:
        social_work = session.scalar(
            select(Case).join(Subject, Subject.case_id == Case.id)
            .where(Case.status == "open", same_child, Subject.nhs_number.in_(numbers), _social_work_in_progress())
            .order_by(Case.received_at).limit(1))
        if social_work is not None:
            return OpenWork(social_work=social_work)
    for child in children:
        number = normalise_nhs_number(child.get("nhs_number"))
        same = [Subject.nhs_number == number] if number else []
        if child.get("date_of_birth"):
            same.append((func.lower(Subject.given_name) == child["given_name"].strip().lower())
                        & (func.lower(Subject.family_name) == child["family_name"].strip().lower())
                        & (Subject.date_of_birth == date.fromisoformat(child["date_of_birth"])))
        for condition in same:
            enquiry = session.scalar(
                select(Case).join(Subject, Subject.case_id == Case.id)
                .where(Case.status == "open", same_child, condition, ~_social_work_in_progress(),
                       ~exists().where(MissingEpisode.case_id == Case.id))
                .order_by(Case.received_at).limit(1))
            if enquiry is not None:
                return OpenWork(open_enquiry=enquiry)
    return OpenWork()
