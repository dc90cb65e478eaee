"""Searching the hub: find the people a query may mean through the person index (its indexes and fuzzy name
matching, app/people/matching.py), the cases they were subjects on, and keep only what the reader may see.

Need to know is applied here, not in a template: a case is found only when the reader may list it
(app/need_to_know visible_case_ids) *and* their sight of it shows what the query matched on. A reference needs
only the case's progress; a name needs its subjects; a date of birth, NHS number or postcode needs its
identifiers (business support, who sees names but not identifiers, cannot find a child by date of birth).
People in the index are found only by roles that may read it (PEOPLE_READ_ROLES). The query's text is never
stored: the audit trail records its kind.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.auth.authorisation import PEOPLE_READ_ROLES
from app.cases.models import Case, Subject
from app.core.actor import Actor
from app.core.errors import NeedToKnow
from app.need_to_know.sight import CaseSight, sight_of, visible_case_ids
from app.people.clusters import cluster_of, parents_above, roots_for
from app.people.matching import _RECORD as RECORD
from app.people.matching import Candidate, score_pair
from app.people.models import Person
from app.people.names import family_key, given_key
from app.people.queries import PersonSummary, person_summary
from app.search.reading import DOB, NAME, NHS_NUMBER, POSTCODE, REFERENCE, Query

#: A name search finds people from this score (names alone, no date of birth: the same names score 50, a name
#: spelt similarly and one that sounds the same 36-45, a different given name at most 5).
NAME_SCORE_FROM = 35
#: At most this many people, and cases, are shown for one query (best or newest first).
MOST_PEOPLE = 20
MOST_CASES = 50
#: Rows read through one index at most (a common date of birth must not become a scan).
PER_INDEX_LIMIT = 500
#: What the reader's sight of a case must show for a match of each kind to be shown at all.
NEEDS = {REFERENCE: "progress", NAME: "subjects", DOB: "identifiers", NHS_NUMBER: "identifiers",
         POSTCODE: "identifiers"}


@dataclass(frozen=True)
class SubjectHit:
    given_name: str
    family_name: str
    role: str
    #: Shown only where the reader's sight includes identifiers.
    date_of_birth: date | None


@dataclass(frozen=True)
class CaseHit:
    case_id: int
    reference: str
    status: str
    rag: str | None
    received_at: datetime
    step: str
    #: The case's subjects the query matched (its first subject for a reference); empty without sight of subjects.
    subjects: list[SubjectHit]


@dataclass
class Results:
    query: Query
    cases: list[CaseHit] = field(default_factory=list)
    people: list[PersonSummary] = field(default_factory=list)
    #: More matched than are shown: the reader should narrow the query.
    more: bool = False


def run_search(session: Session, actor: Actor, query: Query, at: datetime, *, via: str = "page") -> Results:
    """Search as ``actor`` and put the search on the audit trail (its kind and counts, never its text)."""
    results = Results(query)
    if query.problem is None:
        if query.kind == REFERENCE:
            case_people: dict[int, set[int]] = {}
            case_ids = list(session.scalars(select(Case.id).where(Case.reference == query.reference)))
        else:
            roots = _people(session, query)
            results.more = len(roots) > MOST_PEOPLE
            roots = roots[:MOST_PEOPLE]
            members = {member: root for root in roots for member in cluster_of(session, root)}
            case_people = _cases_of(session, set(members))
            case_ids = list(case_people)
            if actor.roles & PEOPLE_READ_ROLES:
                results.people = [person_summary(session, root) for root in roots]
        results.cases = _visible_cases(session, actor, query, case_ids, case_people, at)
        results.more = results.more or len(results.cases) > MOST_CASES
        results.cases = results.cases[:MOST_CASES]
    record(session, actor, "search.made",
           details={"kind": query.kind, "via": via, "cases": len(results.cases), "people": len(results.people),
                    "refused": query.problem is not None})
    return results


def _people(session: Session, query: Query) -> list[int]:
    """The roots of the people the query may mean, best first."""
    if query.kind == NAME:
        if len(query.words) >= 2:
            return _people_named(session, query.words[0], " ".join(query.words[1:]))
        word = query.words[0]
        keys = [column == key for column, key in ((Person.family_key, family_key(word)),
                                                  (Person.given_key, given_key(word))) if key]
        if not keys:
            return []  # nothing to sound out (digits, a lone letter's empty key): anonymised records have none either
        condition = or_(*keys)
    elif query.kind == NHS_NUMBER:
        condition = Person.nhs_number == query.nhs_number
    elif query.kind == DOB:
        condition = Person.date_of_birth == query.born
    else:
        condition = Person.postcode == query.postcode
    ids = list(session.scalars(select(Person.id).where(condition).order_by(Person.id.desc()).limit(PER_INDEX_LIMIT)))
    roots = roots_for(session, ids, parents_above(session, ids))
    return list(dict.fromkeys(roots[i] for i in ids))


def _people_named(session: Session, given: str, family: str) -> list[int]:
    """People whose family name sounds like either word typed (names are typed either way round), scored by the
    person index's own scoring (app/people/matching.py score_pair: variants, sound, spelling), best first."""
    keys = {family_key(family), family_key(given)} - {""}
    rows = list(session.execute(select(*RECORD).where(Person.family_key.in_(sorted(keys)))
                                .order_by(Person.id.desc()).limit(PER_INDEX_LIMIT)))
    if not rows:
        return []
    candidate = Candidate(given, family)
    roots = roots_for(session, [row.id for row in rows], parents_above(session, [row.id for row in rows]))
    best: dict[int, int] = {}
    for row in rows:
        score, _reasons = score_pair(candidate, row)
        if score >= NAME_SCORE_FROM and score > best.get(roots[row.id], -1):
            best[roots[row.id]] = score
    return sorted(best, key=lambda root: (-best[root], -root))


def _cases_of(session: Session, person_ids: set[int]) -> dict[int, set[int]]:
    """Case id -> the subjects on it who are one of these person records."""
    found: dict[int, set[int]] = {}
    if not person_ids:
        return found
    for case_id, subject_id in session.execute(select(Subject.case_id, Subject.id)
                                               .where(Subject.person_id.in_(sorted(person_ids)))):
        found.setdefault(case_id, set()).add(subject_id)
    return found


def _visible_cases(session: Session, actor: Actor, query: Query, case_ids: list[int],
                   case_people: dict[int, set[int]], at: datetime) -> list[CaseHit]:
    if not case_ids:
        return []
    listed = select(Case).where(Case.id.in_(case_ids))
    among = visible_case_ids(session, actor, at)
    if among is not None:
        listed = listed.where(Case.id.in_(among))
    hits = []
    for case in session.scalars(listed.order_by(Case.received_at.desc(), Case.id.desc()).limit(MOST_CASES + 1)):
        try:
            sight = sight_of(session, actor, case.id, at)
        except NeedToKnow:
            continue
        if not sight.shows(NEEDS[query.kind]):
            continue
        hits.append(CaseHit(case.id, case.reference or "", case.status, case.rag, case.received_at,
                            case.current_step, _subjects(case, case_people.get(case.id), sight)))
    return hits


def _subjects(case: Case, matched: set[int] | None, sight: CaseSight) -> list[SubjectHit]:
    if not sight.shows("subjects"):
        return []
    chosen = [s for s in case.subjects if s.id in matched] if matched else \
        [s for s in case.subjects if s.position == 0]
    identifiers = sight.shows("identifiers")
    return [SubjectHit(s.given_name, s.family_name, s.role, s.date_of_birth if identifiers else None)
            for s in chosen]
