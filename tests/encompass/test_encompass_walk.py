"""Operation Encompass through the API, on SQLite and PostgreSQL: a Friday-night incident puts "Tell the
school's designated safeguarding lead" in the education inbox with a deadline at the start of the next school
day, counted down on the wall; telling the school meets it and records who was told, when and by whom."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.core.clock import clock
from tests.encompass.walk import start_on, task_of

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
TELL = "Tell the school's designated safeguarding lead"
#: Friday 8 January 2027, 22:40: police attend a domestic abuse incident; the notification reaches the hub at 23:55.
INCIDENT = datetime(2027, 1, 8, 22, 40, tzinfo=UTC)
RECEIVED = datetime(2027, 1, 8, 23, 55, tzinfo=UTC)
LEADS = {"oakfield-primary": "dsl@oakfield-primary.example.sch.uk",
         "riverside-academy": "safeguarding@riverside-academy.example.sch.uk"}


def notification(*schools: str | None) -> dict:
    return {"da_incident_at": INCIDENT.isoformat(),
            "da_children": [{"given_name": f"Child{n}", "family_name": "Carter", "date_of_birth": "2017-05-01",
                             "school": school} for n, school in enumerate(schools)]}


def encompass_deadline(api, case_id: int) -> dict:
    case = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()
    [found] = [d for d in case["deadlines"] if d["name"] == "Before school starts"]
    return found


@BOTH
@pytest.mark.parametrize(("school", "due"), [
    ("oakfield-primary", "2027-01-11T08:45:00+00:00"),    # Monday's start of school
    ("riverside-academy", "2027-01-12T08:30:00+00:00"),   # Monday 11th is an INSET day there: Tuesday's start
])
def test_a_friday_night_incident_is_told_to_the_school_before_the_next_school_day(api, web, school, due):
    clock.freeze(RECEIVED)
    case_id = start_on("operation_encompass", RECEIVED, notification(school, None))
    assert encompass_deadline(api, case_id)["due_at"] == due
    reference = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()["reference"]
    assert reference in web("mash-manager").get("/dashboard").get_data(as_text=True)  # the wall counts it down

    clock.freeze(datetime(2027, 1, 11, 7, 50, tzinfo=UTC))  # Monday, before the bell
    task = task_of(api, "education", case_id, TELL)
    assert LEADS[school] in web("education").get(f"/tasks/{task}").get_data(as_text=True)  # who to tell, on the page
    response = api("education").post(f"/api/v1/tasks/{task}/complete", json={
        "dsl_name": "Priya Shah", "told_on": "2027-01-11", "told_time": "07:45", "told_method": "phone"})
    assert response.status_code == 200, response.get_json()
    assert encompass_deadline(api, case_id)["state"] == "met"
    told = api("mash-manager").get(f"/api/v1/cases/{case_id}/encompass").get_json()
    assert [(t["school"], t["dsl_name"], t["told_by"], t["told_at"], t["before_school_day"]) for t in told] == [
        (school, "Priya Shah", "education", "2027-01-11T07:45:00+00:00", True)]


def test_a_notification_with_no_known_school_asks_nothing_of_education(api):
    clock.freeze(RECEIVED)
    case_id = start_on("operation_encompass", RECEIVED, notification(None, "a-school-not-on-the-list"))
    case = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()
    assert case["status"] == "closed" and case["closure"] == "end_no_school"


def test_the_mi_counts_schools_told_before_the_next_school_day_in_hours_and_school_days(api, web):
    clock.freeze(RECEIVED)
    on_time = start_on("operation_encompass", RECEIVED, notification("oakfield-primary"))
    late = start_on("operation_encompass", RECEIVED, notification("riverside-academy"))
    for case_id, day, time in ((on_time, "2027-01-11", "07:45"), (late, "2027-01-12", "10:00")):
        clock.freeze(datetime.fromisoformat(f"{day}T{time}:00+00:00"))
        task = task_of(api, "education", case_id, TELL)
        assert api("education").post(f"/api/v1/tasks/{task}/complete", json={
            "dsl_name": "The DSL", "told_on": day, "told_time": time, "told_method": "phone"}).status_code == 200
    csv = web("mash-manager").get("/reports/encompass-notifications.csv?from=2027-01-01&to=2027-01-31")
    assert csv.get_data(as_text=True).splitlines()[1:] == [
        "Oakfield Primary School,1,1,100.0,57.1,0.0,0.0",
        "Riverside Academy,1,0,0.0,83.3,1.0,1.0",  # Tuesday 10:00: after its 08:30 start (Monday was INSET)
        "All schools,2,1,50.0,70.2,0.5,1.0"]
