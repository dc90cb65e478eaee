"""The subject access export finds one person across their contacts, withholds other people's information
(protected identities above all) and lists it for review, and is audited; the API is for admins only."""
from __future__ import annotations

import json
import os
import stat
from datetime import timedelta

from jsonschema import Draft202012Validator
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import User
from app.core.clock import clock
from app.core.db import get_db, run_in_transaction
from app.people.models import SubjectMatch as Proposal
from app.people.operations import confirm_match
from tests.retention.walks import BARNABY, PROTECTED_NEIGHBOUR, T0, ZEPHYRINE, mash, report_about, walk_to_decision


def _two_contacts_about_zephyrine(api) -> tuple[int, int, int]:
    clock.freeze(T0)
    first = walk_to_decision(api, ZEPHYRINE, "nfa")
    other = walk_to_decision(api, BARNABY, "advice")
    clock.advance(timedelta(days=200))
    sibling = {"role": "child", "given_name": "Octavian", "family_name": "Quillfeather", "date_of_birth": "2018-02-02"}
    # Written differently the second time: accents, case and spacing are not a different person.
    second = report_about(api, ZEPHYRINE, subjects=[
        {**ZEPHYRINE.subject, "given_name": "ZÉPHYRINE", "family_name": " quillfeather"}, sibling])
    api("police").get("/api/v1/tasks")  # a view by an agency shows up in the viewing record below
    api("mash-manager").get(f"/api/v1/cases/{second}")
    return first, second, other


def test_the_export_finds_the_person_across_two_contacts_and_withholds_third_parties(api, database_url, tmp_path):
    first, second, other = _two_contacts_about_zephyrine(api)
    out = tmp_path / "sar.json"
    result = mash(database_url, tmp_path, "subject-access", "--given-name", "zephyrine",
                  "--family-name", "Quillfeather", "--date-of-birth", ZEPHYRINE.dob, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    raw = out.read_text(encoding="utf-8")
    export = json.loads(raw)

    assert export["subject_access_export"]["case_count"] == 2
    by_ref = {c["reference"]: c for c in export["cases"]}
    refs = {case_id: api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()["reference"]
            for case_id in (first, second, other)}
    assert set(by_ref) == {refs[first], refs[second]}
    old, new = by_ref[refs[first]], by_ref[refs[second]]
    assert old["match"] == new["match"] == "names-and-date-of-birth"
    assert old["subject"][0]["given_name"] == ZEPHYRINE.given and old["subject"][0]["address"] == ZEPHYRINE.address
    assert old["contact"]["concern"] == ZEPHYRINE.text("Concern reported about")
    assert old["outcome"] == "nfa" and [r["to_rag"] for r in old["rag_history"]] == ["amber"]
    assert {r["agency"] for r in old["agency_returns"]} == {"police", "health"}
    assert {f["form"] for f in old["completed_forms"]} >= {"screening", "agency_check", "decision", "feedback"}
    assert old["referrer_feedback"][0]["summary"] == ZEPHYRINE.text("Feedback summary for")
    [dispute] = old["professional_disagreements"]
    assert dispute["view"] == ZEPHYRINE.text("I disagree: the child is still at risk, says the referrer of")
    assert dispute["resolution_rationale"] == ZEPHYRINE.text("Upheld after speaking to the school about")
    assert (dispute["raised_by_role"], dispute["raised_by"]) == ("referrer", "[withheld]")  # the referrer's identity
    assert any(v["username"] == "mash-manager" for v in new["viewed_by"])

    # Protected identities appear nowhere; restricted returns and protected-identity returns are withheld.
    assert PROTECTED_NEIGHBOUR.lower() not in raw.lower()
    assert ZEPHYRINE.text("Police findings") not in raw and ZEPHYRINE.text("Health findings") not in raw
    assert ZEPHYRINE.text("Police handling note") not in raw
    police = next(r for r in old["agency_returns"] if r["agency"] == "police")
    assert police["findings"] == "[withheld]" and "third_parties_to_protect" not in police
    assert "[withheld]" in next(f for f in old["completed_forms"] if f["form"] == "mash_review")["answers"]["analysis"]
    # Other people: the referrer, the sibling, and anyone else's contact.
    assert ZEPHYRINE.referrer not in raw and "Octavian" not in raw
    assert new["other_people_named"] == [{"role": "child"}]
    for s in BARNABY.personal_strings():
        assert s not in raw
    redactions = {(r["reference"], r["record"], r["field"]) for r in export["redactions"]}
    assert (refs[first], "agency_returns[0]", "third_parties_to_protect") in redactions
    assert (refs[first], "agency_returns[1]", "findings") in redactions
    assert (refs[first], "contact", "referrer") in redactions
    assert (refs[first], "professional_disagreements[0]", "raised_by") in redactions
    assert (refs[second], "subjects[1]", "name, date of birth, address") in redactions
    assert any(r["field"] == "text naming a protected identity" for r in export["redactions"])
    assert all(PROTECTED_NEIGHBOUR not in json.dumps(r) for r in export["redactions"])

    with get_db().unit_of_work(write=False) as session:
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "subject-access.exported")))
    assert len(events) == 1
    assert events[0].details["cases"] == 2 and events[0].details["case_ids"] == sorted([first, second])
    assert events[0].username.startswith("cli:")
    trail = json.dumps([events[0].summary, events[0].details])
    assert ZEPHYRINE.given not in trail and ZEPHYRINE.family not in trail and ZEPHYRINE.dob not in trail

    again = mash(database_url, tmp_path, "subject-access", "--given-name", "Zephyrine", "--family-name", "Quillfeather",
                 "--out", str(out))
    assert again.exit_code == 2 and "never overwritten" in again.output


def test_without_a_date_of_birth_names_only_matches_are_flagged_and_the_wrong_date_finds_nothing(api, database_url,
                                                                                                  tmp_path):
    _two_contacts_about_zephyrine(api)
    by_name = json.loads(mash(database_url, tmp_path, "subject-access", "--given-name", "Zephyrine",
                              "--family-name", "Quillfeather").output)
    assert [c["match"] for c in by_name["cases"]] == ["names-only", "names-only"]
    wrong = json.loads(mash(database_url, tmp_path, "subject-access", "--given-name", "Zephyrine",
                            "--family-name", "Quillfeather", "--date-of-birth", "2016-03-15").output)
    assert wrong["cases"] == [] and wrong["subject_access_export"]["case_count"] == 0


def test_an_anonymised_contact_is_no_longer_held_about_anyone(api, database_url, tmp_path):
    clock.freeze(T0)
    walk_to_decision(api, ZEPHYRINE, "nfa")
    clock.freeze(T0 + timedelta(days=365 * 4))
    assert "Anonymised 1" in mash(database_url, tmp_path, "retention").output
    export = json.loads(mash(database_url, tmp_path, "subject-access", "--given-name", "Zephyrine",
                             "--family-name", "Quillfeather", "--date-of-birth", ZEPHYRINE.dob).output)
    assert export["cases"] == []


def test_the_api_export_is_for_admins_only_and_matches_its_published_schema(api):
    _first, _second, _ = _two_contacts_about_zephyrine(api)
    body = {"given_name": "Zephyrine", "family_name": "Quillfeather", "date_of_birth": ZEPHYRINE.dob}
    for username in ("mash-manager", "police", "social-worker", "auditor", "referrer"):
        refused = api(username).post("/api/v1/subject-access-exports", json=body)
        assert refused.status_code == 403, username
    with get_db().unit_of_work(write=False) as session:
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "subject-access.exported")) is None

    response = api("admin").post("/api/v1/subject-access-exports", json=body)
    assert response.status_code == 200, response.get_json()
    export = response.get_json()
    assert export["subject_access_export"]["case_count"] == 2
    assert PROTECTED_NEIGHBOUR not in response.get_data(as_text=True)
    document = api("admin").get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/subject-access-exports"]["post"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert [e.message for e in Draft202012Validator(schema).iter_errors(export)] == []
    with get_db().unit_of_work(write=False) as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "subject-access.exported"))
    assert event.username == "admin" and event.details["cases"] == 2

    invalid = api("admin").post("/api/v1/subject-access-exports",
                                json={"given_name": "Zephyrine", "date_of_birth": "14/03/2016", "nickname": "Z"})
    assert invalid.status_code == 422
    assert {e["field"] for e in invalid.get_json()["errors"]} == {"family_name", "date_of_birth", "nickname"}


def test_a_named_exporter_must_be_an_admin(api, database_url, tmp_path):
    _two_contacts_about_zephyrine(api)
    refused = mash(database_url, tmp_path, "subject-access", "--given-name", "Zephyrine", "--family-name",
                   "Quillfeather", "--as", "police")
    assert refused.exit_code == 1 and "not an admin" in refused.output
    with get_db().unit_of_work(write=False) as session:
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "subject-access.exported")) is None
    done = mash(database_url, tmp_path, "subject-access", "--given-name", "Zephyrine", "--family-name",
                "Quillfeather", "--as", "admin")
    assert done.exit_code == 0
    with get_db().unit_of_work(write=False) as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "subject-access.exported"))
    assert event.username == "admin" and event.user_id is not None


def test_a_contact_the_hub_confirmed_is_the_same_person_is_in_the_export_with_what_the_index_holds(
        api, database_url, tmp_path):
    """The person index, not the spelling, decides: a contact written "Zefirine Quilfeather" that the screener
    confirmed is Zephyrine is hers; her index records, merges and relationships come too, the other person
    in each relationship withheld."""
    clock.freeze(T0)
    first = report_about(api, ZEPHYRINE, subjects=[
        ZEPHYRINE.subject, {"role": "parent", "given_name": "Perpetua", "family_name": "Quillfeather"}])
    clock.advance(timedelta(days=30))
    misspelt = report_about(api, ZEPHYRINE, subjects=[
        {**ZEPHYRINE.subject, "given_name": "Zefirine", "family_name": "Quilfeather"}])
    proposals = api("mash-manager").get(f"/api/v1/cases/{misspelt}").get_json()["subjects"][0]["proposed_matches"]
    assert proposals, "the misspelt name must be proposed as Zephyrine"
    with get_db().unit_of_work(write=False) as session:
        match_id = session.scalar(select(Proposal.id).where(Proposal.person_id == proposals[0]["person_id"]))
        manager = session.scalar(select(User).where(User.username == "mash-manager")).as_actor()
    run_in_transaction(confirm_match, match_id, manager)  # what the screener's Confirm button does

    out = tmp_path / "sar.json"
    result = mash(database_url, tmp_path, "subject-access", "--given-name", ZEPHYRINE.given, "--family-name",
                  ZEPHYRINE.family, "--date-of-birth", ZEPHYRINE.dob, "--out", str(out))
    assert result.exit_code == 0, result.output
    raw = out.read_text(encoding="utf-8")
    export = json.loads(raw)
    refs = {case_id: api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()["reference"]
            for case_id in (first, misspelt)}
    matches = {c["reference"]: c["match"] for c in export["cases"]}
    assert matches == {refs[first]: "names-and-date-of-birth", refs[misspelt]: "confirmed-in-person-index"}
    [held] = export["person_index"]
    assert sorted((r["given_name"], r["family_name"]) for r in held["records"]) == [
        ("Zefirine", "Quilfeather"), ("Zephyrine", "Quillfeather")]
    assert len(held["merges"]) == 1 and held["merges"][0]["merged_by"] == "mash-manager"
    assert [r["said"] for r in held["relationships"]] == ["Another person is parent of this person"]
    assert "Perpetua" not in raw
    assert {(r["record"], r["field"]) for r in export["redactions"] if r["reference"] == "person-index"} == {
        ("person_index[0].relationships[0]", "other person")}
