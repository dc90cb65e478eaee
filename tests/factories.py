"""Plain functions that make the hub's everyday things: contacts, screening answers, agency returns."""
from __future__ import annotations

from copy import deepcopy


def contact(*, given: str = "Ava", family: str = "Smith", dob: str | None = "2015-06-01", immediate_risk: bool = False,
            source: str = "2A", consent: str = "given", **extra) -> dict:
    body = {
        "source": source,
        "referrer": {"name": "Jo Teacher", "organisation": "Hillside Primary", "role": "DSL",
                     "email": "jo@hillside.example.org", "phone": "01632 960123"},
        "subjects": [{"role": "child", "given_name": given, "family_name": family,
                      **({"date_of_birth": dob} if dob else {}), "address": "1 High Street"}],
        "concern": "Child disclosed being hit at home and has a bruise on the arm.",
        "immediate_risk": immediate_risk,
        "consent": {"status": consent, **({} if consent == "given" else {"reason": "Parent not contactable"})},
    }
    body.update(extra)
    return deepcopy(body)


def screening(rag: str = "amber", agencies: list[str] | None = None, factors: list[str] | None = None,
              **extra) -> dict:
    data = {"rag": rag, "rag_rationale": f"Rated {rag} on the information in the contact.", "consent": "given",
            "presenting_factors": ["16A"] if factors is None else factors,
            "agencies": ["police", "health", "education"] if agencies is None else agencies}
    data.update(extra)
    return data


def agency_return(nothing_known: bool = False, **extra) -> dict:
    data = {"nothing_known": nothing_known, "handling_restriction": "none"}
    if not nothing_known:
        data["findings"] = "Known to us: see the record of 3 March."
    data.update(extra)
    return data


def review(rerate: str = "no", new_rag: str | None = None) -> dict:
    data = {"rerate": rerate, "analysis": "Risks, needs and protective factors weighed together."}
    if rerate == "yes":
        data.update(new_rag=new_rag, rag_rationale=f"Re-rated to {new_rag} after the agency returns.")
    return data


def decision(outcome: str) -> dict:
    return {"outcome": outcome, "outcome_rationale": f"Outcome {outcome} on the evidence gathered."}


def feedback(recipients: list[str] | None = None, **extra) -> dict:
    """Feedback to the referrer; with recipients, the information product leaves the hub with consent."""
    data = {"feedback_method": "email", "feedback_summary": "Thank you; we have decided what happens next.",
            "information_product_recipients": recipients or ["none"], "sharing_consent": "given"}
    if recipients and recipients != ["none"]:
        data.update(sharing_purpose="assessment", subject_informed=True)
    data.update(extra)
    return data


def assessment(outcome: str = "child-in-need-plan", concluded_on: str = "2027-02-01") -> dict:
    return {"concluded_on": concluded_on, "assessment_outcome": outcome,
            "assessment_summary": "Needs assessed with the family; plan agreed."}


def strategy_record(outcome: str, attendees: list[str] | None = None, held_on: str = "2027-01-04", *,
                    discussion_format: str = "virtual", meeting_needed: bool = False) -> dict:
    return {"held_on": held_on, "discussion_format": discussion_format,
            "attendees": attendees or ["childrens-social-care", "police", "health"],
            "summary": "Discussion held; risks shared.", "strategy_outcome": outcome,
            "strategy_meeting_needed": meeting_needed}


def s47_outcome(outcome: str = "icpc-required", completed_on: str = "2027-01-12") -> dict:
    return {"s47_outcome": outcome, "s47_completed_on": completed_on,
            "s47_summary": "Child seen alone; agencies' findings brought together."}


def icpc_held(held_on: str = "2027-01-20", plan_outcome: str = "child-protection-plan") -> dict:
    data = {"held_on": held_on, "plan_outcome": plan_outcome}
    if plan_outcome == "child-protection-plan":
        data["category_of_abuse"] = "PHY"
    return data


AGENCY_TASKS = {"police": "police_check", "health": "health_check", "education": "education_check",
                "probation": "probation_check", "housing": "housing_check", "youth-justice": "youth_justice_check",
                "adult-social-care": "adult_social_care_check"}
