"""Repeat victims: a victim referred to the MARAC whom the person index knows as referred before, within 12
months (SafeLives' definition of a repeat MARAC case). Read through the person index, so a victim recorded
under a name variant, or merged by a decision maker, is still the same person."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cases.models import Case, Subject
from app.marac.models import MaracReferral
from app.people.clusters import cluster_of, root_of
from app.people.intake import person_for
from app.people.matching import Candidate, propose
from app.people.names import normalise_nhs_number

#: A referral within this long of an earlier one of the same victim is a repeat.
REPEAT_WINDOW = timedelta(days=365)
#: The role a victim not named among the contact's subjects is added with.
VICTIM_ROLE = "adult"


@dataclass(frozen=True)
class RepeatFinding:
    person_id: int | None
    repeat: bool
    earlier_case_id: int | None = None
    earlier_referred_at: datetime | None = None


def _candidate(victim: Any) -> Candidate | None:
    if not isinstance(victim, dict) or not victim.get("given_name") or not victim.get("family_name"):
        return None
    born = victim.get("date_of_birth")
    try:
        birth = date.fromisoformat(born) if isinstance(born, str) and born else None
    except ValueError:
        birth = None
    return Candidate(str(victim["given_name"])[:100], str(victim["family_name"])[:100], birth,
                     normalise_nhs_number(victim.get("nhs_number")) or None)


def victim_people(session: Session, case_id: int, victim: Any, *, add: bool,
                  at: datetime) -> tuple[int | None, set[int]]:
    """The victim's own person record (a subject of this contact who is them; with ``add``, a subject added for
    them, so retention and subject access find them like anyone named on the contact) and every person the
    index says they may be. (None, empty) without a victim."""
    candidate = _candidate(victim)
    if candidate is None:
        return None, set()
    own: int | None = None
    for subject in session.scalars(select(Subject).where(Subject.case_id == case_id, Subject.person_id.is_not(None))):
        same_number = candidate.nhs_number and subject.nhs_number == candidate.nhs_number
        same_person = (subject.given_name.lower() == candidate.given_name.lower()
                       and subject.family_name.lower() == candidate.family_name.lower()
                       and subject.date_of_birth == candidate.date_of_birth)
        if same_number or same_person:
            own = subject.person_id
            break
    if own is None and add:
        case = session.get_one(Case, case_id)
        subject = Subject(case_id=case_id, position=len(case.subjects), role=VICTIM_ROLE,
                          given_name=candidate.given_name, family_name=candidate.family_name,
                          date_of_birth=candidate.date_of_birth, nhs_number=candidate.nhs_number)
        session.add(subject)
        session.flush()
        person = person_for(subject, at)
        session.add(person)
        session.flush()
        subject.person_id = own = person.id
    exclude = [own] if own is not None else []
    maybe = {match.person_id for match in propose(session, candidate, exclude=exclude)}
    return own, maybe | ({root_of(session, own)} if own is not None else set())


def find_repeat(session: Session, case_id: int, victim: Any, at: datetime, *, add: bool = False) -> RepeatFinding:
    """Whether the victim had a MARAC referral (on another contact) in the 12 months before ``at``."""
    person_id, maybe = victim_people(session, case_id, victim, add=add, at=at)
    people = set().union(*(cluster_of(session, person) for person in maybe)) if maybe else set()
    if not people:
        return RepeatFinding(person_id, False)
    earlier = session.execute(
        select(MaracReferral.case_id, MaracReferral.referred_at)
        .where(MaracReferral.victim_person_id.in_(people), MaracReferral.case_id != case_id,
               MaracReferral.referred_at >= at - REPEAT_WINDOW, MaracReferral.referred_at <= at)
        .order_by(MaracReferral.referred_at.desc()).limit(1)).first()
    if earlier is None:
        return RepeatFinding(person_id, False)
    return RepeatFinding(person_id, True, earlier.case_id, earlier.referred_at)
