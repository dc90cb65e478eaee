"""The person index's part in anonymising a contact (app/retention/anonymise.py).

The person records made for the contact's subjects lose their personal data and leave the people they
were part of: a blank record still linked to a known person would say who the contact was about.
Records merged into one of them keep their person, re-rooted on the oldest of them; proposals from the
subjects, and open proposals to their records, are deleted; decided proposals to them keep the decision
without the reasons (which quote names); relationships to and from the records are deleted.
Links to adults of concern and places (app/people/places.py) recorded on the contact, or naming its
subjects' records, are deleted; a home (a place that is someone's address) goes with the last link naming
it, as does an adult recorded by name only for a link; other places (a park, a takeaway) are not personal
data and stay.
"""
from __future__ import annotations

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from app.cases.models import Case, Subject
from app.core.actor import Actor
from app.core.clock import now
from app.people.models import Association, Person, PersonMerge, PersonRelationship, Place, SubjectMatch
from app.people.places import HOME_KINDS

RETENTION_NOTE = "A record of this person was anonymised under the retention policy"
BLANKED = {"given_name": "", "family_name": "", "date_of_birth": None, "nhs_number": None, "address": None,
           "postcode": None, "given_key": "", "family_key": ""}


def forget_people(session: Session, case: Case, actor: Actor) -> int:
    """Anonymise the person records of ``case``'s subjects; returns how many."""
    subject_ids = [s.id for s in case.subjects]
    people = [s.person_id for s in case.subjects if s.person_id is not None]
    if subject_ids:
        session.execute(delete(SubjectMatch).where(SubjectMatch.subject_id.in_(subject_ids)))
    _forget_links(session, case.id, people)
    if not people:
        return 0
    session.execute(delete(SubjectMatch).where(SubjectMatch.person_id.in_(people), SubjectMatch.status == "proposed"))
    for match in session.scalars(select(SubjectMatch).where(SubjectMatch.person_id.in_(people))):
        match.reasons = []
    session.execute(delete(PersonRelationship).where(or_(PersonRelationship.person_id.in_(people),
                                                         PersonRelationship.related_person_id.in_(people))))
    for merge in session.scalars(select(PersonMerge).where(or_(PersonMerge.person_id.in_(people),
                                                               PersonMerge.into_person_id.in_(people)))):
        # Reasons are free text about the person; a merge undone keeps only that it was undone.
        merge.reason = None
        if merge.unmerge_reason:
            merge.unmerge_reason = RETENTION_NOTE
    for person_id in people:
        _leave_cluster(session, session.get_one(Person, person_id), actor)
    for person_id in people:
        person = session.get_one(Person, person_id)
        for column, value in BLANKED.items():
            setattr(person, column, value)
    session.flush()
    return len(people)


def _leave_cluster(session: Session, person: Person, actor: Actor) -> None:
    """Take ``person`` out of its person: what was merged into it moves up to its parent, or, when it was the
    root, onto the oldest record merged into it; its own merge is undone."""
    at = now()
    parent = person.merged_into_id
    children = list(session.scalars(select(Person).where(Person.merged_into_id == person.id).order_by(Person.id)))
    if parent is None and children:
        parent, children = children[0].id, children[1:]
        _close(_open_merge(session, parent, person.id), actor, at)
        session.get_one(Person, parent).merged_into_id = None
    for child in children:
        old = _open_merge(session, child.id, person.id)
        _close(old, actor, at)
        child.merged_into_id = parent
        session.add(PersonMerge(person_id=child.id, into_person_id=parent, match_id=old.match_id if old else None,
                                reason=RETENTION_NOTE, merged_by=actor.username, merged_at=at))
    if person.merged_into_id is not None:
        _close(_open_merge(session, person.id, person.merged_into_id), actor, at)
        person.merged_into_id = None
    session.flush()


def _open_merge(session: Session, person_id: int, into_id: int) -> PersonMerge | None:
    return session.scalar(select(PersonMerge).where(PersonMerge.person_id == person_id,
                                                    PersonMerge.into_person_id == into_id,
                                                    PersonMerge.unmerged_at.is_(None)))


def _close(merge: PersonMerge | None, actor: Actor, at) -> None:
    if merge is not None:
        merge.unmerged_by, merge.unmerged_at, merge.unmerge_reason = actor.username, at, RETENTION_NOTE


def _forget_links(session: Session, case_id: int, people: list[int]) -> None:
    """Links recorded on the contact or naming its subjects' records go; so do homes no link names any more."""
    going = or_(Association.source_case_id == case_id, Association.child_person_id.in_(people),
                Association.adult_person_id.in_(people))
    places = set(session.scalars(select(Association.place_id).where(Association.place_id.is_not(None), going)))
    adults = set(session.scalars(select(Association.adult_person_id).where(Association.adult_person_id.is_not(None),
                                                                           going)))
    session.execute(delete(Association).where(going))
    # An adult of concern recorded by name for a link (no contact was about them) goes with their last link.
    if adults:
        kept = set(session.scalars(select(Association.adult_person_id).where(Association.adult_person_id.in_(adults))))
        kept |= set(session.scalars(select(Subject.person_id).where(Subject.person_id.in_(adults))))
        kept |= set(session.scalars(select(Person.merged_into_id).where(Person.merged_into_id.in_(adults))))
        for person in session.scalars(select(Person).where(Person.id.in_(adults - kept))):
            for column, value in BLANKED.items():
                setattr(person, column, value)
    if places:
        named = set(session.scalars(select(Association.place_id).where(Association.place_id.in_(places))))
        session.execute(delete(Place).where(Place.id.in_(places - named), Place.kind.in_(HOME_KINDS)))
