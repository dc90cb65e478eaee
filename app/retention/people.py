"""Matching a person against the subjects of contacts: the one place it happens.

Both the subject access export and the retention policy's "later contact about the same person" check
call this module, so a person index (issue 6) can replace it without touching either.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.cases.models import Subject
from app.people.models import Person as IndexedPerson
from app.people.names import normalise_name

#: How sure a match is. "names-only" means one side has no date of birth: a person must check it.
EXACT = "names-and-date-of-birth"
NAMES_ONLY = "names-only"


@dataclass(frozen=True)
class Person:
    given_name: str
    family_name: str
    date_of_birth: date | None = None

    @classmethod
    def of(cls, subject: Subject) -> Person:
        return cls(subject.given_name or "", subject.family_name or "", subject.date_of_birth)

    @property
    def names_key(self) -> tuple[str, str]:
        return normalise_name(self.given_name), normalise_name(self.family_name)

    @property
    def identifiable(self) -> bool:
        """An anonymised subject (blank names) is nobody and matches nobody."""
        return all(self.names_key)


def match(person: Person, candidate: Person) -> str | None:
    """EXACT, NAMES_ONLY (a date of birth is missing on one side) or None (not the same person)."""
    if not person.identifiable or person.names_key != candidate.names_key:
        return None
    if person.date_of_birth is None or candidate.date_of_birth is None:
        return NAMES_ONLY
    return EXACT if person.date_of_birth == candidate.date_of_birth else None


@dataclass(frozen=True)
class SubjectMatch:
    subject: Subject
    match: str


def subjects_matching(session: Session, person: Person) -> list[SubjectMatch]:
    """Every subject record that may be this person, oldest contact first.

    Names are compared after normalising, which SQL cannot do portably, so the database narrows by date
    of birth when one is given and Python compares the names."""
    if not person.identifiable:
        return []
    query = select(Subject.id, Subject.given_name, Subject.family_name, Subject.date_of_birth)
    if person.date_of_birth is not None:
        query = query.where(or_(Subject.date_of_birth == person.date_of_birth, Subject.date_of_birth.is_(None)))
    found = {row.id: kind for row in session.execute(query)
             if (kind := match(person, Person(row.given_name, row.family_name, row.date_of_birth)))}
    if not found:
        return []
    subjects = session.scalars(select(Subject).where(Subject.id.in_(found)).order_by(Subject.case_id, Subject.position))
    return [SubjectMatch(subject, found[subject.id]) for subject in subjects]


def named_only_in_the_index(session: Session, person: Person) -> list[int]:
    """Person index records no contact's subject holds that may be this person: an adult of concern a link named
    (app/people/places.py), matched as subjects are."""
    if not person.identifiable:
        return []
    query = select(IndexedPerson.id, IndexedPerson.given_name, IndexedPerson.family_name,
                   IndexedPerson.date_of_birth).where(~select(Subject.id).where(
                       Subject.person_id == IndexedPerson.id).exists())
    if person.date_of_birth is not None:
        query = query.where(or_(IndexedPerson.date_of_birth == person.date_of_birth,
                                IndexedPerson.date_of_birth.is_(None)))
    return sorted(row.id for row in session.execute(query)
                  if match(person, Person(row.given_name, row.family_name, row.date_of_birth)))


class PeopleIndex:
    """Many people at once, for checking a batch of contacts without a query per subject."""

    def __init__(self) -> None:
        self._by_names: dict[tuple[str, str], list[tuple[date | None, int]]] = {}

    def add(self, person: Person, case_id: int) -> None:
        if person.identifiable:
            self._by_names.setdefault(person.names_key, []).append((person.date_of_birth, case_id))

    def cases_about(self, person: Person) -> set[int]:
        """Ids of the indexed cases with a subject that may be this person."""
        return {case_id for dob, case_id in self._by_names.get(person.names_key, ())
                if match(person, Person(*person.names_key, dob))}
