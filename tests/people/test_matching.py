"""Matching: true matches are found through typos, nicknames, swapped names and dates, and different people
who share a name (twins too) are kept apart. Every candidate comes through an index, never a scan."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event

from app.people.matching import PROPOSE_AT, Candidate, propose, score_pair, search
from tests.people.records import person


def candidate(given, family, dob=None, **kw) -> Candidate:
    return Candidate(given, family, date.fromisoformat(dob) if dob else None, **kw)


@pytest.fixture
def index(db):
    """A small index: one John Smith, a namesake born another year, and twins."""
    with db.unit_of_work() as session:
        return {
            "john": person(session, "John", "Smith", "2015-06-01", address="1 High Street, London E1 7AA").id,
            "namesake": person(session, "John", "Smith", "2009-11-23", address="4 Low Road, Leeds LS6 2QT").id,
            "ava": person(session, "Ava", "Okafor", "2016-03-09", address="9 Mill Lane, Bristol BS1 4DJ",
                          gender="2").id,
            "mia": person(session, "Mia", "Okafor", "2016-03-09", address="9 Mill Lane, Bristol BS1 4DJ",
                          gender="2").id,
            "robert": person(session, "Robert", "Nowak", "2012-02-14").id,
            "mohammed": person(session, "Mohammed", "Rahman", "2014-10-05", nhs="9434765919").id,
        }


def best(db, wanted: Candidate):
    with db.unit_of_work(write=False) as session:
        return propose(session, wanted)


@pytest.mark.parametrize(("wanted", "reason"), [
    (candidate("Jonh", "Smith", "2015-06-01"), "Given name spelt similarly (Jonh / John)"),
    (candidate("John", "Smtih", "2015-06-01"), "Family name spelt similarly (Smtih / Smith)"),
    (candidate("John", "Smyth", "2015-06-01"), "Family name sounds the same (Smyth / Smith)"),
    (candidate("Jon", "Smith", "2015-06-01"), "Given name is a known variant (Jon / John)"),
    (candidate("Smith", "John", "2015-06-01"), "Given and family names swapped"),
    (candidate("John", "Smith", "2015-01-06"), "Date of birth with day and month swapped"),
    (candidate("John", "Smith", None, postcode="E17AA"), "Same postcode"),
])
def test_a_true_match_is_found_through_typos_variants_and_swaps(db, index, wanted, reason):
    found = best(db, wanted)
    assert found and found[0].person_id == index["john"], found
    assert found[0].score >= PROPOSE_AT and reason in found[0].reasons
    assert index["namesake"] not in {m.person_id for m in found}


def test_a_nickname_finds_the_full_name(db, index):
    found = best(db, candidate("Bob", "Nowak", "2012-02-14"))
    assert [m.person_id for m in found] == [index["robert"]]
    assert "Given name is a known variant (Bob / Robert)" in found[0].reasons


def test_someone_with_the_same_name_and_another_date_of_birth_is_not_proposed(db, index):
    found = best(db, candidate("John", "Smith", "2015-06-01"))
    assert [m.person_id for m in found] == [index["john"]]
    assert found[0].score >= 80
    with db.unit_of_work(write=False) as session:
        weak = search(session, candidate("John", "Smith", "2015-06-01"), threshold=0, limit=10).matches
    namesake = next(m for m in weak if m.person_id == index["namesake"])
    assert namesake.score < PROPOSE_AT and "Different date of birth" in namesake.reasons


def test_a_twin_is_kept_apart_from_their_sibling(db, index):
    found = best(db, candidate("Ava", "Okafor", "2016-03-09", postcode="BS14DJ", gender="2"))
    assert [m.person_id for m in found] == [index["ava"]]
    with db.unit_of_work(write=False) as session:
        twin = next(m for m in search(session, candidate("Ava", "Okafor", "2016-03-09", postcode="BS14DJ"),
                                      threshold=0, limit=10).matches if m.person_id == index["mia"])
    assert twin.score < PROPOSE_AT and "Different given name (Ava / Mia)" in twin.reasons


def test_the_nhs_number_decides(db, index):
    # Same NHS number: found even with the names spelt differently and no date of birth.
    found = best(db, candidate("Muhammad", "Rahmen", None, nhs_number="9434765919"))
    assert [m.person_id for m in found] == [index["mohammed"]] and "Same NHS number" in found[0].reasons
    # Same names and date of birth but another NHS number: a different child.
    assert best(db, candidate("Mohammed", "Rahman", "2014-10-05", nhs_number="4010232137")) == []


def test_a_merged_record_makes_its_names_findable_as_the_person_it_is_part_of(db, index):
    with db.unit_of_work() as session:
        variant = person(session, "Liz", "Smith", "2015-06-01", merged_into=index["john"])
        assert variant.id != index["john"]
    found = best(db, candidate("Elizabeth", "Smith", "2015-06-01"))
    assert [m.person_id for m in found] == [index["john"]]
    assert "Given name is a known variant (Elizabeth / Liz)" in found[0].reasons


def test_excluded_records_are_never_proposed(db, index):
    with db.unit_of_work(write=False) as session:
        assert propose(session, candidate("John", "Smith", "2015-06-01"), exclude=[index["john"]]) == []


def test_scores_stay_between_0_and_100():
    class Record:
        given_name, family_name, date_of_birth = "John", "Smith", date(2015, 6, 1)
        nhs_number, gender, postcode = "9434765919", "1", "E17AA"
    top, _ = score_pair(Candidate("John", "Smith", date(2015, 6, 1), "9434765919", "1", "E17AA"), Record)
    bottom, _ = score_pair(Candidate("Zed", "Quill", date(1990, 1, 1), "4010232137", "2"), Record)
    assert (top, bottom) == (100, 0)


def test_every_candidate_comes_through_an_index(db, index):
    """SQLite's plan for each query a match runs: a search through an index, never a scan of the person table."""
    statements = []
    engine = db.engine

    def remember(conn, cursor, statement, parameters, context, executemany):
        if "FROM person" in statement:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", remember)
    try:
        with db.unit_of_work(write=False) as session:
            search(session, candidate("John", "Smith", "2015-06-01", nhs_number="9434765919", postcode="E17AA"))
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    assert len(statements) >= 5
    with engine.connect() as conn:
        for statement, parameters in statements:
            plan = " | ".join(row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
            assert "USING" in plan and "SCAN person" not in plan, (statement, plan)
