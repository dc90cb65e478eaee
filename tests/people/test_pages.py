"""The person index pages: deciding a contact's matches, search, a person, and the screening aside."""
from __future__ import annotations

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.models import Subject
from app.people.models import SubjectMatch
from tests.api.test_referral_walks import task_id
from tests.people.flows import FAMILY, LATER, report


def proposal(db, case_id: int) -> SubjectMatch:
    with db.unit_of_work(write=False) as session:
        return session.scalar(select(SubjectMatch).join(Subject, Subject.id == SubjectMatch.subject_id)
                              .where(Subject.case_id == case_id))


def own_person(db, case_id: int) -> int:
    with db.unit_of_work(write=False) as session:
        return session.scalar(select(Subject.person_id).where(Subject.case_id == case_id, Subject.position == 0))


def test_a_screener_confirms_a_match_then_unmerges_it_with_a_reason(api, web, db):
    first = report(api, *FAMILY)
    later = report(api, LATER)
    match = proposal(db, later)
    manager = web("mash-manager")
    page = manager.get(f"/cases/{later}/people").get_data(as_text=True)
    assert f'id="match-{match.id}"' in page and f"Score {int(match.score)}" in page
    assert "Given name sounds the same (Jaydon / Jayden)" in page and "Same date of birth" in page
    assert "Jayden Okoro" in page and "1 contact" in page
    assert "Not the same person" in page

    done = manager.post_form(f"/cases/{later}/people/matches/{match.id}/confirm", {},
                             csrf_from=f"/cases/{later}/people")
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/cases/{later}/people")
    page = manager.get(f"/cases/{later}/people").get_data(as_text=True)
    assert "Match confirmed" in page and f"person {own_person(db, first)}" in page and "2 contacts" in page

    # Deciding it again (a second screener on a stale page) is refused with a clear message.
    again = manager.post_form(f"/cases/{later}/people/matches/{match.id}/reject", {},
                              csrf_from=f"/cases/{later}/people")
    assert again.status_code == 302
    assert "has already decided this match" in manager.get(f"/cases/{later}/people").get_data(as_text=True)

    with db.unit_of_work(write=False) as session:
        from app.people.models import PersonMerge
        merge_id = session.scalar(select(PersonMerge.id).where(PersonMerge.match_id == match.id))
    missing = manager.post_form(f"/cases/{later}/people/merges/{merge_id}/unmerge", {"reason": " "},
                                csrf_from=f"/cases/{later}/people")
    body = missing.get_data(as_text=True)
    assert missing.status_code == 200 and "There is a problem" in body
    assert f'href="#reason-{merge_id}"' in body and "Enter why these records are not the same person" in body
    done = manager.post_form(f"/cases/{later}/people/merges/{merge_id}/unmerge", {"reason": "Different child"},
                             csrf_from=f"/cases/{later}/people")
    assert done.status_code == 302
    page = manager.get(f"/cases/{later}/people").get_data(as_text=True)
    assert "Unmerged: the subject is a person of their own again." in page and "confirmed, then unmerged" in page


def test_the_operations_manager_reads_the_matches_but_cannot_decide(api, web, db):
    report(api, *FAMILY)
    later = report(api, LATER)
    match = proposal(db, later)
    reader = web("ops-manager")
    page = reader.get(f"/cases/{later}/people").get_data(as_text=True)
    assert f'id="match-{match.id}"' in page and "Not the same person" not in page
    refused = reader.post_form(f"/cases/{later}/people/matches/{match.id}/confirm", {},
                               csrf_from=f"/cases/{later}/people")
    assert refused.status_code == 403
    assert web("police").get(f"/cases/{later}/people").status_code == 403
    # Business support's tasks need no identifiers (need to know): the person index is not theirs to read.
    assert web("business-support").get(f"/cases/{later}/people").status_code == 403


def test_the_screening_page_shows_how_many_matches_wait(api, web, db):
    report(api, *FAMILY)
    later = report(api, LATER)
    page = web("mash-manager").get(f"/tasks/{task_id(api, later, 'screening', 'mash-manager')}").get_data(as_text=True)
    assert "Possible matches in the person index" in page
    assert "1 possible match</strong>, best score" in page and f"/cases/{later}/people" in page


def test_search_finds_people_by_name_date_of_birth_and_nhs_number(api, web, db):
    first = report(api, *FAMILY)
    known = own_person(db, first)
    client = web("social-worker")
    page = client.get("/people?given_name=Jaden&family_name=Okoro&dob-day=12&dob-month=4&dob-year=2016"
                      ).get_data(as_text=True)
    assert f'href="/people/{known}"' in page and "1 person found" in page
    page = client.get("/people?nhs_number=943+476+5919").get_data(as_text=True)
    assert f'href="/people/{known}"' in page and "Same NHS number" in page
    page = client.get("/people?given_name=Jaden&dob-day=31&dob-month=2&dob-year=2016").get_data(as_text=True)
    assert "There is a problem" in page and 'href="#dob-day"' in page and 'href="#given_name"' in page
    with db.unit_of_work(write=False) as session:
        searched = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "people.searched")))
    assert [e.details["results"] for e in searched] == [1, 1]


def test_a_person_page_shows_the_cluster_and_a_merged_record_redirects_to_it(api, web, db):
    first = report(api, *FAMILY)
    later = report(api, LATER)
    known, own = own_person(db, first), own_person(db, later)
    manager = web("mash-manager")
    manager.post_form(f"/cases/{later}/people/matches/{proposal(db, later).id}/confirm", {},
                      csrf_from=f"/cases/{later}/people")
    moved = manager.get(f"/people/{own}")
    assert moved.status_code == 302 and moved.headers["Location"].endswith(f"/people/{known}")
    page = manager.get(f"/people/{known}").get_data(as_text=True)
    assert "Jayden Okoro, Jaydon Okoro" in page and "9434765919" in page and "Male" in page
    assert f"/cases/{first}" in page and f"/cases/{later}" in page
    assert "Grace Okoro</a> is parent of Jayden Okoro" in page
    assert "Dean Walsh</a> is alleged perpetrator towards Jayden Okoro" in page
    assert f"Record {own} merged into record {known}" in page
    assert f"/people/{known}/chronology" in page
    missing = manager.post_form(f"/people/{known}/merge", {"other_person_id": "", "reason": ""},
                                csrf_from=f"/people/{known}")
    body = missing.get_data(as_text=True)
    assert "There is a problem" in body and "Enter the person number of the record to merge in" in body
    related = manager.post_form(f"/people/{known}/relationships",
                                {"relationship": "sibling", "related_person_id": "999999"},
                                csrf_from=f"/people/{known}")
    assert "There is no person with this number" in related.get_data(as_text=True)
    with db.unit_of_work(write=False) as session:
        viewed = [e.details for e in session.scalars(select(AuditEvent).where(AuditEvent.action == "person.viewed"))]
        case_views = [e.details for e in session.scalars(select(AuditEvent).where(
            AuditEvent.action == "case.viewed", AuditEvent.case_id == later))]
    assert {"person_id": known} in viewed and {"page": "people"} in case_views
    assert manager.get("/people/999999").status_code == 404


def _web_contact(subject: dict) -> dict:
    return {"source": "2A", "referrer-name": "Jo Teacher", **{f"subjects-0-{k}": v for k, v in subject.items()},
            "concern": "Worried about the child.", "immediate_risk": "false", "consent-status": "given"}


def test_the_web_form_takes_an_nhs_number_and_gender_and_refuses_a_mistyped_number(web, db):
    referrer = web("referrer")
    refused = referrer.post_form("/contacts/new", _web_contact({
        "role": "unborn", "given_name": "Baby", "family_name": "Osei", "nhs_number": "943 476 5918", "gender": "0"}))
    body = refused.get_data(as_text=True)
    assert refused.status_code in (200, 422) and "There is a problem" in body
    assert 'href="#subjects-0-nhs_number"' in body and "fails its check digit" in body
    sent = referrer.post_form("/contacts/new", _web_contact({
        "role": "unborn", "given_name": "Baby", "family_name": "Osei", "nhs_number": "943 476 5919", "gender": "0"}))
    assert sent.status_code == 302, sent.get_data(as_text=True)[:2000]
    with db.unit_of_work(write=False) as session:
        subject = session.scalar(select(Subject))
        assert (subject.role, subject.nhs_number, subject.gender) == ("unborn", "9434765919", "0")
