"""The hub's process words, defined once: RAG levels, outcomes, the case-data names and form keys the code
relies on, and the few element ids it reads (docs/process-contract.md lists the same contract for process owners).

The diagrams decide where a case goes; this module only names what the code reads, so it never says what
happens next. What a process owner may configure is read from where they configure it, never copied here:
each RAG level's timescale from ``processes/sla-policies.toml`` (app.core.sla), the words a form shows for its
options from the form. The labels below are the hub's own words for pages, reports and the information product.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from app.core.roles import AGENCIES

# ----------------------------------------------------------------------------- RAG ratings


@dataclass(frozen=True)
class RagLevel:
    """One RAG rating: its code in case data, its label, its GOV.UK tag colour, and how urgent it is."""

    code: str
    label: str
    tag_class: str
    #: 0 is the least urgent (blue): a move to a higher urgency is an escalation.
    urgency: int


RED: Final = "red"
AMBER: Final = "amber"
GREEN: Final = "green"
BLUE: Final = "blue"

#: Every RAG rating, most urgent first: the order pages, filters and the SLA policy file list them.
RAG_LEVELS: tuple[RagLevel, ...] = (
    RagLevel(RED, "Red", "govuk-tag--red", 3),
    RagLevel(AMBER, "Amber", "govuk-tag--orange", 2),
    RagLevel(GREEN, "Green", "govuk-tag--green", 1),
    RagLevel(BLUE, "Blue", "govuk-tag--blue", 0),
)
#: The codes, most urgent first (case data ``rag``: red, amber, green, blue).
RAG_CODES: tuple[str, ...] = tuple(level.code for level in RAG_LEVELS)
#: The codes from least to most urgent: a move up the list is an escalation.
RAG_URGENCY: tuple[str, ...] = tuple(level.code for level in sorted(RAG_LEVELS, key=lambda level: level.urgency))
RAG_LABELS: dict[str, str] = {level.code: level.label for level in RAG_LEVELS}
#: code -> (label, GOV.UK tag class), as templates show a rating (partials/rag_tag.html).
RAG_TAGS: dict[str, tuple[str, str]] = {level.code: (level.label, level.tag_class) for level in RAG_LEVELS}


def rag_label(code: str) -> str:
    """'red' -> 'Red'; a code that is not a rating is shown as it is, capitalised."""
    return RAG_LABELS.get(code, code.capitalize())


def rag_movement(initial: str | None, final: str | None) -> str | None:
    """"escalated", "de-escalated" or "unchanged" between the screening RAG and the final one."""
    if initial not in RAG_URGENCY or final not in RAG_URGENCY:
        return None
    before, after = RAG_URGENCY.index(initial), RAG_URGENCY.index(final)
    return "escalated" if after > before else "de-escalated" if after < before else "unchanged"


# ----------------------------------------------------------------------------- outcomes
#: Not a decision on the form: the contact went to the allocated worker of an open case (reports count it).
EXISTING_OPEN_CASE: Final = "existing-open-case"

#: A contact's outcome in the hub's words: the decision (case data ``outcome``, forms/decision.json), or
#: EXISTING_OPEN_CASE when there was no MASH decision. Census flags for each are in app.core.codes.
OUTCOME_LABELS: dict[str, str] = {
    "nfa": "No further action",
    "advice": "Advice or information",
    "early-help": "Step down to early help",
    "s17-assessment": "Child and family (section 17) assessment",
    "strategy-discussion": "Strategy discussion",
    "marac": "Referral to MARAC",
    "lado": "Referral to the LADO",
    "adult-safeguarding": "Adult safeguarding concern",
    EXISTING_OPEN_CASE: "Passed to the allocated worker of an open case",
}
#: The outcomes the decision form offers (case data ``outcome``).
DECISION_OUTCOMES: tuple[str, ...] = tuple(code for code in OUTCOME_LABELS if code != EXISTING_OPEN_CASE)

#: Strategy discussion outcomes (case data ``strategy_outcome``, forms/strategy_discussion_record.json);
#: two are decision outcomes too and keep the decision's words.
STRATEGY_OUTCOME_LABELS: dict[str, str] = {
    "s47-single": "Section 47 enquiry (single agency)",
    "s47-joint": "Section 47 enquiry (joint with police)",
    "s17-assessment": OUTCOME_LABELS["s17-assessment"],
    "nfa": OUTCOME_LABELS["nfa"],
}
#: Strategy discussion outcomes that start a section 47 enquiry.
SECTION_47_OUTCOMES: frozenset[str] = frozenset({"s47-single", "s47-joint"})


def outcome_label(outcome: str | None) -> str:
    """A decision or strategy discussion outcome in words; an unknown code is shown as it is."""
    if outcome in OUTCOME_LABELS:
        return OUTCOME_LABELS[outcome]
    return STRATEGY_OUTCOME_LABELS.get(outcome or "", outcome or "")


def is_section_47(strategy_outcome: str | None) -> bool:
    return strategy_outcome in SECTION_47_OUTCOMES


# ----------------------------------------------------------------------------- consent
CONSENT_GIVEN: Final = "given"
CONSENT_REFUSED: Final = "refused"
CONSENT_NOT_SOUGHT: Final = "not-sought"
#: Case data ``consent`` (screening) and the consent position on every sharing decision.
CONSENT_STATUSES: tuple[str, ...] = (CONSENT_GIVEN, CONSENT_REFUSED, CONSENT_NOT_SOUGHT)

# ----------------------------------------------------------------------------- case data
# Names in case data that are a contract: conditions in the diagrams, reports and integrations read them.
# Set by the service when a contact is received:
REFERENCE_FIELD: Final = "reference"
RECEIVED_AT_FIELD: Final = "received_at"
SOURCE_FIELD: Final = "source"
IMMEDIATE_RISK_FIELD: Final = "immediate_risk"
#: True when a child on the contact is the same person as a child with social work in progress (app/intake/open_work).
HAS_OPEN_CASE_FIELD: Final = "has_open_case"
#: The reference of an undecided MASH enquiry about the same child, else None: the screener confirms a join.
OPEN_ENQUIRY_FIELD: Final = "open_enquiry"
#: For the threshold table (processes/threshold.dmn): the youngest child's whole years at receipt (an unborn
#: child 0; None when no date of birth is known), and whether the contact raised a repeat concern (app/concerns).
YOUNGEST_CHILD_AGE_FIELD: Final = "youngest_child_age"
REPEAT_CONCERN_FIELD: Final = "repeat_concern"
# Set by the forms (and None until decided, so any gateway may test them):
RAG_FIELD: Final = "rag"
#: The agencies screening chose to ask for checks: codes from app.core.roles.AGENCIES.
AGENCIES_FIELD: Final = "agencies"
CONSENT_FIELD: Final = "consent"
OUTCOME_FIELD: Final = "outcome"
STRATEGY_OUTCOME_FIELD: Final = "strategy_outcome"
#: Set by the process before the review: requested agencies the hub went on without (recorded with the decision).
AGENCIES_NOT_RETURNED_FIELD: Final = "agencies_not_returned"
#: The referral date (an ISO UTC instant): set by the diagram when the decision makes the contact a referral
#: (section 17 assessment, strategy discussion); None until then. The case record mirrors it (``referral_at``).
REFERRAL_DATE_FIELD: Final = "referral_date"
#: Case data the service sets when a contact is received, before any step of the process runs (app/intake);
#: the deploy check counts them as known from the start.
SET_AT_CONTACT: tuple[str, ...] = (REFERENCE_FIELD, RECEIVED_AT_FIELD, SOURCE_FIELD, IMMEDIATE_RISK_FIELD,
                                   HAS_OPEN_CASE_FIELD, OPEN_ENQUIRY_FIELD, OUTCOME_FIELD, STRATEGY_OUTCOME_FIELD,
                                   REFERRAL_DATE_FIELD, YOUNGEST_CHILD_AGE_FIELD, REPEAT_CONCERN_FIELD)
# Set by the service when a police domestic-abuse notification is received (app/domestic_abuse/notifications.py):
# the domestic_abuse decision table's inputs, and the people the called processes (Encompass, MARAC) read.
DASH_RISK_LEVEL_FIELD: Final = "dash_risk_level"
DASH_TICKS_FIELD: Final = "dash_ticks"
ESCALATION_FIELD: Final = "escalation"
CHILDREN_IN_HOUSEHOLD_FIELD: Final = "children_in_household"
PREGNANCY_FIELD: Final = "pregnancy"
DA_CHILDREN_FIELD: Final = "da_children"
DA_INCIDENT_AT_FIELD: Final = "da_incident_at"
DA_VICTIM_FIELD: Final = "da_victim"
DA_PERPETRATOR_FIELD: Final = "da_perpetrator"
#: The daily triage's decision (screen | no-further-action | marac | encompass-only), None until the meeting.
DA_TRIAGE_FIELD: Final = "da_triage"
SET_AT_NOTIFICATION: tuple[str, ...] = (DASH_RISK_LEVEL_FIELD, DASH_TICKS_FIELD, ESCALATION_FIELD,
                                        CHILDREN_IN_HOUSEHOLD_FIELD, PREGNANCY_FIELD, DA_CHILDREN_FIELD,
                                        DA_INCIDENT_AT_FIELD, DA_VICTIM_FIELD, DA_PERPETRATOR_FIELD)
SET_AT_CONTACT = SET_AT_CONTACT + SET_AT_NOTIFICATION
# Set by the service when a police missing-person notification is received (app/intake/missing_persons.py), read by
# processes/missing_episode.bpmn: the episode's row, the police risk grading, whether the child is already back
# (and when: an ISO UTC instant, the return home interview's clock), and the repeat-episodes rule's finding.
MISSING_EPISODE_FIELD: Final = "missing_episode_id"
MISSING_RISK_FIELD: Final = "missing_risk"
MISSING_RETURNED_FIELD: Final = "missing_returned"
MISSING_RETURNED_AT_FIELD: Final = "missing_returned_at"
MISSING_REPEAT_FIELD: Final = "missing_repeat"
MISSING_REPEAT_COUNT_FIELD: Final = "missing_repeat_count"
#: Set by the steps' forms, None until then so every gateway may test them.
MISSING_INTERVIEW_ACCEPTED_FIELD: Final = "missing_interview_accepted"
MISSING_STRATEGY_DECISION_FIELD: Final = "missing_strategy_decision"
SET_AT_MISSING_NOTIFICATION: tuple[str, ...] = (
    MISSING_EPISODE_FIELD, MISSING_RISK_FIELD, MISSING_RETURNED_FIELD, MISSING_RETURNED_AT_FIELD, MISSING_REPEAT_FIELD,
    MISSING_REPEAT_COUNT_FIELD, MISSING_INTERVIEW_ACCEPTED_FIELD, MISSING_STRATEGY_DECISION_FIELD)
SET_AT_CONTACT = SET_AT_CONTACT + SET_AT_MISSING_NOTIFICATION
#: The forms of the missing episode's steps (app/missing/recording.py keeps their answers on the episode).
MISSING_RETURN_FORM: Final = "missing_return"
RETURN_INTERVIEW_OFFER_FORM: Final = "return_interview_offer"
RETURN_HOME_INTERVIEW_FORM: Final = "return_home_interview"
MISSING_STRATEGY_PROMPT_FORM: Final = "missing_strategy_prompt"
#: Case data the case record keeps in its own columns after every step.
CONTRACT_FIELDS: tuple[str, ...] = (RAG_FIELD, OUTCOME_FIELD, STRATEGY_OUTCOME_FIELD, CONSENT_FIELD)

# ----------------------------------------------------------------------------- form keys
# ``camunda:formKey`` values (forms/<key>.json) the code reads by name; every other form is the diagram's alone.
CONTACT_FORM: Final = "contact"
SCREENING_FORM: Final = "screening"
AGENCY_CHECK_FORM: Final = "agency_check"
MASH_REVIEW_FORM: Final = "mash_review"
DECISION_FORM: Final = "decision"
STRATEGY_DISCUSSION_RECORD_FORM: Final = "strategy_discussion_record"
FEEDBACK_FORM: Final = "feedback"
#: Re-rating from the case page or the API; not drawn on a diagram.
RERATE_FORM: Final = "rerate"
#: Raising a professional disagreement from the case page or the API; not drawn on a diagram.
DISAGREEMENT_FORM: Final = "professional_disagreement"
#: "Resolve professional disagreement": completing it marks the disagreement resolved.
RESOLVE_DISAGREEMENT_FORM: Final = "resolve_disagreement"

# ----------------------------------------------------------------------------- signals
#: The signal a raised disagreement sends; its event subprocess gets the record as ``disagreement`` data.
DISAGREEMENT_SIGNAL: Final = "professional_disagreement"
DISAGREEMENT_DATA: Final = "disagreement"

# ----------------------------------------------------------------------------- social work
#: The lane whose open steps mean social work is in progress on a case (assessment, strategy discussion, s47)...
SOCIAL_WORK_ROLE: Final = "social-worker"
#: ...except the step that only passes a new contact to the allocated worker.
STEPS_THAT_ARE_NOT_SOCIAL_WORK: tuple[str, ...] = ("pass_to_allocated_worker",)
#: The end event of a contact the screener joined to an open MASH enquiry about the same child...
JOINED_ENQUIRY_CLOSURE: Final = "joined-enquiry"
#: ...and the signal that gives the open enquiry its "Review new information" step.
NEW_INFORMATION_SIGNAL: Final = "new_information"

# ----------------------------------------------------------------------------- element ids
#: The end event of a contact that went to the allocated worker of an already open case (no MASH decision).
EXISTING_OPEN_CASE_CLOSURE: Final = "end_passed_to_allocated_worker"
#: An agency's check task is ``<agency>_check``, with underscores for hyphens (youth_justice_check).
AGENCY_CHECK_SUFFIX: Final = "_check"


def agency_of_check(element_id: str | None) -> str | None:
    """police_check -> police, youth_justice_check -> youth-justice; None for any other element."""
    if not element_id or not element_id.endswith(AGENCY_CHECK_SUFFIX):
        return None
    agency = element_id.removesuffix(AGENCY_CHECK_SUFFIX).replace("_", "-")
    return agency if agency in AGENCIES else None

# ----------------------------------------------------------------------------- several outcomes and sharing (#18)
#: The decision's other referrals besides its one primary ``outcome`` (never repeating it); each opens its own step.
ADDITIONAL_REFERRALS_FIELD: Final = "additional_referrals"
ADDITIONAL_REFERRAL_LABELS: dict[str, str] = {
    "marac": "Refer to MARAC",
    "lado": "Refer to the LADO",
    "adult-safeguarding": "Adult safeguarding concern",
    "early-help": "Early help for the family",
    "police-investigation": "Police investigation",
}
ADDITIONAL_REFERRALS: tuple[str, ...] = tuple(ADDITIONAL_REFERRAL_LABELS)
#: The sharing decision the decision maker records on the decision form; business support sends what it says.
#: A case decided before #18 has none of them on its decision, so its feedback step still asks for them.
RECIPIENTS_FIELD: Final = "information_product_recipients"
SHARING_DECISION_FIELDS: tuple[str, ...] = (
    RECIPIENTS_FIELD, "sharing_purpose", "sharing_consent", "sharing_consent_reason", "sharing_lawful_basis",
    "sharing_special_category_condition", "subject_informed", "subject_informed_reason", "dissemination_note")
#: How business support sent the product (feedback form); asked only when the decision sends it somewhere.
PRODUCT_SENT_METHOD_FIELD: Final = "product_sent_method"
#: The recipient code meaning "the product stays in the hub".
NOWHERE: Final = "none"

# ----------------------------------------------------------------------------- section 47 chain
# processes/strategy_discussion.bpmn after a strategy discussion that started a section 47 enquiry.
#: Case data ``s47_outcome`` (forms/s47_outcome.json): whether the enquiry needs an initial child protection
#: conference. The two "no-icpc" outcomes are the census's ICPCnotRequired.
ICPC_REQUIRED: Final = "icpc-required"
S47_OUTCOME_LABELS: dict[str, str] = {
    ICPC_REQUIRED: "Initial child protection conference needed",
    "no-icpc-concerns-substantiated": "No conference: concerns substantiated, no continuing risk of significant harm",
    "no-icpc-continue-s17": "No conference: concerns not substantiated, continue as a child in need",
}
CHILD_PROTECTION_PLAN: Final = "child-protection-plan"
#: What the conference decided: ``plan_outcome`` in the result variable ``icpc_held`` (forms/icpc_held.json).
PLAN_OUTCOME_LABELS: dict[str, str] = {
    CHILD_PROTECTION_PLAN: "Child protection plan",
    "child-in-need-plan": "Child in need plan",
    "no-further-action": "No further action",
}
S47_OUTCOME_FIELD: Final = "s47_outcome"
#: The conference record is kept under this one name so its ``held_on`` never overwrites the strategy
#: discussion's, from which the ICPC target counts.
ICPC_HELD_FIELD: Final = "icpc_held"
S47_OUTCOME_FORM: Final = "s47_outcome"
ICPC_HELD_FORM: Final = "icpc_held"
ASSESSMENT_OUTCOME_FORM: Final = "assessment_outcome"

# ----------------------------------------------------------------------------- adults at risk (issue 22)
# Set by the service when a contact about an adult at risk is received (app/intake/adults.py): the adult, the
# concern's codes, and the reference of the children's case the same contact started (None when it named no child).
# Not in SET_AT_CONTACT: a plain contact does not carry them, and no diagram reads them yet (a gateway that does must
# first be given them on every contact, as SET_AT_NOTIFICATION is).
ADULT_FIELD: Final = "adult_at_risk"
ADULT_ABUSE_KINDS_FIELD: Final = "adult_abuse_kinds"
ADULT_CHILDREN_CASE_FIELD: Final = "adult_children_case"
SET_AT_ADULT_CONTACT: tuple[str, ...] = (ADULT_FIELD, ADULT_ABUSE_KINDS_FIELD, ADULT_CHILDREN_CASE_FIELD)
