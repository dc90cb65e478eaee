"""Reads of the sharing record: a case's decisions, the facts a product is built from, and the report.

The report reads only codes, counts and flags: it is for managers, auditors and inspectors, some of
whom are not hub members, so no free text (which may name people) reaches it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Integer, Select, bindparam, distinct, func, select
from sqlalchemy.orm import Session

from app.cases.models import AgencyReturn, Case
from app.core.lawful_bases import LawfulBases, hub_lawful_bases
from app.core.memo import memo
from app.core.periods import day_starts
from app.core.roles import role_label
from app.core.vocabulary import CONSENT_FIELD, DECISION_FORM, FEEDBACK_FORM, RECIPIENTS_FIELD, SCREENING_FORM
from app.intake.models import Contact
from app.process_models.registry import compiled_by_id
from app.sharing.models import SharingDecision
from app.sharing.product import CaseFacts, ReturnFacts, SubjectFacts


@dataclass(frozen=True)
class SharingFilters:
    """Which decisions a report covers; dates are the hub's (London) calendar days, both inclusive."""

    date_from: date | None = None
    date_to: date | None = None
    stage: str | None = None
    consent: str | None = None
    lawful_basis: str | None = None
    case_id: int | None = None

    def as_args(self) -> dict[str, str]:
        """The filters as query arguments (for links such as the CSV download)."""
        args = {"from": self.date_from.isoformat() if self.date_from else None,
                "to": self.date_to.isoformat() if self.date_to else None,
                "stage": self.stage, "consent": self.consent, "lawful_basis": self.lawful_basis,
                "case_id": str(self.case_id) if self.case_id else None}
        return {key: value for key, value in args.items() if value}


@dataclass(frozen=True)
class ReportRow:
    decision: SharingDecision
    reference: str


@dataclass
class SharingReport:
    rows: list[ReportRow]
    by_lawful_basis: list[tuple[str | None, int, int]] = field(default_factory=list)
    by_consent: list[tuple[str, int, int]] = field(default_factory=list)
    total_records: int = 0
    total_decisions: int = 0


def case_facts(session: Session, case: Case) -> CaseFacts:
    """What the information product is built from, read at the moment of dissemination."""
    contact = session.scalar(select(Contact).where(Contact.case_id == case.id))
    returns = session.scalars(select(AgencyReturn).where(AgencyReturn.case_id == case.id).order_by(AgencyReturn.id))
    return CaseFacts(
        reference=case.reference or str(case.id), received_at=case.received_at,
        source=contact.source if contact else "", concern=contact.concern if contact else "",
        immediate_risk=bool(contact.immediate_risk) if contact else bool(case.immediate_risk),
        subjects=[SubjectFacts(role=s.role, given_name=s.given_name, family_name=s.family_name,
                               date_of_birth=s.date_of_birth, address=s.address) for s in case.subjects],
        rag=case.rag, outcome=case.outcome, outcome_rationale=case.outcome_rationale,
        strategy_outcome=case.strategy_outcome,
        returns=[ReturnFacts(id=r.id, agency=r.agency, nothing_known=r.nothing_known, findings=r.findings,
                             handling_restriction=r.handling_restriction,
                             third_parties_to_protect=r.third_parties_to_protect, returned_at=r.returned_at)
                 for r in returns])


@dataclass(frozen=True)
class DecisionView:
    """A decision with its codes in words, as the case's own forms and the hub's list word them."""

    record: SharingDecision
    recipient: str | None
    purpose: str | None
    consent: str
    lawful_basis: str | None
    condition: str | None


@dataclass(frozen=True)
class SharingLabels:
    recipients: dict[str, str]
    purposes: dict[str, str]
    consent: dict[str, str]
    bases: LawfulBases

    def view(self, d: SharingDecision) -> DecisionView:
        return DecisionView(
            record=d, recipient=self.recipient(d.recipient),
            purpose=self.purposes.get(d.purpose, d.purpose) if d.purpose is not None else None,
            consent=self.consent.get(d.consent_status, d.consent_status),
            lawful_basis=self.bases.label(d.lawful_basis_art6) if d.lawful_basis_art6 else None,
            condition=self.bases.label(d.condition_art9) if d.condition_art9 else None)

    def recipient(self, code: str | None) -> str | None:
        return self.recipients.get(code, role_label(code)) if code else None


def sharing_labels(session: Session, case: Case) -> SharingLabels:
    """Labels from the forms of the version the case runs on (a redrawn form keeps its old cases' words)."""
    forms = compiled_by_id(session, case.process_version_id).forms

    def options(form_key: str, field_path: str) -> dict[str, str]:
        form = forms.get(form_key)
        found = form.field(field_path) if form else None
        return {o.value: o.label for o in found.options} if found else {}

    consent = options(SCREENING_FORM, CONSENT_FIELD) or {"given": "Given", "refused": "Refused",
                                                         "not-sought": "Not sought"}
    # The decision form asks these since #18; a version from before asked them at feedback.
    def either(field_path: str) -> dict[str, str]:
        return options(DECISION_FORM, field_path) or options(FEEDBACK_FORM, field_path)

    return SharingLabels(recipients=either(RECIPIENTS_FIELD), purposes=either("sharing_purpose"), consent=consent,
                         bases=hub_lawful_bases())


def decisions_for_case(session: Session, case_id: int) -> list[SharingDecision]:
    return list(session.scalars(_DECISIONS_FOR_CASE, {"case_id": case_id}))


#: Built once: every case page reads its sharing record.
_DECISIONS_FOR_CASE = (select(SharingDecision).where(SharingDecision.case_id == bindparam("case_id", type_=Integer))
                       .order_by(SharingDecision.decided_at, SharingDecision.id))


def decided_not_sent(session: Session, case_id: int) -> list[SharingDecision]:
    """The decision maker's latest sharing decision on the product while it waits to be sent (its rows), or [].

    A decision made again (reopened) supersedes an earlier one not yet sent: only the latest is sent, the
    earlier stays on the record as decided and never sent. Read once per transaction (the feedback step's form,
    then its recording, ask); app.sharing.operations forgets it when it stores a decision."""
    known = memo(session, LATEST_DISSEMINATION)
    if case_id not in known:
        rows = list(session.scalars(select(SharingDecision).where(
            SharingDecision.case_id == case_id, SharingDecision.stage == "dissemination")
            .order_by(SharingDecision.decided_at, SharingDecision.id)))
        known[case_id] = [row for row in rows if row.task_id == rows[-1].task_id] if rows else []
    latest: list[SharingDecision] = known[case_id]
    return list(latest) if all(row.sent_at is None for row in latest) else []


#: app.core.memo: case id -> the rows of its latest dissemination decision.
LATEST_DISSEMINATION = "latest_dissemination"


@dataclass(frozen=True)
class DecisionGroup:
    """One step's decision: its recipients share the consent position, bases and reasons."""

    views: tuple[DecisionView, ...]

    @property
    def first(self) -> DecisionView:
        return self.views[0]

    @property
    def shares(self) -> tuple[DecisionView, ...]:
        return tuple(v for v in self.views if v.record.decision == "share")


def case_sharing_decisions(session: Session, case: Case) -> list[DecisionGroup]:
    """The case's sharing record for its page, one group per step, oldest first."""
    decisions = decisions_for_case(session, case.id)
    if not decisions:
        return []
    labels = sharing_labels(session, case)
    groups: dict[str, list[DecisionView]] = {}
    for decision in decisions:
        groups.setdefault(decision.task_id, []).append(labels.view(decision))
    return [DecisionGroup(tuple(views)) for views in groups.values()]


def product_record(session: Session, case_id: int, decision_id: int) -> SharingDecision | None:
    """A dissemination record that sent a product, if it belongs to this case."""
    decision = session.get(SharingDecision, decision_id)
    if decision is None or decision.case_id != case_id or decision.product is None:
        return None
    return decision


def _filtered(query: Select, filters: SharingFilters) -> Select:
    start, end = day_starts(filters.date_from, filters.date_to)
    if start:
        query = query.where(SharingDecision.decided_at >= start)
    if end:
        query = query.where(SharingDecision.decided_at < end)
    if filters.stage:
        query = query.where(SharingDecision.stage == filters.stage)
    if filters.consent:
        query = query.where(SharingDecision.consent_status == filters.consent)
    if filters.lawful_basis:
        query = query.where((SharingDecision.lawful_basis_art6 == filters.lawful_basis)
                            | (SharingDecision.condition_art9 == filters.lawful_basis))
    if filters.case_id:
        query = query.where(SharingDecision.case_id == filters.case_id)
    return query


def report_rows(session: Session, filters: SharingFilters, limit: int | None = None) -> list[ReportRow]:
    query = _filtered(select(SharingDecision, Case.reference).join(Case, Case.id == SharingDecision.case_id), filters)
    query = query.order_by(SharingDecision.decided_at.desc(), SharingDecision.id.desc())
    if limit:
        query = query.limit(limit)
    return [ReportRow(decision, reference or str(decision.case_id)) for decision, reference in session.execute(query)]


def sharing_report(session: Session, filters: SharingFilters, limit: int = 500) -> SharingReport:
    """The listed decisions (newest first, up to ``limit``) and counts over every matching record.

    A record is one recipient; a decision is one completed step, however many recipients it had.
    """
    def counts(column) -> list:
        query = _filtered(select(column, func.count(), func.count(distinct(SharingDecision.task_id))), filters)
        return [tuple(row) for row in session.execute(query.group_by(column).order_by(func.count().desc(), column))]

    totals = session.execute(_filtered(select(func.count(), func.count(distinct(SharingDecision.task_id))),
                                       filters)).one()
    return SharingReport(rows=report_rows(session, filters, limit),
                         by_lawful_basis=counts(SharingDecision.lawful_basis_art6),
                         by_consent=counts(SharingDecision.consent_status),
                         total_records=totals[0], total_decisions=totals[1])
