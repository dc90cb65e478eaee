"""Repeat victims: a victim referred to the MARAC whom the person index knows as referred before, within 12
months (SafeLives' definition of a repeat MARAC case). Read through the person index, so a victim recorded
under a name variant, or merged by a decision maker, is still the same person."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cases.models import Subject
from app.marac.models import MaracReferral
from app.people.clusters import cluster_of, root_of
from app.people.matching import Candidate, propose
from app.people.models import Person
from app.people.names import family_key, given_key, normalise_nhs_number

#: A referral within this long of an earlier one of the same victim is a repeat.
REPEAT_WINDOW = timedelta(days=365)


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


def victim_person(session: Session, case_id: int, victim: Any, *, add: bool, at: datetime) -> int | None:
    """The victim's person (root) in the index: a subject of this contact who is them, else the best match the
    index proposes, else (``add``) a new record so the next referral finds them. None without a victim."""
    candidate = _candidate(victim)
    if candidate is None:
        return None
    for subject in session.scalars(select(Subject).where(Subject.case_id == case_id, Subject.person_id.is_not(None))):
        same_number = candidate.nhs_number and subject.nhs_number == candidate.nhs_number
        same_person = (subject.given_name.lower() == candidate.given_name.lower()
                       and subject.family_name.lower() == candidate.family_name.lower()
                       and subject.date_of_birth == candidate.date_of_birth)
        if same_number or same_person:
            return root_of(session, subject.person_id)
    matches = propose(session, candidate, limit=1)
    if matches:
        return matches[0].person_id
    if not add:
        return None
    person = Person(given_name=candidate.given_name, family_name=candidate.family_name,
                    date_of_birth=candidate.date_of_birth, nhs_number=candidate.nhs_number,
                    given_key=given_key(candidate.given_name), family_key=family_key(candidate.family_name),
                    created_at=at)
    session.add(person)
    session.flush()
    return person.id


def find_repeat(session: Session, case_id: int, victim: Any, at: datetime, *, add: bool = False) -> RepeatFinding:
    """Whether the victim had a MARAC referral (on another contact) in the 12 months before ``at``."""
    person_id = victim_person(session, case_id, victim, add=add, at=at)
    if person_id is None:
        return RepeatFinding(None, False)
    earlier = session.execute(
        select(MaracReferral.case_id, MaracReferral.referred_at)
        .where(MaracReferral.victim_person_id.in_(cluster_of(session, person_id)), MaracReferral.case_id != case_id,
               MaracReferral.referred_at >= at - REPEAT_WINDOW, MaracReferral.referred_at <= at)
        .order_by(MaracReferral.referred_at.desc()).limit(1)).first()
    if earlier is None:
        return RepeatFinding(person_id, False)
    return RepeatFinding(person_id, True, earlier.case_id, earlier.referred_at)
