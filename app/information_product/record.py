"""The hub's information product of a decided case (DOMAIN.md 2.4), as plain data.

Both renderers (the page and the PDF) read this one object, so they cannot disagree about a fact.
It is the hub's own record, not what leaves the hub: every agency's findings are here, hub-only
ones marked as such, which is why only the hub's decision makers and oversight may read it. What
each recipient was actually sent is the per-recipient product stored with its dissemination record
(app/sharing/product.py).

Codes are turned into words here, from the forms of the process version the case ran on and
app/core/codes.py, so the renderers only lay out text.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.cases.models import AgencyReturn, Case, CompletedTask, RagChange, ReferrerFeedback, StrategyDiscussion
from app.concerns.chronology import KINDS, agency_label, case_chronology
from app.core.actor import PROCESS, Actor
from app.core.calendar import london
from app.core.clock import now
from app.core.codes import CHANNELS, PRESENTING_FACTORS
from app.core.roles import role_label
from app.core.vocabulary import (
    ADDITIONAL_REFERRAL_LABELS,
    ADDITIONAL_REFERRALS_FIELD,
    CONSENT_GIVEN,
    CONTACT_FORM,
    DECISION_FORM,
    FEEDBACK_FORM,
    MASH_REVIEW_FORM,
    OUTCOME_LABELS,
    PRODUCT_SENT_METHOD_FIELD,
    RAG_FIELD,
    SCREENING_FORM,
    STRATEGY_DISCUSSION_RECORD_FORM,
    STRATEGY_OUTCOME_FIELD,
    rag_movement,
)
from app.intake.models import Contact
from app.process_models.registry import compiled_by_id
from app.sharing.models import SharingDecision
from app.sharing.product import HUB_ONLY, ITEM_LABELS
from app.sharing.queries import sharing_labels

MARKING = "OFFICIAL-SENSITIVE"
HUB_ONLY_MARKING = "Not to be disclosed outside the hub without the owning agency's consent"
#: The product's sections in order; both renderers number and title them from here.
SECTIONS = ("Summary of the concern", "Chronology", "Agency findings", "Analysis", "RAG before and after",
            "Decision and rationale", "Dissemination record")


@dataclass(frozen=True)
class SubjectLine:
    role: str
    name: str
    date_of_birth: date | None


@dataclass(frozen=True)
class Summary:
    """What the referrer reported, in their words: kept apart from the hub's judgement."""

    referrer: str
    source: str
    channel: str
    received_at: datetime
    immediate_risk: bool
    concern: str
    consent: str
    subjects: tuple[SubjectLine, ...]


@dataclass(frozen=True)
class ChronologyLine:
    at: datetime
    kind: str
    reference: str
    summary: str
    agency: str | None
    this_case: bool
    restricted: bool


@dataclass(frozen=True)
class FindingBlock:
    """One agency's return."""

    agency: str
    requested_at: datetime | None
    due_at: datetime | None
    returned_at: datetime
    returned_by: str
    nothing_known: bool
    findings: str | None
    hub_only: bool
    restriction_note: str | None
    third_parties_to_protect: str | None

    @property
    def timeliness(self) -> str:
        if self.due_at is None:
            return "No deadline set"
        return "On time" if self.returned_at <= self.due_at else "Late"


@dataclass(frozen=True)
class Analysis:
    screening_rag: str | None
    screening_rationale: str | None
    screened_by: str | None
    screened_at: datetime | None
    presenting_factors: tuple[tuple[str, str], ...]
    review_analysis: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None


@dataclass(frozen=True)
class RagLine:
    at: datetime
    from_rag: str | None
    to_rag: str
    by: str
    step: str | None
    rationale: str


@dataclass(frozen=True)
class StrategyLine:
    held_on: date
    attendees: str
    outcome: str
    summary: str
    actions: str | None
    recorded_by: str


@dataclass(frozen=True)
class Decision:
    outcome: str
    decided_by: str
    decided_at: datetime | None
    rationale: str
    strategy_outcome: str | None
    strategy_discussions: tuple[StrategyLine, ...]
    #: The decision's other referrals besides its outcome (#18), in words.
    additional_referrals: tuple[str, ...] = ()


@dataclass(frozen=True)
class SharingLine:
    """One sharing decision for one recipient (or a decision to share nothing)."""

    stage: str
    recipient: str
    shared: bool
    purpose: str | None
    what_shared: str
    withheld: str
    lawful_basis: str
    consent: str
    reason_without_consent: str | None
    subject_informed: str | None
    decided_by: str
    decided_at: datetime
    #: Who carried the decision out, when and how (the product's dissemination: business support since #18).
    sent: str | None = None

    @property
    def when_and_who(self) -> str:
        return f"Decided by {self.decided_by}" + (f"; sent {self.sent}" if self.sent else "")


@dataclass(frozen=True)
class FeedbackLine:
    method: str
    sent_at: datetime
    sent_by: str
    summary: str


@dataclass(frozen=True)
class CaseRecord:
    """Everything the hub knew and decided about one contact, in the order of DOMAIN.md 2.4."""

    case_id: int
    reference: str
    prepared_at: datetime
    prepared_by: str
    status: str
    anonymised_at: datetime | None
    summary: Summary
    chronology: tuple[ChronologyLine, ...]
    findings: tuple[FindingBlock, ...]
    analysis: Analysis
    rag_initial: str | None
    rag_final: str | None
    rag_history: tuple[RagLine, ...]
    decision: Decision
    dissemination: tuple[SharingLine, ...]
    feedback: tuple[FeedbackLine, ...]

    @property
    def rag_movement(self) -> str:
        """Escalated, de-escalated or unchanged between screening and the end of the MASH."""
        return (rag_movement(self.rag_initial, self.rag_final) or "unchanged").capitalize()


def is_decided(case: Case) -> bool:
    """A product exists once the outcome is decided (the immediate-risk route decides it at intake)."""
    return case.outcome is not None


def case_record(session: Session, case: Case, actor: Actor) -> CaseRecord:
    """The product of a decided case, read in a handful of queries (one per kind of row)."""
    by_case = lambda model, order: list(session.scalars(select(model).where(model.case_id == case.id).order_by(*order)))  # noqa: E731
    contact = session.scalar(select(Contact).where(Contact.case_id == case.id))
    returns = by_case(AgencyReturn, (AgencyReturn.returned_at, AgencyReturn.id))
    rag_changes = by_case(RagChange, (RagChange.id,))
    completed = by_case(CompletedTask, (CompletedTask.completed_at,))
    tasks = [t for t in completed if t.form_key in (SCREENING_FORM, MASH_REVIEW_FORM)]
    decided = [t for t in completed if t.form_key == DECISION_FORM]
    additional = tuple(ADDITIONAL_REFERRAL_LABELS.get(code, code)
                       for code in (decided[-1].data.get(ADDITIONAL_REFERRALS_FIELD) or [] if decided else []))
    discussions = by_case(StrategyDiscussion, (StrategyDiscussion.id,))
    feedback = by_case(ReferrerFeedback, (ReferrerFeedback.id,))
    decisions = by_case(SharingDecision, (SharingDecision.decided_at, SharingDecision.id))
    usernames = {actor.username, case.decided_by, *(r.returned_by for r in returns),
                 *(c.changed_by for c in rag_changes), *(t.completed_by for t in tasks),
                 *(d.recorded_by for d in discussions), *(f.sent_by for f in feedback),
                 *(d.decided_by for d in decisions), *(d.sent_by for d in decisions)} - {None}
    names: dict[str, str] = dict(session.execute(select(User.username, User.display_name)
                                                 .where(User.username.in_(usernames))).all())

    def who(username: str | None) -> str:
        if username == PROCESS.username:
            return "The process (set by the diagram, not a person)"
        return "" if username is None else names.get(username, username)

    labels = _FormLabels(session, case)
    return CaseRecord(
        case_id=case.id, reference=case.reference or str(case.id), prepared_at=now(), prepared_by=who(actor.username),
        status=case.status, anonymised_at=case.anonymised_at,
        summary=_summary(case, contact, labels),
        chronology=tuple(ChronologyLine(at=e.at, kind=KINDS.get(e.kind, e.kind), reference=e.reference,
                                        summary=e.summary,
                                        agency=agency_label(e.agency) or None,
                                        this_case=e.case_id == case.id, restricted=e.restricted)
                         for e in case_chronology(session, case.id)),
        findings=tuple(FindingBlock(agency=role_label(r.agency), requested_at=r.requested_at, due_at=r.due_at,
                                    returned_at=r.returned_at, returned_by=who(r.returned_by),
                                    nothing_known=r.nothing_known, findings=r.findings,
                                    hub_only=r.handling_restriction == HUB_ONLY, restriction_note=r.restriction_note,
                                    third_parties_to_protect=r.third_parties_to_protect) for r in returns),
        analysis=_analysis(case, tasks, who),
        rag_initial=case.rag_initial, rag_final=case.rag,
        rag_history=tuple(RagLine(at=c.changed_at, from_rag=c.from_rag, to_rag=c.to_rag, by=who(c.changed_by),
                                  step=c.step, rationale=c.rationale) for c in rag_changes),
        decision=Decision(
            outcome=OUTCOME_LABELS.get(case.outcome or "", case.outcome or ""),
            decided_by=who(case.decided_by), decided_at=case.decided_at,
            rationale=case.outcome_rationale or "No rationale recorded (set by the immediate-risk route)",
            strategy_outcome=labels.strategy_outcome(case.strategy_outcome) if case.strategy_outcome else None,
            strategy_discussions=tuple(StrategyLine(
                held_on=d.held_on, attendees=", ".join(role_label(a) for a in d.attendees),
                outcome=labels.strategy_outcome(d.strategy_outcome), summary=d.summary, actions=d.actions,
                recorded_by=who(d.recorded_by)) for d in discussions),
            additional_referrals=additional),
        dissemination=tuple(_sharing_line(d, labels, {r.id: r.agency for r in returns}, who) for d in decisions),
        feedback=tuple(FeedbackLine(method=labels.option(FEEDBACK_FORM, "feedback_method", f.method), sent_at=f.sent_at,
                                    sent_by=who(f.sent_by), summary=f.summary) for f in feedback),
    )


class _FormLabels:
    """Words for codes, from the forms of the version the case runs on (a redrawn form keeps old words)."""

    def __init__(self, session: Session, case: Case) -> None:
        self.forms = compiled_by_id(session, case.process_version_id).forms
        self.sharing = sharing_labels(session, case)

    def option(self, form_key: str, field_path: str, value: str | None) -> str:
        form = self.forms.get(form_key)
        found = form.field(field_path) if form else None
        options = {o.value: o.label for o in found.options} if found else {}
        return "" if value is None else options.get(value, value)

    def strategy_outcome(self, value: str) -> str:
        return self.option(STRATEGY_DISCUSSION_RECORD_FORM, STRATEGY_OUTCOME_FIELD, value)


def _summary(case: Case, contact: Contact | None, labels: _FormLabels) -> Summary:
    subjects = tuple(SubjectLine(role=s.role.capitalize(), name=s.full_name, date_of_birth=s.date_of_birth)
                     for s in case.subjects)
    if contact is None:
        return Summary(referrer="Not recorded", source="Not recorded", channel="Not recorded",
                       received_at=case.received_at, immediate_risk=case.immediate_risk, concern="", consent="",
                       subjects=subjects)
    referrer = ", ".join(part for part in (contact.referrer_name, contact.referrer_role, contact.referrer_organisation)
                         if part)
    consent = contact.consent_status.replace("-", " ").capitalize()
    return Summary(
        referrer=referrer or "Anonymised",
        source=f"{labels.option(CONTACT_FORM, 'source', contact.source)} (DfE code {contact.source})",
        channel=CHANNELS.get(contact.channel, contact.channel), received_at=contact.received_at,
        immediate_risk=contact.immediate_risk, concern=contact.concern,
        consent=consent + (f": {contact.consent_reason}" if contact.consent_reason else ""), subjects=subjects)


def _analysis(case: Case, tasks: list[CompletedTask], who: Callable[[str | None], str]) -> Analysis:
    screening = next((t for t in reversed(tasks) if t.form_key == SCREENING_FORM), None)
    review = next((t for t in reversed(tasks) if t.form_key == MASH_REVIEW_FORM), None)
    return Analysis(
        screening_rag=screening.data.get(RAG_FIELD) if screening else None,
        screening_rationale=screening.data.get("rag_rationale") if screening else None,
        screened_by=who(screening.completed_by) if screening else None,
        screened_at=screening.completed_at if screening else None,
        presenting_factors=tuple((code, PRESENTING_FACTORS.get(code, code)) for code in case.presenting_factors or ()),
        review_analysis=review.data.get("analysis") if review else None,
        reviewed_by=who(review.completed_by) if review else None,
        reviewed_at=review.completed_at if review else None)


def _sharing_line(d: SharingDecision, labels: _FormLabels, return_agency: dict[int, str],
                  who: Callable[[str | None], str]) -> SharingLine:
    view = labels.sharing.view(d)

    def item_label(item: str) -> str:
        if item.startswith("agency-return:"):
            return f"{role_label(return_agency.get(int(item.split(':')[1]), 'agency'))} return"
        return ITEM_LABELS.get(item, item)

    withheld = "; ".join(f"{role_label(w.get('agency') or 'agency')} return "
                         f"({'marked for the hub only' if w.get('reason') == HUB_ONLY else w.get('reason')})"
                         for w in d.withheld or [])
    bases = " / ".join(b for b in (view.lawful_basis, view.condition) if b)
    if bases and d.law_enforcement_part3:
        bases += " (law enforcement, DPA 2018 Part 3)"
    informed = None if d.subject_informed is None else (
        "Yes" if d.subject_informed else f"No: {d.subject_informed_reason or 'no reason recorded'}")
    return SharingLine(
        stage="Agency checks" if d.stage == "screening" else "Information product",
        recipient=view.recipient or "Nobody", shared=d.decision == "share", purpose=view.purpose,
        what_shared=", ".join(item_label(i) for i in d.what_shared) or "Nothing",
        withheld=withheld or "Nothing",
        lawful_basis=bases or ("Consent given" if d.consent_status == CONSENT_GIVEN else "Not recorded"),
        consent=view.consent, reason_without_consent=d.reason_without_consent, subject_informed=informed,
        decided_by=who(d.decided_by), decided_at=d.decided_at, sent=_sent(d, labels, who))


def _sent(d: SharingDecision, labels: _FormLabels, who: Callable[[str | None], str]) -> str | None:
    """"<when> by <who> (<how>)" for a dissemination that was carried out; "not yet" while it waits."""
    if d.stage != "dissemination":
        return None
    if d.sent_at is None:
        return "not yet"
    how = labels.option(FEEDBACK_FORM, PRODUCT_SENT_METHOD_FIELD, d.sent_method) if d.sent_method else ""
    return f"{london(d.sent_at)} by {who(d.sent_by)}" + (f" ({how})" if how else "")
