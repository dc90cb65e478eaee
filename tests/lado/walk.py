"""An allegation against a person who works with children as the API takes it, and the LADO's steps, for the tests
of the LADO's pathway."""
from __future__ import annotations

from typing import Any

LADO = "lado"
#: The person's details: each must stay in the LADO's record and out of every other reader's page and answer.
PERSON = {"given_name": "Quentin", "family_name": "Ravensworth", "date_of_birth": "1980-04-02",
          "job_title": "Swimming coach", "employer": "Northtown Leisure Trust", "sector": "sport",
          "regulated_activity": "yes"}
WHAT = "Grabbed a child by the arm hard enough to bruise during a lesson at Northtown pool."
LEAD = {"name": "Priya Osei", "contact": "priya.osei@northtown-leisure.example.org"}
PRIVATE = ("Quentin", "Ravensworth", "Swimming coach", "Northtown Leisure Trust", "bruise during a lesson",
           "Priya Osei")


def allegation(*, noticed: str, person: dict | None = None, **extra: Any) -> dict:
    body = {
        "type": "allegation",
        "person": person or PERSON,
        "allegation": {"category": "physical", "what": WHAT, "happened_on": noticed, "came_to_notice_on": noticed},
        "children": [{"given_name": "Tilly", "family_name": "Marsh", "date_of_birth": "2016-09-12"}],
        "safeguarding_lead": LEAD,
        # A parent told the LADO; the leisure trust's safeguarding lead is named for the LADO to work with.
        "referrer": {"name": "Dana Marsh", "organisation": "Parent", "email": "dana.marsh@example.org"},
    }
    return {**body, **extra}


def details(*, noticed: str) -> dict:
    """The LADO's own record of an allegation the MASH referred (the first step on that path)."""
    return {"lado_person": PERSON,
            "lado_allegation": {"category": "physical", "what": WHAT, "came_to_notice_on": noticed},
            "lado_safeguarding_lead": LEAD}


def evaluation(threshold: str = "met", meeting: bool = True) -> dict:
    return {"lado_threshold": threshold, "lado_meeting_needed": meeting, "lado_police_involved": False,
            "lado_evaluation_note": "Spoke to the leisure trust's safeguarding lead: the harm test is met."}


def meeting(held_on: str) -> dict:
    return {"lado_meeting_held_on": held_on, "lado_meeting_attendees": ["lado", "employer", "police"],
            "lado_meeting_actions": [{"action": "Suspend from coaching pending the investigation", "owner": "employer",
                                      "due_on": held_on}],
            "lado_meeting_note": "Police will not investigate; the employer investigates under its own policy."}


def outcome(result: str = "substantiated", *, on: str, dbs: bool = True) -> dict:
    return {"lado_outcome": result, "lado_outcome_on": on, "lado_employer_action": "dismissed" if dbs else "no-action",
            "lado_dbs_referral_needed": dbs, "lado_regulator_referral_needed": False,
            "lado_outcome_note": "The employer's investigation found the allegation proved."}


def dbs_referral(on: str) -> dict:
    return {"lado_dbs_referred_on": on, "lado_regulator": "none", "lado_referred_by": "employer"}


def task_of(api, user: str, case_id: int, name: str) -> str:
    """The open task of this name on the case, from the user's own inbox."""
    for item in api(user).get("/api/v1/tasks").get_json():
        if item["case_id"] == case_id and item["name"] == name:
            return item["task_id"]
    raise AssertionError(f"{user} has no {name!r} on case {case_id}")


def complete(api, user: str, case_id: int, name: str, data: dict) -> dict:
    response = api(user).post(f"/api/v1/tasks/{task_of(api, user, case_id, name)}/complete", json=data)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def deadline(case: dict, name: str) -> dict:
    found = [d for d in case["deadlines"] if d["name"] == name]
    assert found, [d["name"] for d in case["deadlines"]]
    return found[-1]
