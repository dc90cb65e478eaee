"""Reads of the person index for pages and the API: a contact's subjects with their proposals, and a
person as the hub sees them (the whole cluster: every name, date of birth and contact)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from app.cases.models import Case, Subject
from app.core.db import AnyRow, read_rows
from app.people.clusters import cluster_around, cluster_of, clusters, root_of
from app.people.models import Person, PersonMerge, PersonRelationship, SubjectMatch
from app.people.operations import RELATIONSHIPS


@dataclass
class PersonSummary:
    """What a screener needs to judge a proposal: who the known person is and how often they came up."""

    person_id: int
    name: str
    names: list[str]
    dates_of_birth: list[date]
    postcodes: list[str]
    contacts: int
    anonymised: bool


@dataclass
class Proposal:
    match: SubjectMatch
    person: PersonSummary


@dataclass
class SubjectPeople:
    subject: Subject
    root_id: int | None
    proposals: list[Proposal] = field(default_factory=list)
    #: The confirmed link still in force (the subject's record merged into a known person), if any.
    merge: PersonMerge | None = None
    linked_to: PersonSummary | None = None
    decided: list[SubjectMatch] = field(default_factory=list)


def _distinct(values) -> list:
    seen = []
    for value in values:
        if value not in (None, "") and value not in seen:
            seen.append(value)
    return seen


def names_of(session: Session, person_ids: set[int]) -> dict[int, str]:
    """Each person record's name, for labelling entries that carry only a person id."""
    if not person_ids:
        return {}
    return {p.id: p.full_name for p in session.scalars(select(Person).where(Person.id.in_(person_ids)))}


def person_summary(session: Session, person_id: int) -> PersonSummary:
    root = root_of(session, person_id)
    members = cluster_of(session, root)
    records = list(session.scalars(select(Person).where(Person.id.in_(members)).order_by(Person.id)))
    head = next(r for r in records if r.id == root)
    contacts = session.scalar(select(func.count(func.distinct(Subject.case_id))).where(Subject.person_id.in_(members)))
    return _summary(root, head, records, contacts or 0)


def _summary(root: int, head: Person, records: list[Person], contacts: int) -> PersonSummary:
    return PersonSummary(
        person_id=root, name=head.full_name,
        names=_distinct(r.full_name for r in records if r.given_name or r.family_name),
        dates_of_birth=_distinct(r.date_of_birth for r in records),
        postcodes=_distinct(r.postcode for r in records), contacts=contacts,
        anonymised=not any(r.given_name or r.family_name for r in records))


def _active_merge(session: Session, person_id: int) -> PersonMerge | None:
    return session.scalar(select(PersonMerge).where(PersonMerge.person_id == person_id,
                                                    PersonMerge.unmerged_at.is_(None))
                          .order_by(PersonMerge.id.desc()).limit(1))


def case_people(session: Session, case: Case) -> list[SubjectPeople]:
    """Each subject of a contact with its open proposals, the link confirmed for it, and past decisions."""
    found = []
    for subject in case.subjects:
        if subject.person_id is None:
            found.append(SubjectPeople(subject, None))
            continue
        matches = list(session.scalars(select(SubjectMatch).where(SubjectMatch.subject_id == subject.id)
                                       .order_by(SubjectMatch.score.desc(), SubjectMatch.id)))
        entry = SubjectPeople(subject, root_of(session, subject.person_id))
        entry.proposals = [Proposal(m, person_summary(session, m.person_id)) for m in matches if m.status == "proposed"]
        entry.decided = [m for m in matches if m.status != "proposed"]
        entry.merge = _active_merge(session, subject.person_id)
        if entry.merge is not None and entry.root_id is not None:  # a merge in force means a record
            entry.linked_to = person_summary(session, entry.root_id)
        found.append(entry)
    return found


@dataclass
class MatchCount:
    subject: Subject
    proposed: int
    top_score: float | None
    linked: bool


def case_match_summary(session: Session, case_id: int) -> list[MatchCount]:
    """Per subject: how many proposals wait, the best score, and whether a link is confirmed (the screening aside)."""
    case = session.get(Case, case_id)
    if case is None:
        return []
    rows = {subject_id: (count, top) for subject_id, count, top in session.execute(
        select(SubjectMatch.subject_id, func.count(), func.max(SubjectMatch.score))
        .join(Subject, Subject.id == SubjectMatch.subject_id)
        .where(Subject.case_id == case_id, SubjectMatch.status == "proposed").group_by(SubjectMatch.subject_id))}
    linked = set(session.scalars(select(SubjectMatch.subject_id).join(Subject, Subject.id == SubjectMatch.subject_id)
                                 .where(Subject.case_id == case_id, SubjectMatch.status == "confirmed")))
    return [MatchCount(s, rows.get(s.id, (0, None))[0], rows.get(s.id, (0, None))[1], s.id in linked)
            for s in case.subjects]


#: A match still awaiting a decision, as answers and flags read it: a row of its subject_id, person_id, score and
#: reasons (app.core.db.read_rows; deciding a match goes through app.people.operations, which reads its own).
ProposedMatch = AnyRow


def proposed_matches(session: Session, case: Case) -> dict[int, list[ProposedMatch]]:
    """Per subject of the case (by id), the matches still awaiting a decision, best first: read once for an
    answer's subjects and its repeat concerns."""
    proposals: dict[int, list[ProposedMatch]] = {subject.id: [] for subject in case.subjects}
    if proposals:
        for match in read_rows(session, _PROPOSED, {"subjects": list(proposals)}):
            proposals[match.subject_id].append(match)
    return proposals


#: Built once: every answer about a case asks for its subjects' proposals.
_PROPOSED = (select(SubjectMatch.subject_id, SubjectMatch.person_id, SubjectMatch.score, SubjectMatch.reasons)
             .where(SubjectMatch.subject_id.in_(bindparam("subjects", expanding=True)),
                    SubjectMatch.status == "proposed")
             .order_by(SubjectMatch.score.desc(), SubjectMatch.id))


def subjects_json(session: Session, case: Case, proposals: dict[int, list[ProposedMatch]] | None = None) -> list[dict]:
    """Per subject, for GET /api/v1/cases/{id}: ``person_id`` (the person they are, once nothing is left to
    decide: a confirmed match, or no proposal at all) and the ``proposed_matches`` still awaiting a decision
    (``proposals``: proposed_matches, when the caller read them)."""
    subjects = list(case.subjects)
    proposals = proposed_matches(session, case) if proposals is None else proposals
    settled = {subject.id: subject.person_id for subject in subjects
               if subject.person_id is not None and not proposals[subject.id] and case.anonymised_at is None}
    # the clusters the answer's repeat concerns and flags ask for too: read once (app.people.clusters keeps them)
    roots = clusters(session, [*(s.person_id for s in subjects if s.person_id is not None),
                               *(m.person_id for matches in proposals.values() for m in matches)]) if settled else {}
    return [{"person_id": roots[settled[subject.id]] if subject.id in settled else None,
             "proposed_matches": [{"person_id": m.person_id, "score": m.score, "reasons": m.reasons}
                                  for m in proposals[subject.id]]}
            for subject in subjects]


@dataclass
class Contact:
    case_id: int
    reference: str | None
    received_at: datetime
    role: str
    person_id: int | None
    status: str


@dataclass
class Relationship:
    id: int
    person_id: int
    code: str
    related_id: int
    related_name: str
    direction: str  # "from": this person is <label> the other; "to": the other is <label> this person
    recorded_by: str
    source_case_id: int | None

    @property
    def label(self) -> str:
        return RELATIONSHIPS.get(self.code, self.code)


@dataclass
class PersonProfile:
    root: Person
    records: list[Person]
    summary: PersonSummary
    nhs_numbers: list[str]
    addresses: list[str]
    genders: list[str]
    contacts: list[Contact]
    relationships: list[Relationship]
    merges: list[PersonMerge]


def person_profile(session: Session, person_id: int) -> PersonProfile | None:
    """Everything the index holds about the person ``person_id`` is (its root) and all records merged in."""
    root_id, members = cluster_around(session, person_id)
    records = list(session.scalars(select(Person).where(Person.id.in_(members)).order_by(Person.id)))
    if not any(r.id == person_id for r in records):
        return None
    # columns, not the cases: a case read whole would read every subject of every contact too
    contacts = [Contact(*row) for row in session.execute(
        select(Case.id, Case.reference, Case.received_at, Subject.role, Subject.person_id, Case.status)
        .join(Case, Case.id == Subject.case_id)
        .where(Subject.person_id.in_(members)).order_by(Case.received_at, Subject.position))]
    root = next(r for r in records if r.id == root_id)
    return PersonProfile(
        root=root, records=records,
        # From the rows just read: the summary's own reads (root, cluster, records, contacts) again cost four
        # statements a page.
        summary=_summary(root_id, root, records, len({contact.case_id for contact in contacts})),
        nhs_numbers=_distinct(r.nhs_number for r in records), addresses=_distinct(r.address for r in records),
        genders=_distinct(r.gender for r in records), contacts=contacts,
        relationships=_relationships(session, members),
        merges=list(session.scalars(select(PersonMerge).where(or_(PersonMerge.person_id.in_(members),
                                                                  PersonMerge.into_person_id.in_(members)))
                                    .order_by(PersonMerge.merged_at, PersonMerge.id))))


def _relationships(session: Session, members: set[int]) -> list[Relationship]:
    rows = list(session.scalars(select(PersonRelationship).where(or_(PersonRelationship.person_id.in_(members),
                                                                     PersonRelationship.related_person_id.in_(members)))
                                .order_by(PersonRelationship.recorded_at, PersonRelationship.id)))
    others = {r.related_person_id if r.person_id in members else r.person_id for r in rows}
    roots = clusters(session, others)  # their roots: one read, not every merged record of the index
    names = dict(session.execute(select(Person.id, Person.given_name + " " + Person.family_name)
                                 .where(Person.id.in_(set(roots.values())))).all())
    found, seen = [], set()
    for r in rows:
        outward = r.person_id in members
        other = roots[r.related_person_id if outward else r.person_id]
        if other in members or (other, r.relationship, outward) in seen:
            continue
        seen.add((other, r.relationship, outward))
        found.append(Relationship(r.id, r.person_id, r.relationship, other,
                                  (names.get(other) or "").strip() or "Anonymised", "from" if outward else "to",
                                  r.recorded_by, r.source_case_id))
    return found


def person_json(session: Session, person_id: int, chronology: list[dict]) -> dict | None:
    """GET /api/v1/people/{id}: the person (their root), every name used, relationships and contacts."""
    profile = person_profile(session, person_id)
    if profile is None:
        return None
    root = profile.root
    return {
        "person_id": root.id,
        "given_name": root.given_name, "family_name": root.family_name,
        "date_of_birth": root.date_of_birth.isoformat() if root.date_of_birth else None,
        "nhs_number": root.nhs_number, "gender": root.gender,
        "names": profile.summary.names,
        "dates_of_birth": [d.isoformat() for d in profile.summary.dates_of_birth],
        "merged_person_ids": [r.id for r in profile.records if r.id != root.id],
        "relationships": [{"relationship": r.code, "direction": r.direction, "person_id": r.related_id}
                          for r in profile.relationships],
        "contacts": [{"case_id": c.case_id, "reference": c.reference, "received_at": c.received_at.isoformat(),
                      "role": c.role} for c in profile.contacts],
        "chronology": chronology,
    }
