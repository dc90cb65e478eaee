"""A referrer's own contacts, in their words: the child they told the hub about and where the contact is.

The referrer made each contact, so they may see the names they gave; never the hub's analysis, the agency
findings or who is working on it. Only the contacts they made are read (``Contact.created_by_id``).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cases.models import Case, CompletedTask, ReferrerFeedback, Subject
from app.core.actor import Actor
from app.core.codes import CHILD_ROLES
from app.core.vocabulary import SCREENING_FORM, outcome_label
from app.inbox.models import OpenTask
from app.intake.models import Contact

#: Where a contact is, in plain words, from the first step to the last.
RECEIVED = "Received"
BEING_SCREENED = "Being screened"
CHECKS = "Checks with agencies"
DECIDED = "Decided"
CLOSED = "Closed"


@dataclass(frozen=True)
class MyContact:
    case: Case
    #: The children (or unborn children) the referrer named, as they named them.
    children: tuple[str, ...]
    status: str
    #: The decision in plain words, once made.
    outcome: str | None
    feedback_given: bool

    @property
    def status_text(self) -> str:
        if self.outcome and self.status == DECIDED:
            return f"{DECIDED}: {self.outcome}"
        if self.outcome and self.status == CLOSED:
            return f"{CLOSED} – decided: {self.outcome}"
        return self.status


def contacts_of(session: Session, actor: Actor, limit: int = 200) -> list[MyContact]:
    """The contacts this person reported, newest first, each with the children's names and its status."""
    cases = list(session.scalars(select(Case).join(Contact, Contact.case_id == Case.id)
                                 .where(Contact.created_by_id == actor.user_id)
                                 .order_by(Case.received_at.desc(), Case.id.desc()).limit(limit)))
    ids = [case.id for case in cases]
    if not ids:
        return []
    children: dict[int, list[str]] = defaultdict(list)
    for case_id, given, family in session.execute(
            select(Subject.case_id, Subject.given_name, Subject.family_name)
            .where(Subject.case_id.in_(ids), Subject.role.in_(CHILD_ROLES)).order_by(Subject.position)):
        name = f"{given} {family}".strip()
        if name:
            children[case_id].append(name)
    screened = set(session.scalars(select(CompletedTask.case_id).where(
        CompletedTask.case_id.in_(ids), CompletedTask.form_key == SCREENING_FORM)))
    being_screened = set(session.scalars(select(OpenTask.case_id).where(
        OpenTask.case_id.in_(ids), OpenTask.form_key == SCREENING_FORM, OpenTask.claimed_by_id.is_not(None))))
    answered = set(session.scalars(select(ReferrerFeedback.case_id).where(ReferrerFeedback.case_id.in_(ids))))
    return [MyContact(case, tuple(children[case.id]), _status(case, case.id in screened, case.id in being_screened),
                      outcome_label(case.outcome) if case.outcome else None, case.id in answered)
            for case in cases]


def _status(case: Case, screened: bool, being_screened: bool) -> str:
    if case.status == "closed":
        return CLOSED
    if case.outcome:
        return DECIDED
    if screened:
        return CHECKS
    return BEING_SCREENED if being_screened else RECEIVED
