"""MARAC through the API, on SQLite and PostgreSQL: the coordinator refers the victim for the next meeting in
the hub's calendar within a working day, records the MARAC's actions after it, and a victim the person index
knows as referred in the 12 months before is flagged as a repeat. The coordinator sees only cases referred to
MARAC."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.core.clock import clock
from tests import factories as f
from tests.encompass.walk import start_on, task_of

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
COORDINATOR = "marac-coordinator"
#: Monday 11 January 2027, 10:00: the MASH decides the mother is at high risk (DASH 16).
DECIDED = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)
VICTIM = {"given_name": "Jane", "family_name": "Carter", "date_of_birth": "1990-02-03", "nhs_number": "9434765919"}


def refer(api, case_id: int, repeat: bool = False) -> dict:
    task = task_of(api, COORDINATOR, case_id, "Refer to MARAC")
    response = api(COORDINATOR).post(f"/api/v1/tasks/{task}/complete", json={
        "referred_on": clock.now().date().isoformat(), "marac_repeat": repeat, "dash_score": 16,
        "referral_note": "High risk on the DASH: strangulation and threats to kill."})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def deadline(case: dict, name: str) -> dict:
    [found] = [d for d in case["deadlines"] if d["name"] == name]
    return found


@BOTH
def test_a_referral_goes_to_the_next_meeting_its_actions_are_recorded_and_a_second_is_a_repeat(api, web):
    clock.freeze(DECIDED)
    first = start_on("marac_referral", DECIDED, {"da_victim": VICTIM})
    waiting = api(COORDINATOR).get("/api/v1/marac/referrals").get_json()["waiting"]
    # Cases reach the coordinator 5 working days before a meeting: the 21st, not the 14th.
    assert [(w["case_id"], w["next_meeting"], w["repeat_found"]) for w in waiting] == [(first, "2027-01-21", False)]
    after = refer(api, first)
    assert deadline(after, "Refer to MARAC due")["state"] == "met"
    assert [t["name"] for t in after["open_tasks"]] == ["Record the MARAC's actions"]

    clock.freeze(datetime(2027, 1, 21, 15, 0, tzinfo=UTC))
    task = task_of(api, COORDINATOR, first, "Record the MARAC's actions")
    done = api(COORDINATOR).post(f"/api/v1/tasks/{task}/complete", json=f.MARAC_ACTIONS)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "closed"
    [record] = api(COORDINATOR).get(f"/api/v1/cases/{first}/marac").get_json()
    assert (record["meeting_date"], record["repeat"], record["repeat_found"]) == ("2027-01-21", False, False)
    assert [(a["owner_agency"], a["due_on"]) for a in record["actions"]] == [("police", "2027-01-28"),
                                                                            ("idva", "2027-01-22")]

    # Five months on, the same victim (the index knows her by her NHS number, under a shortened name) again.
    clock.freeze(datetime(2027, 6, 1, 10, 0, tzinfo=UTC))
    second = start_on("marac_referral", clock.now(), {"da_victim": {**VICTIM, "given_name": "Janey"}})
    [waiting] = api(COORDINATOR).get("/api/v1/marac/referrals").get_json()["waiting"]
    assert (waiting["case_id"], waiting["repeat_found"], waiting["repeat_of_case_id"]) == (second, True, first)
    page = web(COORDINATOR).get(f"/tasks/{waiting['task_id']}").get_data(as_text=True)
    assert "Repeat" in page and "2027-06-10" in page  # shown to the coordinator, with the meeting it goes to
    refer(api, second, repeat=True)
    [again] = api(COORDINATOR).get(f"/api/v1/cases/{second}/marac").get_json()
    assert (again["repeat"], again["repeat_found"], again["repeat_of_case_id"]) == (True, True, first)
    mi = web("mash-manager").get("/reports/marac-referrals.csv?from=2027-01-01&to=2027-06-30").get_data(as_text=True)
    assert mi.splitlines()[1:] == ["2,1,50.0,1,2,2"]  # two referrals, one repeat, two actions by two agencies


def test_a_referral_more_than_twelve_months_after_the_last_is_not_a_repeat(api):
    clock.freeze(DECIDED)
    refer(api, start_on("marac_referral", DECIDED, {"da_victim": VICTIM}))
    clock.freeze(datetime(2028, 1, 20, 10, 0, tzinfo=UTC))
    later = start_on("marac_referral", clock.now(), {"da_victim": VICTIM})
    [waiting] = api(COORDINATOR).get("/api/v1/marac/referrals").get_json()["waiting"]
    assert (waiting["case_id"], waiting["repeat_found"]) == (later, False)


def test_the_coordinator_sees_the_cases_referred_to_marac_and_no_others(api, web):
    clock.freeze(DECIDED)
    referred = start_on("marac_referral", DECIDED, {"da_victim": VICTIM})
    other = api("referrer").post("/api/v1/contacts", json=f.contact()).get_json()["case_id"]
    assert api(COORDINATOR).get(f"/api/v1/cases/{referred}").status_code == 200
    assert api(COORDINATOR).get(f"/api/v1/cases/{other}").status_code == 404
    refer(api, referred)  # still theirs once the referral is made
    assert api(COORDINATOR).get(f"/api/v1/cases/{referred}").status_code == 200
    page = web(COORDINATOR).get("/marac").get_data(as_text=True)
    assert "MARAC referrals" in page and "2027-01-21" in page
