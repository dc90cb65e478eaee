"""A police domestic-abuse notification as the API takes it, for the tests of the pathway."""
from __future__ import annotations

from datetime import timedelta

from app.core.calendar import LONDON
from app.core.clock import now
from app.domestic_abuse.dash import DASH_KEYS


def notification(*, risk_level: str = "medium", yes: int = 6, children=None, immediate_risk: bool = False,
                 victim: str = "Maria Lopez", perpetrator: str = "Darren Hale", **extra) -> dict:
    """``yes``: how many DASH questions (from the first) the victim answered yes. The incident was last night."""
    given, family = victim.split(" ", 1)
    p_given, p_family = perpetrator.split(" ", 1)
    last_night = (now() - timedelta(days=1)).astimezone(LONDON).date().isoformat()
    body = {
        "type": "domestic-abuse-notification",
        "incident": {"date": last_night, "time": "23:30", "location": "14 Elm Road, Northtown",
                     "officer_name": "PC Sam Ellis", "officer_number": "4471"},
        "victim": {"given_name": given, "family_name": family, "date_of_birth": "1990-02-14"},
        "perpetrator": {"given_name": p_given, "family_name": p_family, "date_of_birth": "1987-07-30"},
        "children": children if children is not None else [
            {"given_name": "Leo", "family_name": family, "date_of_birth": "2018-05-01", "school": "oakfield-primary",
             "present": True}],
        "dash": {key: ("yes" if number < yes else "no") for number, key in enumerate(DASH_KEYS)},
        "risk_level": risk_level,
        "circumstances": "Neighbours called police to shouting; the victim had a cut lip; Leo was in the next room.",
        "immediate_risk": immediate_risk,
    }
    return {**body, **extra}
