"""Plain functions that make the hub's everyday things: contacts, screening answers, agency returns."""
from __future__ import annotations

from copy import deepcopy


def contact(*, given: str = "Ava", family: str = "Smith", dob: str | None = "2015-06-01", immediate_risk: bool = False,
            source: str = "2A", consent: str = "given", nhs_number: str | None = None, **extra) -> dict:
    body = {
        "source": source,
        "referrer": {"name": "Jo Teacher", "organisation": "Hillside Primary", "role": "DSL",
                     "email": "jo@hillside.example.org", "phone": "01632 960123"},
        "subjects": [{"role": "child", "given_name": given, "family_name": family,
                      **({"date_of_birth": dob} if dob else {}), "address": "1 High Street",
                      **({"nhs_number": nhs_number} if nhs_number else {})}],
        "concern": "Child disclosed being hit at home and has a bruise on the arm.",
        "immediate_risk": immediate_risk,
        "consent": {"status": consent, **({} if consent == "given" else {"reason": "Parent not contactable"})},
    }
    body.update(extra)
    return deepcopy(body)


def screening(rag: str = "amber", agencies: list[str] | None = None, factors: list[str] | None = None,
              **extra) -> dict:
    """A screening. The threshold table (processes/threshold.dmn) suggests Amber for the default factor (neglect,
    a child one or older, no immediate risk): any other rating or other factors carry ``rag_override_reason``, as
    the hub requires of a screener who differs from the suggestion (pass your own, or None to leave it out)."""
    data = {"rag": rag, "rag_rationale": f"Rated {rag} on the information in the contact.", "consent": "given",
            "presenting_factors": ["16A"] if factors is None else factors,
            "agencies": ["police", "health", "education"] if agencies is None else agencies}
    if rag != "amber" or factors is not None or "presenting_factors" in extra:
        data["rag_override_reason"] = f"Rated {rag}: the threshold does not weigh everything in this contact."
    data.update(extra)
    return {name: value for name, value in data.items() if value is not None or name != "rag_override_reason"}


def screening_without_consent(rag: str = "amber", agencies: list[str] | None = None, *, consent: str = "refused",
                              **extra) -> dict:
    """Checks going ahead without consent: the reason, lawful basis and special category condition the screening
    form then asks (its ``x-show-when``), on top of ``screening()``."""
    return screening(rag, agencies, consent=consent, **{
        "consent_reason": "Asking the family would put the child at risk of significant harm.",
        "lawful_basis": "uk-gdpr-6-1-e", "special_category_condition": "dpa-sch1-para18", **extra})


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


def decision(outcome: str, recipients: list[str] | None = None, *, consent: str = "given",
             additional_referrals: list[str] | None = None, lawful_basis: str = "uk-gdpr-6-1-e",
             special_category_condition: str = "dpa-sch1-para6", **extra) -> dict:
    """The decision maker's outcome and sharing decision. Without recipients the product stays in the hub; with
    them it leaves on an Article 6 basis and a special category condition (always, also with consent), and
    the family is told. Consent refused or not sought adds a reason (pass your own in ``extra``)."""
    data: dict = {"outcome": outcome, "outcome_rationale": f"Outcome {outcome} on the evidence gathered.",
                  "information_product_recipients": recipients or ["none"], "sharing_consent": consent}
    if recipients and recipients != ["none"]:
        data.update(sharing_purpose="assessment", sharing_lawful_basis=lawful_basis,
                    sharing_special_category_condition=special_category_condition, subject_informed=True)
        if consent != "given":
            data["sharing_consent_reason"] = "Seeking consent would put the child at risk of significant harm."
    if additional_referrals is not None:
        data["additional_referrals"] = additional_referrals
    data.update(extra)
    return data


def feedback(recipients: list[str] | None = None, *, sent_method: str | None = None, **extra) -> dict:
    """Feedback to the referrer. Without recipients it sends what the decision maker decided (``sent_method``
    says how, needed when the product goes anywhere). With recipients it is the step for a case that has no
    sharing decision (a blue contact, or one decided before #18): it decides too, leaving with consent."""
    data: dict = {"feedback_method": "email", "feedback_summary": "Thank you; we have decided what happens next."}
    if sent_method:
        data["product_sent_method"] = sent_method
    if recipients is not None:
        data.update(information_product_recipients=recipients, sharing_consent="given")
        if recipients != ["none"]:
            data.update(sharing_purpose="assessment", sharing_lawful_basis="uk-gdpr-6-1-e",
                        sharing_special_category_condition="dpa-sch1-para6", subject_informed=True)
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


# ------------------------------------------------------------------- the urgent path, chases and referrals
def confirm_immediate_risk(confirmed: bool = True, action: str = "none", **extra) -> dict:
    data = {"immediate_risk_decision": "confirmed" if confirmed else "screen",
            "immediate_risk_rationale": "Spoke to the referrer and the police: the child is with the alleged abuser."}
    if confirmed:
        data["emergency_action"] = action
    if action != "none":
        data.update(emergency_action_on="2027-01-09", emergency_action_time="02:30",
                    emergency_action_by="PC 1234 Jones")
    return {**data, **extra}


def chase(go_on_without: bool = False) -> dict:
    data = {"chase_method": "phone", "chase_note": "Left a message with the duty sergeant.",
            "decide_without_return": go_on_without}
    if go_on_without:
        data["decide_without_reason"] = "Red contact: the decision cannot wait any longer for this check."
    return data


#: The form each referral step takes, by element id.
REFERRALS = {
    "refer_marac": {"referred_on": "2027-01-05", "marac_repeat": False,
                    "referral_note": "DASH 16: referred to the next MARAC."},
    # The LADO records the allegation the decision referred (lado.bpmn's first step on that path, issue 22).
    "refer_lado": {"lado_person": {"given_name": "Sam", "family_name": "Coach", "job_title": "Football coach",
                                   "employer": "Northtown FC", "sector": "sport", "regulated_activity": "yes"},
                   "lado_allegation": {"category": "physical", "what": "Allegation passed on.",
                                       "came_to_notice_on": "2027-01-05"},
                   "lado_safeguarding_lead": {"name": "A Welfare Officer", "contact": "01632 960999"}},
    "refer_adult_safeguarding": {"referred_on": "2027-01-05", "adult_team": "Adult safeguarding hub",
                                 "referral_note": "Concern raised about the mother."},
    "refer_early_help": {"family_consent": "given", "receiving_team": "Early help north", "accepted": "accepted"},
    "refer_police_investigation": {"referred_on": "2027-01-05", "police_reference": "CRIM/2027/123"},
}
#: The MARAC's actions after its meeting (marac.bpmn's second step).
MARAC_ACTIONS = {"heard_on": "2027-01-21", "marac_actions": [
    {"action": "Fit a target-hardening alarm at the victim's home", "owner_agency": "police", "due_on": "2027-01-28"},
    {"action": "IDVA to contact the victim", "owner_agency": "idva", "due_on": "2027-01-22"}]}
#: The LADO's initial evaluation closing an allegation with no further action (lado.bpmn's step after recording it).
LADO_NO_FURTHER_ACTION = {"lado_threshold": "no-further-action", "lado_meeting_needed": False,
                          "lado_police_involved": False, "lado_evaluation_note": "Not about the person's work."}
#: The role each referral step belongs to.
REFERRAL_ROLES = {"refer_marac": "marac-coordinator", "refer_lado": "lado",
                  "refer_adult_safeguarding": "adult-social-care", "refer_early_help": "mash-manager",
                  "refer_police_investigation": "police"}
