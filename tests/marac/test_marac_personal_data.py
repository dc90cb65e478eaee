"""The Encompass and MARAC records join the personal data life cycle: a subject access export holds them, and
anonymising the contact leaves none of their personal strings anywhere in the database."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.cases.models import Case
from app.core.actor import SYSTEM
from app.core.clock import clock
from app.core.db import get_db
from app.retention.anonymise import anonymise_case
from tests.encompass.walk import start_on, task_of
from tests.retention.test_anonymise import database_text, survivors

AT = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)
VICTIM = {"given_name": "Philomena", "family_name": "Gravesend", "date_of_birth": "1988-07-19", "nhs_number": None}
PERSONAL = ["Philomena", "Gravesend", "1988-07-19", "Ignatius Plover", "PGV777"]


def test_marac_and_encompass_records_are_exported_and_then_anonymised(api):
    clock.freeze(AT)
    case_id = start_on("marac_referral", AT, {"da_victim": VICTIM})
    task = task_of(api, "marac-coordinator", case_id, "Refer to MARAC")
    assert api("marac-coordinator").post(f"/api/v1/tasks/{task}/complete", json={
        "referred_on": "2027-01-11", "marac_repeat": False, "referral_note": "Referral note PGV777"}).status_code == 200
    task = task_of(api, "marac-coordinator", case_id, "Record the MARAC's actions")
    assert api("marac-coordinator").post(f"/api/v1/tasks/{task}/complete", json={"heard_on": "2027-01-21",
        "marac_actions": [{"action": "Ignatius Plover to call PGV777", "owner_agency": "idva",
                           "due_on": "2027-01-22"}]}).status_code == 200
    school = start_on("operation_encompass", AT, {"da_incident_at": AT.isoformat(), "da_children": [
        {"given_name": "Kit", "family_name": "Gravesend", "date_of_birth": None, "school": "oakfield-primary"}]})
    task = task_of(api, "education", school, "Tell the school's designated safeguarding lead")
    assert api("education").post(f"/api/v1/tasks/{task}/complete", json={
        "dsl_name": "Ignatius Plover", "told_on": "2027-01-11", "told_time": "10:30", "told_method": "phone",
        "told_note": "School asked about PGV777"}).status_code == 200

    export = api("admin").post("/api/v1/subject-access-exports", json={
        "given_name": "Philomena", "family_name": "Gravesend", "date_of_birth": "1988-07-19"}).get_json()
    reference = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()["reference"]
    [held] = [c for c in export["cases"] if c["reference"] == reference]
    assert held["marac_referrals"][0]["referral_note"] == "Referral note PGV777"
    assert held["marac_actions"][0]["action"] == "Ignatius Plover to call PGV777"

    assert survivors(PERSONAL, database_text()), "the scan must see the personal data before anonymisation"
    clock.advance(timedelta(days=2000))
    with get_db().unit_of_work() as session:
        for case in (session.get_one(Case, case_id), session.get_one(Case, school)):
            anonymise_case(session, case, SYSTEM, at=clock.now(), policy={})
    assert survivors(PERSONAL, database_text(skip=("audit_event",))) == []
