"""The rows the management information is computed from: a handful of queries per report, never per case.

Each query is scoped the same way (contacts received in the period, with the chosen source agency, final
RAG and channel) and reads projection columns only: no workflow is deserialized. As the CIN census does, contacts
are dated by when they were received (the contact date) and referrals by their referral date (referral_date):
a contact received on the last day of a month and decided as a referral on the first of the next is a contact
of the one month and a referral of the other. The figures are then
pure functions over these rows (app/reports/figures.py), so a test can check each against a hand count.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session

from app.cases.models import AgencyReturn, Case, StrategyDiscussion, Subject
from app.core.codes import CHILD_ROLES, REFERRAL_OUTCOMES, contact_outcome
from app.core.db import UTCDateTime, hours_between
from app.core.sla import SlaConfig
from app.core.vocabulary import AGENCY_CHECK_FORM
from app.inbox.models import OpenTask
from app.intake.models import Contact
from app.people.clusters import roots_for
from app.process_models.registry import compiled_by_id
from app.reports.filters import ReportFilters

#: A referral's date: the referral date the decision recorded (case data ``referral_date``); for a referral decided
#: before the hub recorded one, the decision's time (when the decision made it a referral), else its receipt.
referral_date: ColumnElement[datetime] = func.coalesce(Case.referral_at, Case.decided_at, Case.received_at,
                                                       type_=UTCDateTime())


@dataclass(frozen=True)
class ContactRow:
    case_id: int
    reference: str | None
    received_at: datetime
    decided_at: datetime | None
    #: The referral date (referral_date) of a contact that became a referral; None for any other.
    referred_at: datetime | None
    closure: str | None
    status: str
    outcome: str | None
    rag_initial: str | None
    rag: str | None
    process_version_id: int
    source: str
    channel: str
    #: Empty unless read for the MI dataset.
    presenting_factors: tuple[str, ...]

    @property
    def census_outcome(self) -> str | None:
        return contact_outcome(self.outcome, self.closure)


@dataclass(frozen=True)
class CheckRow:
    """One agency check request: returned (with the hours it took and whether it beat its due time, both
    worked out by the database) or still open (with its due time)."""

    case_id: int
    agency: str
    returned: bool
    #: Hours from request to return; None while open or when the request time is unknown.
    hours_to_return: float | None
    #: Returned by the due time; None while open or when there was no due time.
    on_time: bool | None
    #: An open request's due time.
    due_at: datetime | None


@dataclass(frozen=True)
class ReferralRow:
    """A referral, dated by its referral date, and the children it was about (as person-cluster keys)."""

    case_id: int
    referred_at: datetime
    children: frozenset[str]


@dataclass(frozen=True)
class ChildRow:
    """The first child of a contact, for the MI dataset's age and gender (the date of birth stays here)."""

    case_id: int
    date_of_birth: date | None
    gender: str | None


@dataclass
class ReportRows:
    filters: ReportFilters
    contacts: list[ContactRow]
    #: case id -> the strategy discussion outcomes recorded for it.
    strategy: dict[int, list[str]]
    checks: list[CheckRow]
    #: Referrals dated from 12 months before the period on, any source (for re-referrals).
    referrals: list[ReferralRow]
    #: The referrals of the period, by referral date, with the chosen source agency, final RAG and channel.
    referred: list[int] = field(default_factory=list)
    sla: dict[int, SlaConfig] = field(default_factory=dict)


def scoped(stmt: Select, filters: ReportFilters, *, dated_by: ColumnElement[datetime] | None = None) -> Select:
    """Within the period by ``dated_by`` (the contact date unless told), with the chosen filters."""
    start, end = filters.instants()
    on = Case.received_at if dated_by is None else dated_by
    stmt = stmt.where(on >= start, on < end)
    if filters.sources is not None:
        stmt = stmt.where(Contact.source.in_(filters.sources))
    if filters.rag:
        stmt = stmt.where(Case.rag == filters.rag)
    if filters.channel:
        stmt = stmt.where(Contact.channel == filters.channel)
    return stmt


def contact_rows(session: Session, filters: ReportFilters, *, factors: bool = False) -> list[ContactRow]:
    """``factors``: also read the presenting factors. Only the MI dataset needs them, and on SQLite they sit
    after the serialized workflow in each case row, so reading them walks its overflow pages."""
    referred_at = case((Case.outcome.in_(REFERRAL_OUTCOMES), referral_date), else_=None)
    columns = [Case.id, Case.reference, Case.received_at, Case.decided_at, referred_at, Case.closure, Case.status,
               Case.outcome, Case.rag_initial, Case.rag, Case.process_version_id, Contact.source, Contact.channel]
    stmt = (select(*columns, *([Case.presenting_factors] if factors else []))
            .join(Contact, Contact.case_id == Case.id).order_by(Case.received_at, Case.id))
    return [ContactRow(*[*row[:13], tuple(row[13] or ()) if factors else ()])
            for row in session.execute(scoped(stmt, filters))]


def referred_in_period(session: Session, filters: ReportFilters) -> list[int]:
    """The referrals whose referral date falls in the period (the census's referrals in the year), whenever
    their contact was received."""
    stmt = (select(Case.id).join(Contact, Contact.case_id == Case.id)
            .where(Case.outcome.in_(REFERRAL_OUTCOMES)).order_by(referral_date, Case.id))
    return list(session.scalars(scoped(stmt, filters, dated_by=referral_date)))


def strategy_rows(session: Session, filters: ReportFilters) -> dict[int, list[str]]:
    stmt = (select(StrategyDiscussion.case_id, StrategyDiscussion.strategy_outcome)
            .join(Case, Case.id == StrategyDiscussion.case_id).join(Contact, Contact.case_id == Case.id)
            .order_by(StrategyDiscussion.id))
    found: dict[int, list[str]] = {}
    for case_id, outcome in session.execute(scoped(stmt, filters)):
        found.setdefault(case_id, []).append(outcome)
    return found


def check_rows(session: Session, filters: ReportFilters) -> list[CheckRow]:
    on_time = case((AgencyReturn.due_at.is_(None), None), (AgencyReturn.returned_at <= AgencyReturn.due_at, 1), else_=0)
    returned = (select(AgencyReturn.case_id, AgencyReturn.agency,
                       hours_between(AgencyReturn.requested_at, AgencyReturn.returned_at), on_time)
                .join(Case, Case.id == AgencyReturn.case_id).join(Contact, Contact.case_id == Case.id))
    waiting = (select(OpenTask.case_id, OpenTask.role, OpenTask.due_at)
               .join(Case, Case.id == OpenTask.case_id).join(Contact, Contact.case_id == Case.id)
               .where(OpenTask.form_key == AGENCY_CHECK_FORM))
    # SQLite's julianday is a double: 14.5 hours comes back as 14.49999999627. Millisecond timestamps need no
    # more than six decimals of an hour (3.6 ms).
    return ([CheckRow(case_id, agency, True, None if hours is None else round(hours, 6),
                      None if beat is None else bool(beat), None)
             for case_id, agency, hours, beat in session.execute(scoped(returned, filters))]
            + [CheckRow(case_id, agency, False, None, None, due_at)
               for case_id, agency, due_at in session.execute(scoped(waiting, filters))])


def year_before(day: datetime) -> datetime:
    """The same moment a year earlier (28 February for 29 February): the census's "within 12 months"."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def referral_rows(session: Session, filters: ReportFilters) -> list[ReferralRow]:
    """Every referral about a child dated from 12 months before the period on, whatever its source: a
    previous referral counts however it came in. No end: a contact of the period may become a referral after it.
    Children are person clusters (merged records are one child); a subject with no person record is only ever
    itself."""
    start, _end = filters.instants()
    stmt = (select(Case.id, referral_date, Subject.id, Subject.person_id)
            .join(Subject, Subject.case_id == Case.id)
            .where(Case.outcome.in_(REFERRAL_OUTCOMES), referral_date >= year_before(start),
                   Subject.role.in_(CHILD_ROLES)))
    rows = session.execute(stmt).all()
    roots = roots_for(session, {person_id for *_, person_id in rows if person_id is not None})
    children: dict[int, tuple[datetime, set[str]]] = {}
    for case_id, referred_at, subject_id, person_id in rows:
        key = f"person:{roots[person_id]}" if person_id is not None else f"subject:{subject_id}"
        children.setdefault(case_id, (referred_at, set()))[1].add(key)
    return [ReferralRow(case_id, referred_at, frozenset(keys)) for case_id, (referred_at, keys) in children.items()]


@dataclass(frozen=True)
class ReferralFacts:
    """A referral dated in the period, as Annex A list 3 reports it."""

    case_id: int
    referred_at: datetime
    source: str
    #: The strategy discussion outcomes recorded for it.
    strategy: tuple[str, ...]


def referral_facts(session: Session, filters: ReportFilters) -> dict[int, ReferralFacts]:
    """The referrals whose referral date falls in the period, with the chosen filters."""
    stmt = (select(Case.id, referral_date, Contact.source).join(Contact, Contact.case_id == Case.id)
            .where(Case.outcome.in_(REFERRAL_OUTCOMES)))
    rows = session.execute(scoped(stmt, filters, dated_by=referral_date)).all()
    strategy: dict[int, list[str]] = {}
    if rows:
        for case_id, outcome in session.execute(
                select(StrategyDiscussion.case_id, StrategyDiscussion.strategy_outcome)
                .where(StrategyDiscussion.case_id.in_([row[0] for row in rows])).order_by(StrategyDiscussion.id)):
            strategy.setdefault(case_id, []).append(outcome)
    return {case_id: ReferralFacts(case_id, referred_at, source, tuple(strategy.get(case_id, ())))
            for case_id, referred_at, source in rows}


def first_children(session: Session, filters: ReportFilters) -> dict[int, ChildRow]:
    """Each contact's first child subject (by position on the contact)."""
    stmt = (select(Subject.case_id, Subject.date_of_birth, Subject.gender)
            .join(Case, Case.id == Subject.case_id).join(Contact, Contact.case_id == Case.id)
            .where(Subject.role.in_(CHILD_ROLES)).order_by(Subject.case_id, Subject.position))
    found: dict[int, ChildRow] = {}
    for case_id, born, gender in session.execute(scoped(stmt, filters)):
        found.setdefault(case_id, ChildRow(case_id, born, gender))
    return found


def sla_configs(session: Session, version_ids: set[int]) -> dict[int, SlaConfig]:
    """The SLA policies each contact was worked to: those of the process version it started on."""
    return {version_id: compiled_by_id(session, version_id).sla for version_id in version_ids}


def report_rows(session: Session, filters: ReportFilters, *, factors: bool = False) -> ReportRows:
    contacts = contact_rows(session, filters, factors=factors)
    return ReportRows(filters=filters, contacts=contacts, strategy=strategy_rows(session, filters),
                      checks=check_rows(session, filters), referrals=referral_rows(session, filters),
                      referred=referred_in_period(session, filters),
                      sla=sla_configs(session, {c.process_version_id for c in contacts}))
