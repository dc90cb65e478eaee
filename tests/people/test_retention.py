"""Anonymising a contact takes its subjects out of the person index: their records lose every personal
detail and leave the people they were part of, and what was merged into them keeps its own person."""
from __future__ import annotations

from sqlalchemy import or_, select

from app.cases.models import Case, Subject
from app.core.clock import now
from app.people.clusters import cluster_of, root_of
from app.people.models import Person, PersonMerge, PersonRelationship, SubjectMatch
from app.people.operations import confirm_match
from app.people.retention import RETENTION_NOTE
from app.retention.anonymise import anonymise_case
from tests.people.flows import FAMILY, LATER, report
from tests.people.test_intake_and_decisions import SCREENER


def _people(db, case_id: int) -> list[int]:
    with db.unit_of_work(write=False) as session:
        return list(session.scalars(select(Subject.person_id).where(Subject.case_id == case_id)
                                    .order_by(Subject.position)))


def _confirm_first_proposal(db, case_id: int) -> None:
    with db.unit_of_work() as session:
        match = session.scalar(select(SubjectMatch).join(Subject, Subject.id == SubjectMatch.subject_id)
                               .where(Subject.case_id == case_id).order_by(SubjectMatch.score.desc()))
        confirm_match(session, match.id, SCREENER)


def _anonymise(db, case_id: int) -> dict:
    with db.unit_of_work() as session:
        return anonymise_case(session, session.get(Case, case_id), SCREENER, at=now(), policy={"test": True})


def test_an_anonymised_root_hands_its_person_to_the_oldest_record_merged_into_it(api, db):
    old = report(api, *FAMILY)
    second, third = report(api, LATER), report(api, LATER)
    _confirm_first_proposal(db, second)
    _confirm_first_proposal(db, third)
    child, parent, suspect = _people(db, old)
    later, latest = _people(db, second)[0], _people(db, third)[0]
    with db.unit_of_work(write=False) as session:
        assert cluster_of(session, child) == {child, later, latest}

    assert _anonymise(db, old)["people"] == 3

    with db.unit_of_work(write=False) as session:
        for person_id in (child, parent, suspect):
            record = session.get(Person, person_id)
            assert (record.given_name, record.family_name, record.date_of_birth, record.nhs_number, record.address,
                    record.postcode, record.given_key, record.family_key, record.merged_into_id) == (
                "", "", None, None, None, None, "", "", None)
            assert cluster_of(session, person_id) == {person_id}
        # The later contacts' records stay one person, now rooted on the older of them.
        assert root_of(session, latest) == later and cluster_of(session, later) == {later, latest}
        assert session.scalars(select(PersonRelationship).where(or_(
            PersonRelationship.person_id.in_([child, parent, suspect]),
            PersonRelationship.related_person_id.in_([child, parent, suspect])))).all() == []
        old_subjects = select(Subject.id).where(Subject.case_id == old)
        assert session.scalars(select(SubjectMatch).where(SubjectMatch.subject_id.in_(old_subjects))).all() == []
        # Decisions about the anonymised record stand, without the reasons (they quote its names).
        decided = list(session.scalars(select(SubjectMatch).where(SubjectMatch.person_id == child)))
        assert decided and all(m.reasons == [] and m.status != "proposed" for m in decided)
        merges = list(session.scalars(select(PersonMerge).order_by(PersonMerge.id)))
        assert [(m.person_id, m.into_person_id, m.unmerged_at is None) for m in merges] == [
            (later, child, False), (latest, child, False), (latest, later, True)]
        assert {m.unmerge_reason for m in merges[:2]} == {RETENTION_NOTE}


def test_an_anonymised_record_merged_into_someone_leaves_them(api, db):
    first = report(api, *FAMILY)
    old = report(api, LATER)
    _confirm_first_proposal(db, old)
    known, own = _people(db, first)[0], _people(db, old)[0]
    _anonymise(db, old)
    with db.unit_of_work(write=False) as session:
        assert cluster_of(session, known) == {known} and root_of(session, own) == own
        assert session.get(Person, known).given_name == "Jayden"
        assert session.get(Person, own).given_name == ""
    body = api("mash-manager").get(f"/api/v1/cases/{old}").get_json()
    assert body["subjects"][0]["person_id"] is None and body["subjects"][0]["nhs_number"] is None
