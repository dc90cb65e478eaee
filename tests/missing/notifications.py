"""A police missing-person notification as the API takes it, and the steps' answers, for the pathway's tests."""
from __future__ import annotations

from datetime import datetime

from app.core.calendar import LONDON
from app.core.clock import clock

CHILD = {"given_name": "Kayla", "family_name": "Price", "date_of_birth": "2011-04-09", "nhs_number": "9434765919",
         "address": "12 Mill Lane, Northtown NT1 2AB"}
TASK_NAMES = {"return": "Record the child's return", "offer": "Offer the return home interview",
              "interview": "Record the return home interview",
              "prompt": "Consider a strategy discussion (repeat missing)"}


def _day_and_time(at: datetime) -> tuple[str, str]:
    local = at.astimezone(LONDON)
    return local.date().isoformat(), local.strftime("%H:%M")


def missing_person(started: datetime, *, returned: datetime | None = None, risk: str = "medium",
                   child: dict | None = None, **extra) -> dict:
    """A notification of an episode that started at ``started`` (and ended at ``returned``, when given)."""
    day, hhmm = _day_and_time(started)
    body = {"type": "missing-person-notification", "child": child or CHILD, "looked_after": False,
            "police_reference": "MP/26/0457", "officer_name": "PC Dana Shaw", "started_on": day, "started_time": hhmm,
            "risk_grading": risk, "returned": returned is not None,
            "circumstances": "Did not come home from school; last seen at the bus station with older youths."}
    if returned is not None:
        back_day, back_time = _day_and_time(returned)
        body |= {"returned_on": back_day, "returned_time": back_time, "found_where": "A flat on the Eastgate estate"}
    return {**body, **extra}


def return_answers(returned: datetime) -> dict:
    day, hhmm = _day_and_time(returned)
    return {"missing_returned_on": day, "missing_returned_time": hhmm,
            "missing_found_where": "Found by police at a friend's house in Southtown"}


def offer(accepted: bool = True) -> dict:
    return {"missing_interview_offered": True, "missing_offered_on": clock.now().astimezone(LONDON).date().isoformat(),
            "missing_offered_by": "Jo Reid, return home interview service", "missing_interview_accepted": accepted}


def interview(held_on: str) -> dict:
    return {"missing_interview_held": True, "missing_held_on": held_on, "missing_held_by": "Jo Reid",
            "missing_push_factors": "Arguments at home about curfew.",
            "missing_pull_factors": "Older friends who give her vapes and lifts.",
            "missing_exploitation_indicators": ["cce", "county-lines"]}
