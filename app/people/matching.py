"""Who in the person index a subject may be: find candidates through indexes, score them, say why.

Retrieval never reads the whole table. Each way in is an indexed equality: the NHS number, the date
of birth (and the same date with day and month swapped), the sound of the names (family key, given
key) and the same pair swapped, and the postcode. Everything found is scored against the subject;
records merged into a person count as that person, scored by whichever record (name variant) is closest.

Scores are points, capped to 0-100. A same date of birth, a different given name and a different NHS
number each move the score far enough that twins, and different children who share a name, stay
below the line a proposal needs.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TypeAlias

import jellyfish
from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from app.people.clusters import parents_above, roots_for
from app.people.models import Person
from app.people.names import are_variants, family_key, first_name, given_key, normalise_name, sound_key

#: A proposal needs this score: for example same names and date of birth, or same names and postcode.
PROPOSE_AT = 60
#: At most this many people are proposed for one subject (best first).
MOST_PROPOSED = 5
#: Rows read through one index at most: a very common date of birth must not turn into a scan.
PER_INDEX_LIMIT = 500
#: Jaro-Winkler similarity from which two names count as the same name mistyped.
SIMILAR = 0.88

_RECORD = (Person.id, Person.given_name, Person.family_name, Person.date_of_birth, Person.nhs_number,
           Person.gender, Person.postcode, Person.merged_into_id)
#: One person record as the index reads it (the columns of ``_RECORD``).
RecordRow: TypeAlias = "Row[int, str, str, date | None, str | None, str | None, str | None, int | None]"


@dataclass(frozen=True)
class Candidate:
    """What is known about someone to look for: a contact's subject or a search."""

    given_name: str
    family_name: str
    date_of_birth: date | None = None
    nhs_number: str | None = None
    gender: str | None = None
    postcode: str | None = None

    @classmethod
    def of(cls, person: Person) -> Candidate:
        return cls(person.given_name, person.family_name, person.date_of_birth, person.nhs_number, person.gender,
                   person.postcode)


@dataclass(frozen=True)
class ProposedMatch:
    person_id: int  # the root of the person matched
    score: int
    reasons: list[str]


@dataclass
class MatchSearch:
    matches: list[ProposedMatch]
    #: How many person records the indexes returned and were scored (the benchmark's work measure).
    examined: int = 0


def propose(session: Session, candidate: Candidate, *, exclude: Iterable[int] = (),
            threshold: int = PROPOSE_AT, limit: int = MOST_PROPOSED) -> list[ProposedMatch]:
    """The people ``candidate`` may be, best first. ``exclude``: records (with their whole person) never to propose."""
    return search(session, candidate, exclude=exclude, threshold=threshold, limit=limit).matches


def search(session: Session, candidate: Candidate, *, exclude: Iterable[int] = (),
           threshold: int = PROPOSE_AT, limit: int = MOST_PROPOSED) -> MatchSearch:
    rows = _retrieve(session, candidate)
    if not rows:
        return MatchSearch([], 0)
    excluded = set(exclude)
    ids = list(rows) + list(excluded)
    roots = roots_for(session, ids, parents_above(session, ids))
    excluded_roots = {roots[i] for i in excluded}
    best: dict[int, tuple[int, list[str]]] = {}
    for person_id, row in rows.items():
        root = roots[person_id]
        if root in excluded_roots or person_id in excluded:
            continue
        score, reasons = score_pair(candidate, row)
        if root not in best or score > best[root][0]:
            best[root] = (score, reasons)
    matches = sorted((ProposedMatch(root, score, reasons) for root, (score, reasons) in best.items()
                      if score >= threshold), key=lambda m: (-m.score, m.person_id))
    return MatchSearch(matches[:limit], len(rows))


def _retrieve(session: Session, candidate: Candidate) -> dict[int, RecordRow]:
    """Records found through each index in turn, at most PER_INDEX_LIMIT rows each."""
    ways = []
    if candidate.nhs_number:
        ways.append(Person.nhs_number == candidate.nhs_number)
    if candidate.date_of_birth:
        dates = {candidate.date_of_birth}
        if (swapped := _day_month_swapped(candidate.date_of_birth)) is not None:
            dates.add(swapped)
        ways.append(Person.date_of_birth.in_(sorted(dates)))
    given, family = given_key(candidate.given_name), family_key(candidate.family_name)
    if given and family:
        ways.append((Person.family_key == family) & (Person.given_key == given))
        # Given and family names written the wrong way round: each read as the other kind of name.
        swapped_given, swapped_family = given_key(candidate.family_name), family_key(candidate.given_name)
        if (swapped_family, swapped_given) != (family, given):
            ways.append((Person.family_key == swapped_family) & (Person.given_key == swapped_given))
    if candidate.postcode:
        ways.append(Person.postcode == candidate.postcode)
    rows: dict[int, RecordRow] = {}
    for condition in ways:
        for row in session.execute(select(*_RECORD).where(condition).limit(PER_INDEX_LIMIT)):
            rows[row.id] = row
    return rows


def _day_month_swapped(born: date) -> date | None:
    if born.day == born.month or born.day > 12:
        return None
    return date(born.year, born.day, born.month)


def score_pair(candidate: Candidate, record) -> tuple[int, list[str]]:
    """Points for and against ``record`` (a Person or a row with its columns) being ``candidate``, and why."""
    score, reasons = 0, []

    def add(points: int, reason: str) -> None:
        nonlocal score
        score += points
        reasons.append(reason)

    if candidate.nhs_number and record.nhs_number:
        if candidate.nhs_number == record.nhs_number:
            add(60, "Same NHS number")
        else:
            add(-50, "Different NHS numbers")
    _score_birth(candidate.date_of_birth, record.date_of_birth, add)
    straight = _score_names(candidate.given_name, candidate.family_name, record.given_name, record.family_name)
    swapped = _score_names(candidate.family_name, candidate.given_name, record.given_name, record.family_name)
    if swapped[0] - 5 > straight[0]:
        add(swapped[0] - 5, "Given and family names swapped")
        reasons.extend(swapped[1])
    else:
        score += straight[0]
        reasons.extend(straight[1])
    if candidate.postcode and record.postcode and candidate.postcode == record.postcode:
        add(15, "Same postcode")
    if {candidate.gender, record.gender} == {"1", "2"}:
        add(-10, "Different gender")
    return max(0, min(100, score)), reasons


def _score_birth(given: date | None, known: date | None, add) -> None:
    if given is None or known is None:
        add(0, "No date of birth to compare")
    elif given == known:
        add(30, "Same date of birth")
    elif _day_month_swapped(given) == known:
        add(18, "Date of birth with day and month swapped")
    elif sum(a != b for a, b in zip(given.isoformat(), known.isoformat(), strict=True)) == 1:
        add(8, "Date of birth one digit different")
    else:
        add(-35, "Different date of birth")


def _score_names(given: str, family: str, known_given: str, known_family: str) -> tuple[int, list[str]]:
    g_points, g_reason = _score_given(given, known_given)
    f_points, f_reason = _score_family(family, known_family)
    return g_points + f_points, [g_reason, f_reason]


def _score_given(given: str, known: str) -> tuple[int, str]:
    a, b = normalise_name(given), normalise_name(known)
    fa, fb = first_name(given), first_name(known)
    shown = f"({given.strip()} / {known.strip()})"
    if not fa or not fb:
        return 0, "No given name to compare"
    if a == b or fa == fb:
        return 25, "Same given name"
    if are_variants(fa, fb):
        return 20, f"Given name is a known variant {shown}"
    if sound_key(fa) == sound_key(fb):
        return 20, f"Given name sounds the same {shown}"
    if max(jellyfish.jaro_winkler_similarity(a, b), jellyfish.jaro_winkler_similarity(fa, fb)) >= SIMILAR:
        return 18, f"Given name spelt similarly {shown}"
    if min(len(fa), len(fb)) == 1 and fa[0] == fb[0]:
        return 5, f"Same initial {shown}"
    return -20, f"Different given name {shown}"


def _score_family(family: str, known: str) -> tuple[int, str]:
    a, b = normalise_name(family), normalise_name(known)
    shown = f"({family.strip()} / {known.strip()})"
    if not a or not b:
        return 0, "No family name to compare"
    if a == b or a.replace(" ", "") == b.replace(" ", ""):
        return 25, "Same family name"
    if sound_key(a) == sound_key(b):
        return 20, f"Family name sounds the same {shown}"
    if jellyfish.jaro_winkler_similarity(a, b) >= SIMILAR:
        return 18, f"Family name spelt similarly {shown}"
    if set(a.split()) & set(b.split()):
        return 15, f"Family names share a part {shown}"
    return -10, f"Different family name {shown}"
