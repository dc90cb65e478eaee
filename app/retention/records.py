"""The case records that hold free text about people: the one list anonymisation and subject access read.

A feature that adds a table of case rows with free text adds one line to CASE_RECORDS; anonymisation
then blanks those columns and the subject access export includes the rows. Contact, Subject and
CompletedTask are not listed: each needs its own rule (see anonymise.py and subject_access.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from app.adults.models import AdultSafeguarding
from app.cases.models import AgencyReturn, RagChange, ReferrerFeedback, StrategyDiscussion
from app.core.db import Base
from app.disagreements.models import ProfessionalDisagreement
from app.domestic_abuse.models import DomesticAbuseChild, DomesticAbuseNotification
from app.incidents.models import Incident
from app.marac.models import EncompassNotification, MaracAction, MaracReferral
from app.missing.models import MissingEpisode
from app.need_to_know.models import BreakGlassAccess
from app.notifications.models import Notification
from app.sharing.models import SharingDecision

#: The models whose rows are a case's records (each has ``id`` and ``case_id``).
CaseRecordModel: TypeAlias = (
    "type[RagChange] | type[AgencyReturn] | type[StrategyDiscussion] | type[ReferrerFeedback] | type[Incident]"
    " | type[SharingDecision] | type[BreakGlassAccess] | type[ProfessionalDisagreement] | type[Notification]"
    " | type[DomesticAbuseNotification] | type[DomesticAbuseChild]"
    " | type[EncompassNotification] | type[MaracReferral] | type[MaracAction]"
    " | type[AdultSafeguarding] | type[MissingEpisode]")


@dataclass(frozen=True)
class CaseRecord:
    """Rows of one table keyed by ``case_id``. ``name`` keys the export and the anonymisation counts."""

    name: str
    model: CaseRecordModel
    free_text: tuple[str, ...]
    #: False for the hub's own operational rows (incidents): held answers reach the case records once retried.
    in_subject_access: bool = True


CASE_RECORDS: tuple[CaseRecord, ...] = (
    CaseRecord("rag_history", RagChange, ("rationale",)),
    CaseRecord("agency_returns", AgencyReturn, ("findings", "restriction_note", "third_parties_to_protect")),
    CaseRecord("strategy_discussions", StrategyDiscussion, ("summary", "actions")),
    CaseRecord("referrer_feedback", ReferrerFeedback, ("summary", "dissemination_note")),
    # An incident holds the engine's message and, for a task, the answers given at that step.
    CaseRecord("incidents", Incident, ("error", "submission"), in_subject_access=False),
    # The information product is kept whole as it left the hub, so it goes with the free text; the codes
    # (recipient, purpose, lawful basis, consent, what was shared or withheld) stay for reports.
    CaseRecord("sharing_decisions", SharingDecision, ("reason_without_consent", "subject_informed_reason", "product")),
    # Why someone not involved opened the case (need to know): their own words may name the family.
    CaseRecord("break_glass_access", BreakGlassAccess, ("explanation",)),
    # A professional disagreement: the disputing party's view and the operations manager's reasons name the family.
    CaseRecord("professional_disagreements", ProfessionalDisagreement,
               ("view", "resolution_rationale", "changed_to", "escalated_to")),
    # Messages about the case (app/notifications): the address they went to, and the text and Notify fields,
    # which name the child when the address was a secure one.
    CaseRecord("notifications", Notification, ("to_address", "body", "fields")),
    # A police domestic abuse notification (app/domestic_abuse): the incident, the officer, the victim and the alleged
    # perpetrator, and the triage's reason name people; the risk level, the DASH answers (codes) and the decisions stay.
    CaseRecord("domestic_abuse_notifications", DomesticAbuseNotification, (
        "incident_location", "officer_name", "officer_number", "victim_given_name", "victim_family_name",
        "victim_date_of_birth", "victim_nhs_number", "perpetrator_given_name", "perpetrator_family_name",
        "perpetrator_date_of_birth", "perpetrator_nhs_number", "triage_reason")),
    # ... and the children it names, with their schools (a school names where a child is).
    CaseRecord("domestic_abuse_children", DomesticAbuseChild, ("given_name", "family_name", "date_of_birth", "school")),
    # Operation Encompass and MARAC (app/marac): the safeguarding lead told and what the school said; the
    # referral's note and the MARAC's actions for the family. Schools, times, agencies and dates stay for MI.
    CaseRecord("encompass_notifications", EncompassNotification, ("dsl_name", "told_note")),
    CaseRecord("marac_referrals", MaracReferral, ("referral_note",)),
    CaseRecord("marac_actions", MaracAction, ("action",)),
    # Adults at risk (app/adults): the adult's needs, the reasons, capacity and best-interests reasoning, their wishes,
    # the enquiry's actions. The codes (kinds of abuse, consent, capacity, decision, results) stay for the SAC return.
    CaseRecord("adult_safeguarding", AdultSafeguarding, (
        "care_needs", "consent_reason", "capacity_note", "desired_outcomes", "override_reason",
        "best_interests_decision", "best_interests_consulted", "best_interests_by", "decision_rationale",
        "actions_taken")),
    # A missing episode (app/missing): the child, their address, where they were found, the officer and the return
    # home interview's workers and words, and the link to the child's record; the dates, the risk grading, the
    # interview's offer, acceptance and holding and the indicator codes stay for the MI.
    CaseRecord("missing_episodes", MissingEpisode, (
        "person_id", "police_reference", "officer_name", "given_name", "family_name", "date_of_birth", "nhs_number",
        "address", "found_where", "interview_offered_by", "interview_held_by", "push_factors", "pull_factors",
        "interview_summary", "strategy_reason")),
    # A feature adding a table of case rows with free text adds its line here.
)


def blank_value(model: type[Base], column: str) -> str | None:
    """What a removed value becomes: NULL where the column allows it, else an empty string."""
    return None if model.__table__.c[column].nullable else ""
