"""A concern about an adult at risk as the API takes it, and the answers adult social care gives at each step."""
from __future__ import annotations


def adult_concern(*, adult: str = "Edith Marsh", children=None, consents: str = "yes", **extra) -> dict:
    given, family = adult.split(" ", 1)
    body = {
        "type": "adult-at-risk",
        "referrer": {"name": "Dr Priya Shah", "organisation": "Northtown Surgery", "role": "GP",
                     "email": "p.shah@nhs.example"},
        "adult": {"given_name": given, "family_name": family, "date_of_birth": "1941-03-09",
                  "nhs_number": "943 476 5919", "address": "3 Mill Lane, Northtown"},
        "care_needs": "Vascular dementia; carers visit twice a day.",
        "abuse_kinds": ["financial", "psychological"],
        "concern": "Her nephew has taken her bank card and shouts at her when she asks for it.",
        "location_of_risk": "own-home",
        "source_of_risk": "known",
        "adult_aware": True,
        "adult_consents": consents,
        "immediate_risk": False,
        "children": children or [],
    }
    if consents != "yes":
        body["consent_reason"] = "Others are at risk and a crime may have been committed."
    return {**body, **extra}


def consent_capacity(capacity: str = "has-capacity", **extra) -> dict:
    return {"adult_consent": "given" if capacity == "has-capacity" else "not-able", "adult_capacity": capacity,
            "adult_mca_principles": ["presume-capacity", "practicable-steps", "unwise-decisions", "best-interests",
                                     "least-restrictive"],
            "adult_capacity_note": "Assessed at home with her daughter present, using pictures.",
            "adult_advocate": capacity != "has-capacity",
            "adult_outcomes_asked": "expressed",
            "adult_desired_outcomes": "To keep her money safe and still see her nephew.", **extra}


BEST_INTERESTS = {"adult_best_interests_decision": "Her bank to hold the card; appointeeship to be sought.",
                  "adult_best_interests_consulted": "Her daughter and the advocate.",
                  "adult_best_interests_by": "Sam Reid, social worker"}


def s42_decision(decision: str = "enquiry", duty: bool = True) -> dict:
    return {"adult_care_and_support_needs": True, "adult_abuse_or_neglect": True, "adult_unable_to_protect": duty,
            "adult_s42_decision": decision, "adult_decision_rationale": "Reasonable cause to suspect financial abuse."}


OUTCOME = {"adult_concluded_on": "2027-01-20", "adult_risk_outcome": "reduced", "adult_outcomes_met": "partly",
           "adult_actions_taken": "Bank alerted; nephew spoken to by police."}
