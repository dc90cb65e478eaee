"""Decisions about who is who: confirm or reject a proposal, merge and unmerge, record a relationship.

Each runs in the caller's transaction and is audited with ids and scores only. Two people deciding
about the same subject at once are serialised on the subject's own person record (a row lock on
PostgreSQL, the write lock on SQLite): the second sees the first's decision and gets a Conflict.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import Subject
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.people.clusters import root_of
from app.people.intake import propose_for_subject
from app.people.models import Person, PersonMerge, PersonRelationship, SubjectMatch

#: Relationship codes (DOMAIN.md 2.1) and how a person page reads them: "<person> is <label> <related>".
RELATIONSHIPS = {"parent": "parent of", "carer": "carer of", "sibling": "sibling of",
                 "household-member": "household member with", "alleged-perpetrator": "alleged perpetrator towards",
                 "significant-other": "significant other of"}


def _lock(session: Session, *person_ids: int) -> dict[int, Person]:
    """Lock these person rows in id order (no deadlock between two merges) and read them fresh."""
    rows = session.scalars(select(Person).where(Person.id.in_(sorted(set(person_ids)))).order_by(Person.id)
                           .with_for_update().execution_options(populate_existing=True)).all()
    return {row.id: row for row in rows}


def _match_for_decision(session: Session, match_id: int, case_id: int | None) -> tuple[SubjectMatch, Subject]:
    match = session.get(SubjectMatch, match_id)
    subject = session.get(Subject, match.subject_id) if match else None
    if match is None or subject is None or (case_id is not None and subject.case_id != case_id):
        raise NotFound("There is no such proposed match on this contact.")
    if subject.person_id is None:
        raise Conflict("This subject's details were removed under the retention policy.")
    _lock(session, subject.person_id)
    session.refresh(match)
    if match.status != "proposed":
        raise Conflict(f"{match.decided_by or 'Someone'} has already decided this match ({_STATUS[match.status]}). "
                       "The page now shows the decision.")
    return match, subject


_STATUS = {"confirmed": "confirmed as the same person", "rejected": "not the same person",
           "unmerged": "confirmed, then unmerged", "proposed": "still proposed"}


def confirm_match(session: Session, match_id: int, actor: Actor, *, case_id: int | None = None) -> PersonMerge:
    """The subject is the proposed person: merge the subject's record into that person; other proposals for
    the subject lapse as rejected."""
    match, subject = _match_for_decision(session, match_id, case_id)
    own = subject.person_id
    if own is None:  # never: refused above
        raise Conflict("This subject's details were removed under the retention policy.")
    if root_of(session, own) != own:
        raise Conflict("This subject is already linked to a known person. The page now shows the link.")
    target = root_of(session, match.person_id)
    if target == own:
        raise Conflict("These records are already one person.")
    locked = _lock(session, own, target)
    at = now()
    locked[own].merged_into_id = target
    merge = PersonMerge(person_id=own, into_person_id=target, match_id=match.id, merged_by=actor.username, merged_at=at)
    session.add(merge)
    match.status, match.decided_by, match.decided_at = "confirmed", actor.username, at
    for other in session.scalars(select(SubjectMatch).where(SubjectMatch.subject_id == subject.id,
                                                            SubjectMatch.status == "proposed",
                                                            SubjectMatch.id != match.id)):
        other.status, other.decided_by, other.decided_at = "rejected", actor.username, at
    session.flush()
    record(session, actor, "person.match-confirmed", case_id=subject.case_id, summary="Confirmed a person match",
           details={"match_id": match.id, "person_id": own, "into_person_id": target, "score": match.score})
    return merge


def reject_match(session: Session, match_id: int, actor: Actor, *, case_id: int | None = None) -> SubjectMatch:
    """Not the same person: the proposal stays rejected and is never made again for this subject."""
    match, subject = _match_for_decision(session, match_id, case_id)
    match.status, match.decided_by, match.decided_at = "rejected", actor.username, now()
    record(session, actor, "person.match-rejected", case_id=subject.case_id, summary="Rejected a person match",
           details={"match_id": match.id, "person_id": subject.person_id, "proposed_person_id": match.person_id,
                    "score": match.score})
    return match


def look_again(session: Session, subject_id: int, actor: Actor, *, case_id: int | None = None) -> list[SubjectMatch]:
    """Match an undecided subject against the index as it is now (people added, merged or split since the
    contact arrived). A person already decided about is not proposed again."""
    subject = session.get(Subject, subject_id)
    if subject is None or (case_id is not None and subject.case_id != case_id):
        raise NotFound("There is no such subject on this contact.")
    if subject.person_id is None:
        raise Conflict("This subject's details were removed under the retention policy.")
    _lock(session, subject.person_id)
    if root_of(session, subject.person_id) != subject.person_id:
        raise Conflict("This subject is already linked to a known person. The page now shows the link.")
    same_contact = [person for person in session.scalars(
        select(Subject.person_id).where(Subject.case_id == subject.case_id, Subject.person_id.is_not(None)))
        if person is not None]  # all, by the query
    found = propose_for_subject(session, subject, exclude=same_contact)
    record(session, actor, "person.matched-again", case_id=subject.case_id, summary="Looked in the person index again",
           details={"person_id": subject.person_id, "proposed": len(found)})
    return found


def _reason(reason: str | None, missing: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed([FieldError("reason", missing)])
    if len(text) > 2000:
        raise ValidationFailed([FieldError("reason", "The reason must be 2,000 characters or fewer")])
    return text


def unmerge(session: Session, merge_id: int, reason: str | None, actor: Actor, *,
            case_id: int | None = None) -> PersonMerge:
    """Undo one merge: the record (and whatever was merged into it) is a person of its own again."""
    merge = session.get(PersonMerge, merge_id)
    if merge is None:
        raise NotFound("There is no such merge.")
    match = session.get(SubjectMatch, merge.match_id) if merge.match_id else None
    subject = session.get(Subject, match.subject_id) if match else None
    if case_id is not None and (subject is None or subject.case_id != case_id):
        raise NotFound("There is no such merge on this contact.")
    text = _reason(reason, "Enter why these records are not the same person")
    person = _lock(session, merge.person_id).get(merge.person_id)
    session.refresh(merge)
    if merge.unmerged_at is not None or person is None or person.merged_into_id != merge.into_person_id:
        raise Conflict(f"{merge.unmerged_by or 'Someone'} has already unmerged these records. "
                       "The page now shows them as they are.")
    at = now()
    person.merged_into_id = None
    merge.unmerged_by, merge.unmerged_at, merge.unmerge_reason = actor.username, at, text
    if match is not None:
        match.status, match.decided_by, match.decided_at = "unmerged", actor.username, at
    record(session, actor, "person.unmerged", case_id=subject.case_id if subject else None,
           summary="Unmerged person records",
           details={"merge_id": merge.id, "person_id": merge.person_id, "from_person_id": merge.into_person_id})
    return merge


def merge_people(session: Session, person_id: int, other_id: int | None, reason: str | None,
                 actor: Actor) -> PersonMerge:
    """By hand, from a person's page: ``other_id``'s person becomes part of ``person_id``'s."""
    if other_id is None:
        raise ValidationFailed([FieldError("other_person_id", "Enter the person number of the record to merge in")])
    text = _reason(reason, "Enter why these records are the same person")
    if session.get(Person, person_id) is None:
        raise NotFound("There is no such person.")
    if session.get(Person, other_id) is None:
        raise ValidationFailed([FieldError("other_person_id", "There is no person with this number")])
    target, source = root_of(session, person_id), root_of(session, other_id)
    if target == source:
        raise ValidationFailed([FieldError("other_person_id", "These records are already one person")])
    locked = _lock(session, target, source)
    if locked[target].merged_into_id is not None or locked[source].merged_into_id is not None:
        raise Conflict("One of these people was merged into another a moment ago. Reload the page and try again.")
    if not locked[source].given_name and not locked[source].family_name:
        raise ValidationFailed([FieldError("other_person_id", "This record was anonymised: it cannot be merged")])
    locked[source].merged_into_id = target
    merge = PersonMerge(person_id=source, into_person_id=target, reason=text, merged_by=actor.username, merged_at=now())
    session.add(merge)
    session.flush()
    record(session, actor, "person.merged", summary="Merged two person records by hand",
           details={"merge_id": merge.id, "person_id": source, "into_person_id": target})
    return merge


def add_relationship(session: Session, person_id: int, relationship: str | None, related_id: int | None,
                     actor: Actor) -> PersonRelationship:
    """``person_id`` is ``relationship`` of ``related_id`` (for example parent of), as a screener found."""
    errors = []
    if relationship not in RELATIONSHIPS:
        errors.append(FieldError("relationship", "Select the relationship"))
    if related_id is None:
        errors.append(FieldError("related_person_id", "Enter the person number of the other person"))
    elif session.get(Person, related_id) is None:
        errors.append(FieldError("related_person_id", "There is no person with this number"))
    if errors:
        raise ValidationFailed(errors)
    if session.get(Person, person_id) is None:
        raise NotFound("There is no such person.")
    a, b = root_of(session, person_id), root_of(session, related_id)
    if a == b:
        raise ValidationFailed([FieldError("related_person_id", "A person cannot be related to themselves")])
    exists = session.scalar(select(PersonRelationship).where(PersonRelationship.person_id == a,
                                                             PersonRelationship.related_person_id == b,
                                                             PersonRelationship.relationship == relationship))
    if exists is not None:
        raise ValidationFailed([FieldError("related_person_id", "This relationship is already recorded")])
    row = PersonRelationship(person_id=a, related_person_id=b, relationship=relationship, recorded_by=actor.username,
                             recorded_at=now())
    session.add(row)
    session.flush()
    record(session, actor, "person.relationship-added", summary="Recorded a relationship",
           details={"relationship_id": row.id, "person_id": a, "related_person_id": b, "relationship": relationship})
    return row
