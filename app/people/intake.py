"""What the person index does when a contact arrives: a person record for each subject, the relationships
the subjects' roles imply, and proposals that a subject is someone already known."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import Case, Subject
from app.core.actor import Actor
from app.core.clock import now
from app.core.codes import CHILD_ROLES
from app.core.errors import FieldError
from app.forms import FormDefinition
from app.people.clusters import root_of
from app.people.matching import Candidate, propose
from app.people.models import Person, PersonRelationship, SubjectMatch
from app.people.names import family_key, given_key, is_valid_nhs_number, normalise_nhs_number, postcode_of

#: How a subject in each other role relates to each child on the same contact.
ROLE_TO_CHILD = {"parent": "parent", "carer": "carer", "alleged-perpetrator": "alleged-perpetrator",
                 "adult": "household-member", "household-member": "household-member", "other": "household-member"}
#: A decision that a subject is not this person: never proposed again for that subject.
NOT_THE_SAME = ("rejected", "unmerged")


def nhs_number_errors(form: FormDefinition, subjects: list[dict]) -> list[FieldError]:
    """An NHS number that fails its check digit is a mistyped one: say so on the field."""
    errors = []
    for position, subject in enumerate(subjects):
        number = normalise_nhs_number(subject.get("nhs_number"))
        if number and not is_valid_nhs_number(number):
            path = f"subjects.{position}.nhs_number"
            errors.append(FieldError(path, "Enter a real NHS number: this one fails its check digit, so a digit "
                                           "may be mistyped", form.anchor(path)))
    return errors


def person_for(subject: Subject, at) -> Person:
    """A person record holding what this contact said about the subject."""
    return Person(given_name=subject.given_name[:100], family_name=subject.family_name[:100],
                  date_of_birth=subject.date_of_birth, nhs_number=subject.nhs_number, gender=subject.gender,
                  address=(subject.address or None) and subject.address[:500], postcode=postcode_of(subject.address),
                  given_key=given_key(subject.given_name), family_key=family_key(subject.family_name), created_at=at)


def index_subjects(session: Session, case: Case, actor: Actor) -> None:
    """Called by intake once the contact's subjects have ids, in the same transaction."""
    people = [person_for(subject, case.received_at) for subject in case.subjects]
    session.add_all(people)
    session.flush()
    for subject, person in zip(case.subjects, people, strict=True):
        subject.person_id = person.id
    _relate(session, case, actor)
    own = [person.id for person in people]
    proposed = sum(len(propose_for_subject(session, subject, exclude=own, new=True)) for subject in case.subjects)
    record(session, actor, "person.indexed", case_id=case.id, summary="Subjects added to the person index",
           details={"person_ids": own, "proposed": proposed})


def _relate(session: Session, case: Case, actor: Actor) -> None:
    children = [s for s in case.subjects if s.role in CHILD_ROLES]
    at = now()
    pairs = [(other, child, ROLE_TO_CHILD[other.role]) for other in case.subjects if other.role in ROLE_TO_CHILD
             for child in children]
    pairs += [(a, b, "household-member") for i, a in enumerate(children) for b in children[i + 1:]]
    session.add_all(PersonRelationship(person_id=a.person_id, related_person_id=b.person_id, relationship=kind,
                                       source_case_id=case.id, recorded_by=actor.username, recorded_at=at)
                    for a, b, kind in pairs if a.person_id != b.person_id)


def propose_for_subject(session: Session, subject: Subject, *, exclude: Iterable[int] = (),
                        new: bool = False) -> list[SubjectMatch]:
    """Record proposals for a subject still undecided; a person once judged not the same is never proposed again.
    ``new``: the subject was stored in this transaction and has had no proposals yet (intake), so none is read;
    its record, made in this transaction too, is merged into another only if this transaction merged it."""
    own = session.get(Person, subject.person_id) if subject.person_id else None
    if own is None or (own.merged_into_id is not None if new else root_of(session, own.id) != own.id):
        return []
    decided = [] if new else session.execute(select(SubjectMatch.person_id, SubjectMatch.status)
                                             .where(SubjectMatch.subject_id == subject.id)).all()
    not_same = [person_id for person_id, status in decided if status in NOT_THE_SAME]
    known = {person_id for person_id, _ in decided}
    at = now()
    rows = [SubjectMatch(subject_id=subject.id, person_id=match.person_id, score=match.score, reasons=match.reasons,
                         status="proposed", created_at=at)
            for match in propose(session, Candidate.of(own), exclude=[own.id, *exclude, *not_same])
            if match.person_id not in known]
    session.add_all(rows)
    session.flush()
    return rows
