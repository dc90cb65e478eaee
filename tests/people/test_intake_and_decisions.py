"""Intake puts every subject in the person index with their relationships and proposals; screeners confirm,
reject and unmerge; the API shows proposals, then the person."""
from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.models import Subject
from app.concerns.chronology import person_chronology
from app.core.actor import Actor
from app.core.errors import Conflict, ValidationFailed
from app.people.clusters import cluster_of, root_of
from app.people.intake import propose_for_subject
from app.people.models import Person, PersonMerge, PersonRelationship, SubjectMatch
from app.people.operations import confirm_match, merge_people, reject_match, unmerge
from tests.people.flows import FAMILY, LATER, case_json, report, subject

SCREENER = Actor(user_id=None, username="mash-manager", roles=frozenset({"mash-manager"}))


def subjects_of(db, case_id: int) -> list[Subject]:
    with db.unit_of_work(write=False) as session:
        return list(session.scalars(select(Subject).where(Subject.case_id == case_id).order_by(Subject.position)))


def matches_of(db, subject_id: int) -> list[SubjectMatch]:
    with db.unit_of_work(write=False) as session:
        return list(session.scalars(select(SubjectMatch).where(SubjectMatch.subject_id == subject_id)
                                    .order_by(SubjectMatch.score.desc())))


def test_each_subject_gets_a_person_with_relationships_from_the_roles(api, db):
    case_id = report(api, *FAMILY)
    child, parent, suspect = subjects_of(db, case_id)
    assert len({child.person_id, parent.person_id, suspect.person_id}) == 3
    assert (child.nhs_number, child.gender) == ("9434765919", "1")
    with db.unit_of_work(write=False) as session:
        record = session.get(Person, child.person_id)
        assert (record.given_name, record.nhs_number, record.gender, record.postcode) == (
            "Jayden", "9434765919", "1", "N19GU")
        relations = {(r.person_id, r.relationship, r.related_person_id, r.source_case_id)
                     for r in session.scalars(select(PersonRelationship))}
        assert session.scalars(select(SubjectMatch)).all() == []  # co-subjects are never proposed to each other
    assert relations == {(parent.person_id, "parent", child.person_id, case_id),
                         (suspect.person_id, "alleged-perpetrator", child.person_id, case_id)}


def test_a_mistyped_nhs_number_is_refused_on_its_field(api):
    body = subject("child", "Amy", "Ng", "2017-01-01", nhs_number="9434765918")
    from tests import factories as f
    payload = f.contact()
    payload["subjects"] = [body]
    response = api("police").post("/api/v1/contacts", json=payload)
    assert response.status_code == 422
    assert response.get_json()["errors"] == [{"field": "subjects.0.nhs_number", "message": (
        "Enter a real NHS number: this one fails its check digit, so a digit may be mistyped")}]


def test_a_later_contact_about_the_same_child_is_proposed_and_the_api_shows_why(api, db):
    first = report(api, *FAMILY)
    later = report(api, LATER, subject("carer", "Grace", "Okoro", None))
    known_child = subjects_of(db, first)[0].person_id
    known_parent = subjects_of(db, first)[1].person_id
    body = case_json(api, later)
    child, carer = body["subjects"]
    assert child["person_id"] is None
    assert [m["person_id"] for m in child["proposed_matches"]] == [known_child]
    assert child["proposed_matches"][0]["score"] >= 80
    assert "Same date of birth" in child["proposed_matches"][0]["reasons"]
    assert "Given name sounds the same (Jaydon / Jayden)" in child["proposed_matches"][0]["reasons"]
    # Grace: no date of birth but the same names and postcode? She gave no address here, so no proposal.
    assert carer["proposed_matches"] == [] and carer["person_id"] == subjects_of(db, later)[1].person_id
    # The first contact's subjects were nobody known: each is their own person already.
    assert [s["person_id"] for s in case_json(api, first)["subjects"]] == [p.person_id for p in subjects_of(db, first)]
    assert known_parent not in [m["person_id"] for m in child["proposed_matches"]]
    document = api("mash-manager").get("/api/v1/openapi.json").get_json()
    assert list(Draft202012Validator(document["components"]["schemas"]["Case"]).iter_errors(body)) == []


def test_confirming_merges_the_histories_and_lapses_the_other_proposals(api, db):
    first = report(api, *FAMILY)
    again = report(api, LATER)
    later = report(api, LATER)  # proposals: the first contact's child and the second's
    known = subjects_of(db, first)[0].person_id
    subject_later = subjects_of(db, later)[0]
    proposals = matches_of(db, subject_later.id)
    assert {m.person_id for m in proposals} == {known, subjects_of(db, again)[0].person_id}
    chosen = next(m for m in proposals if m.person_id == known)
    with db.unit_of_work() as session:
        merge = confirm_match(session, chosen.id, SCREENER)
        assert (merge.person_id, merge.into_person_id) == (subject_later.person_id, known)
    assert {m.person_id: m.status for m in matches_of(db, subject_later.id)} == {
        known: "confirmed", subjects_of(db, again)[0].person_id: "rejected"}
    with db.unit_of_work(write=False) as session:
        assert root_of(session, subject_later.person_id) == known
        assert cluster_of(session, known) == {known, subject_later.person_id}
        assert {e.case_id for e in person_chronology(session, known)} == {first, later}
        details = [e.details for e in session.scalars(select(AuditEvent).where(
            AuditEvent.action == "person.match-confirmed"))]
    assert details == [{"match_id": chosen.id, "person_id": subject_later.person_id, "into_person_id": known,
                        "score": chosen.score}]
    child = case_json(api, later)["subjects"][0]
    assert (child["person_id"], child["proposed_matches"]) == (known, [])
    person = api("social-worker").get(f"/api/v1/people/{subject_later.person_id}").get_json()
    assert person["person_id"] == known
    assert {c["case_id"] for c in person["contacts"]} == {first, later}
    assert person["merged_person_ids"] == [subject_later.person_id]
    assert {e["case_id"] for e in person["chronology"]} == {first, later}
    assert person["names"] == ["Jayden Okoro", "Jaydon Okoro"]
    assert {(r["relationship"], r["direction"]) for r in person["relationships"]} == {
        ("parent", "to"), ("alleged-perpetrator", "to")}
    document = api("mash-manager").get("/api/v1/openapi.json").get_json()
    answer = document["paths"]["/api/v1/people/{person_id}"]["get"]["responses"]["200"]
    schema = answer["content"]["application/json"]["schema"]
    assert list(Draft202012Validator(schema).iter_errors(person)) == []


def test_a_decided_proposal_cannot_be_decided_again(api, db):
    report(api, *FAMILY)
    later = report(api, LATER)
    match = matches_of(db, subjects_of(db, later)[0].id)[0]
    with db.unit_of_work() as session:
        reject_match(session, match.id, SCREENER)
    with pytest.raises(Conflict, match="already decided this match"), db.unit_of_work() as session:
        confirm_match(session, match.id, SCREENER)


def test_a_rejected_person_is_not_proposed_again(api, db):
    report(api, *FAMILY)
    later = report(api, LATER)
    subject_later = subjects_of(db, later)[0]
    match = matches_of(db, subject_later.id)[0]
    with db.unit_of_work() as session:
        reject_match(session, match.id, SCREENER)
    with db.unit_of_work() as session:
        assert propose_for_subject(session, session.get(Subject, subject_later.id)) == []
    assert [(m.person_id, m.status) for m in matches_of(db, subject_later.id)] == [(match.person_id, "rejected")]
    # Not even when the rejected person has since become part of someone else.
    another = subjects_of(db, report(api, subject("child", "Jayden", "Okoro", "2016-04-12")))[0].person_id
    with db.unit_of_work() as session:
        merge_people(session, another, match.person_id, "Same child: two records", SCREENER)
    with db.unit_of_work() as session:
        assert propose_for_subject(session, session.get(Subject, subject_later.id)) == []


def test_unmerging_splits_the_person_again_and_needs_a_reason(api, db):
    first = report(api, *FAMILY)
    later = report(api, LATER)
    known, own = subjects_of(db, first)[0].person_id, subjects_of(db, later)[0].person_id
    match = matches_of(db, subjects_of(db, later)[0].id)[0]
    with db.unit_of_work() as session:
        merge_id = confirm_match(session, match.id, SCREENER).id
    with pytest.raises(ValidationFailed), db.unit_of_work() as session:
        unmerge(session, merge_id, "  ", SCREENER)
    with db.unit_of_work() as session:
        unmerge(session, merge_id, "Different school; checked with health", SCREENER)
    with db.unit_of_work(write=False) as session:
        assert root_of(session, own) == own and cluster_of(session, known) == {known}
        merge = session.get(PersonMerge, merge_id)
        assert (merge.unmerged_by, merge.unmerge_reason) == ("mash-manager", "Different school; checked with health")
        assert session.get(SubjectMatch, match.id).status == "unmerged"
        assert {e.case_id for e in person_chronology(session, known)} == {first}
        audit = session.scalar(select(AuditEvent).where(AuditEvent.action == "person.unmerged"))
        assert audit.details == {"merge_id": merge_id, "person_id": own, "from_person_id": known}
    with pytest.raises(Conflict), db.unit_of_work() as session:
        unmerge(session, merge_id, "again", SCREENER)
    with db.unit_of_work() as session:  # and, having been undone, the match is not proposed again
        assert propose_for_subject(session, session.get(Subject, subjects_of(db, later)[0].id)) == []


def test_merging_by_hand_joins_two_people_and_refuses_joining_one_to_itself(api, db):
    first = report(api, subject("child", "Kai", "Doyle", "2018-02-02"))
    second = report(api, subject("child", "Kye", "Dolye", None))
    a, b = subjects_of(db, first)[0].person_id, subjects_of(db, second)[0].person_id
    with db.unit_of_work() as session:
        merge_people(session, a, b, "Same child: the school confirmed the spelling", SCREENER)
    with db.unit_of_work(write=False) as session:
        assert cluster_of(session, a) == {a, b}
    with pytest.raises(ValidationFailed) as refused, db.unit_of_work() as session:
        merge_people(session, b, a, "again", SCREENER)
    assert refused.value.errors[0].message == "These records are already one person"


def test_nothing_personal_goes_into_the_person_index_audit_events(api, db):
    report(api, *FAMILY)
    later = report(api, LATER)
    match = matches_of(db, subjects_of(db, later)[0].id)[0]
    with db.unit_of_work() as session:
        confirm_match(session, match.id, SCREENER)
    with db.unit_of_work(write=False) as session:
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.action.like("person.%"))))
    text = " ".join(f"{e.summary} {e.details}" for e in events).lower()
    assert {e.action for e in events} == {"person.indexed", "person.match-confirmed"}
    for personal in ("jayden", "jaydon", "okoro", "grace", "walsh", "2016", "n1 9gu", "9434765919"):
        assert personal not in text
