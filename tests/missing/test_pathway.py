"""A police missing-person notification walks its pathway through the API, on SQLite and PostgreSQL: a child
already back is offered a return home interview within 72 hours of the return and the interview is recorded; a
child still missing waits for the return; the third episode in 90 days flags the child and prompts the MASH
manager to consider a strategy discussion."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.core.clock import clock
from app.missing.models import MissingEpisode
from tests import factories as f
from tests.encompass.walk import task_of
from tests.missing.notifications import CHILD, TASK_NAMES, interview, missing_person, offer, return_answers

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
COORDINATOR = "missing-children"
#: Tuesday 12 January 2027, 09:00 UTC: the notification arrives.
NOTIFIED = datetime(2027, 1, 12, 9, 0, tzinfo=UTC)


def notify(api, body: dict) -> int:
    response = api("police").post("/api/v1/contacts", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["case_id"]


def case_json(api, case_id: int, user: str = "mash-manager") -> dict:
    return api(user).get(f"/api/v1/cases/{case_id}").get_json()


def complete(api, user: str, case_id: int, step: str, answers: dict) -> dict:
    task = task_of(api, user, case_id, TASK_NAMES[step])
    response = api(user).post(f"/api/v1/tasks/{task}/complete", json=answers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def deadline(case: dict, name: str) -> dict:
    [found] = [d for d in case["deadlines"] if d["name"] == name]
    return found


def episode(db, case_id: int) -> MissingEpisode:
    with db.unit_of_work() as session:
        found = session.scalar(select(MissingEpisode).where(MissingEpisode.case_id == case_id))
        session.expunge(found)
        return found


@BOTH
def test_a_child_back_is_offered_an_interview_within_72_hours_and_it_is_recorded(api, db):
    clock.freeze(NOTIFIED)
    returned = NOTIFIED - timedelta(hours=3)
    case_id = notify(api, missing_person(NOTIFIED - timedelta(days=1), returned=returned, risk="medium"))
    case = case_json(api, case_id)
    assert [t["name"] for t in case["open_tasks"]] == [TASK_NAMES["offer"]]
    due = deadline(case, "Interview offer due: 72 hours from the return")
    assert datetime.fromisoformat(due["due_at"]) == returned + timedelta(hours=72)
    row = episode(db, case_id)
    assert (row.risk_grading, row.returned_at, row.found_where, row.repeat) == (
        "medium", returned, "A flat on the Eastgate estate", False)
    assert row.person_id is not None  # linked to the child's record in the person index

    clock.freeze(NOTIFIED + timedelta(hours=20))
    after = complete(api, COORDINATOR, case_id, "offer", offer(accepted=True))
    assert deadline(after, "Interview offer due: 72 hours from the return")["state"] == "met"
    assert [t["name"] for t in after["open_tasks"]] == [TASK_NAMES["interview"]]
    clock.freeze(NOTIFIED + timedelta(days=2))
    done = complete(api, COORDINATOR, case_id, "interview", interview("2027-01-14"))
    assert done["status"] == "closed"
    row = episode(db, case_id)
    assert (row.interview_offered, row.interview_accepted, row.interview_held) == (True, True, True)
    assert row.interview_offered_at == NOTIFIED + timedelta(hours=20)
    assert (row.interview_held_by, row.exploitation_indicators) == ("Jo Reid", ["cce", "county-lines"])


@BOTH
def test_a_child_still_missing_waits_for_the_return_and_the_clock_runs_from_it(api, db):
    clock.freeze(NOTIFIED)
    case_id = notify(api, missing_person(NOTIFIED - timedelta(hours=2), risk="high"))
    case = case_json(api, case_id)
    assert [t["name"] for t in case["open_tasks"]] == [TASK_NAMES["return"]]
    assert case["deadlines"] == []  # nothing is due while the child is missing
    assert episode(db, case_id).returned_at is None

    clock.freeze(NOTIFIED + timedelta(days=2))
    back = NOTIFIED + timedelta(days=1, hours=22)  # 07:00 UTC on Thursday 14 January
    after = complete(api, COORDINATOR, case_id, "return", return_answers(back))
    assert [t["name"] for t in after["open_tasks"]] == [TASK_NAMES["offer"]]
    due = deadline(after, "Interview offer due: 72 hours from the return")
    assert datetime.fromisoformat(due["due_at"]) == back + timedelta(hours=72)
    row = episode(db, case_id)
    assert (row.returned_at, row.found_where) == (back, "Found by police at a friend's house in Southtown")
    assert row.interview_due_at == back + timedelta(hours=72)


@BOTH
def test_the_third_episode_in_90_days_flags_the_child_and_prompts_a_strategy_discussion(api, db, web):
    starts = [NOTIFIED - timedelta(days=80), NOTIFIED - timedelta(days=30), NOTIFIED]
    cases = []
    for start in starts:
        clock.freeze(start + timedelta(hours=5))
        cases.append(notify(api, missing_person(start, returned=start + timedelta(hours=4))))
    _first, second, third = cases
    assert "Consider a strategy discussion (repeat missing)" not in {
        t["name"] for t in case_json(api, second)["open_tasks"]}
    names = {t["name"] for t in case_json(api, third)["open_tasks"]}
    assert names == {TASK_NAMES["offer"], TASK_NAMES["prompt"]}
    row = episode(db, third)
    assert (row.repeat, row.repeat_count) == (True, 3)
    page = web("mash-manager").get(f"/cases/{third}").get_data(as_text=True)
    assert "3 or more missing episodes in 90 days" in page
    # A school's contact about Kayla the next day (a missing episode is no open MASH enquiry, so it is screened):
    # the screener sees the flag, possible until the person index's proposed match is confirmed.
    clock.freeze(NOTIFIED + timedelta(days=1))
    school = api("referrer").post("/api/v1/contacts", json=f.contact(
        given=CHILD["given_name"], family=CHILD["family_name"], dob=CHILD["date_of_birth"],
        nhs_number=CHILD["nhs_number"])).get_json()["case_id"]
    screening = task_of(api, "mash-manager", school, "Screen the contact")
    screen_page = web("mash-manager").get(f"/tasks/{screening}").get_data(as_text=True)
    assert 'id="repeat-missing"' in screen_page and "Possible – if the proposed match is confirmed" in screen_page

    after = complete(api, "mash-manager", third, "prompt", {
        "missing_strategy_decision": "strategy-discussion",
        "missing_strategy_reason": "Three episodes since October, each time found with older youths."})
    assert "Convene the strategy discussion" in {t["name"] for t in after["open_tasks"]}
    assert episode(db, third).strategy_decision == "strategy-discussion"
    assert CHILD["given_name"] in page

