"""Ofsted ILACS Annex A list 1 (contacts), list 3 (referrals), list 4 (assessments) and list 5 (section 47
enquiries and ICPCs), from the same rows as the reports.

As in the CIN census, list 1 holds the contacts received in the period, dated by their contact date, and list 3
the referrals whose referral date falls in the period (when the decision made the contact a referral), whenever
their contact came in.

Column headings and category values are the Annex A template's (DOMAIN.md 7; codes in app/core/codes.py), so
a performance analyst can paste the file into the return. One row per child per contact. The child's id is
the person index's: merged records are one child ("P" and the person id), and a child with no person record
stands for itself ("S" and the subject id). Ethnicity is not asked at the front door, so it is "not yet
obtained" unless the person index holds it. "Allocated Team" and "Allocated Worker" stay blank: the hub
decides, and the team that receives the referral allocates it.

Lists 4 and 5 read the social worker's records after the front door: the assessment outcome, the strategy
discussion that started a section 47 enquiry, the enquiry's outcome and the conference record. An ICPC counts
as held only from "Record the ICPC held", never from its booking. Disability is not asked, so it is "Unknown".
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cases.models import Case, CompletedTask, StrategyDiscussion, Subject
from app.core.calendar import LONDON
from app.core.codes import (
    ANNEX_A_ETHNICITIES,
    ANNEX_A_ETHNICITY_UNKNOWN,
    ANNEX_A_GENDER_UNKNOWN,
    ANNEX_A_GENDERS,
    ANNEX_A_SOURCES,
    CHILD_ROLES,
    REFERRAL_OUTCOMES,
)
from app.core.csv_export import csv_text as write_csv
from app.core.vocabulary import (
    ASSESSMENT_OUTCOME_FORM,
    CHILD_PROTECTION_PLAN,
    ICPC_HELD_FORM,
    ICPC_REQUIRED,
    S47_OUTCOME_FORM,
    SECTION_47_OUTCOMES,
)
from app.intake.models import Contact
from app.people.clusters import roots_for
from app.people.models import Person
from app.reports.dataset import age_on
from app.reports.filters import ReportFilters
from app.reports.queries import (
    ReferralRow,
    contact_rows,
    referral_date,
    referral_facts,
    referral_rows,
    report_rows,
    scoped,
    year_before,
)

CHILD_COLUMNS = ("Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)")
LIST_1_COLUMNS = (*CHILD_COLUMNS, "Date of Contact", "Contact Source")
LIST_3_COLUMNS = (*CHILD_COLUMNS, "Date of referral", "Referral Source", "Referral NFA?",
                  "Number of Referrals in Last 12 Months", "Allocated Team", "Allocated Worker")
DISABILITY_COLUMN = "Does the Child have a Disability"
LIST_4_COLUMNS = (*CHILD_COLUMNS, DISABILITY_COLUMN, "Continuous Assessment Start Date",
                  "Child Seen During Continuous Assessment", "Continuous Assessment Date of Authorisation",
                  "Was the child assessed as requiring LA children's social care support?", "Allocated Team",
                  "Allocated Worker")
LIST_5_COLUMNS = (*CHILD_COLUMNS, DISABILITY_COLUMN, "Strategy discussion initiating Section 47 Enquiry Start Date",
                  "Was an Initial Child Protection Conference deemed unnecessary?",
                  "Date of Initial Child Protection Conference",
                  "Did the Initial Child Protection Conference Result in a Child Protection Plan",
                  "Number of Section 47 Enquiries in the last 12 months", "Number of ICPCs in the last 12 months",
                  "Allocated Team", "Allocated Worker")
LISTS = {1: LIST_1_COLUMNS, 3: LIST_3_COLUMNS, 4: LIST_4_COLUMNS, 5: LIST_5_COLUMNS}
YES, NO, UNKNOWN = "a) Yes", "b) No", "c) Unknown"
#: Assessment outcomes (forms/assessment_outcome.json) after which the child needs children's social care support.
NEEDS_SUPPORT = frozenset({"child-in-need-plan", "child-protection-conference", "looked-after"})


@dataclass(frozen=True)
class ChildOnContact:
    case_id: int
    key: str  # the re-referral key: "person:<root>" or "subject:<id>"
    child_id: str
    date_of_birth: date | None
    gender: str | None
    ethnicity: str | None


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(LONDON).date()
    return value.strftime("%d/%m/%Y")


def children_on_contacts(session: Session, filters: ReportFilters, *,
                         referrals: bool = False) -> list[ChildOnContact]:
    """The children on the contacts received in the period; ``referrals``: on the referrals dated in it."""
    stmt = (select(Subject.case_id, Subject.id, Subject.person_id, Subject.date_of_birth, Subject.gender)
            .join(Case, Case.id == Subject.case_id).join(Contact, Contact.case_id == Case.id)
            .where(Subject.role.in_(CHILD_ROLES)))
    if referrals:
        stmt = scoped(stmt.where(Case.outcome.in_(REFERRAL_OUTCOMES))
                      .order_by(referral_date, Case.id, Subject.position), filters, dated_by=referral_date)
    else:
        stmt = scoped(stmt.order_by(Case.received_at, Case.id, Subject.position), filters)
    rows = session.execute(stmt).all()
    roots = roots_for(session, {row.person_id for row in rows if row.person_id is not None})
    ethnicity = dict(session.execute(select(Person.id, Person.ethnicity)
                                     .where(Person.id.in_(set(roots.values())), Person.ethnicity.is_not(None))).all()) \
        if roots else {}
    found = []
    for case_id, subject_id, person_id, born, gender in rows:
        root = roots.get(person_id) if person_id is not None else None
        found.append(ChildOnContact(case_id, f"person:{root}" if root else f"subject:{subject_id}",
                                    f"P{root}" if root else f"S{subject_id}", born, gender,
                                    ethnicity.get(root) if root is not None else None))
    return found


def _child_cells(child: ChildOnContact, on: datetime) -> list[object]:
    age = age_on(child.date_of_birth, on.astimezone(LONDON).date())
    return [child.child_id, ANNEX_A_GENDERS.get(child.gender or "", ANNEX_A_GENDER_UNKNOWN),
            ANNEX_A_ETHNICITIES.get(child.ethnicity or "", ANNEX_A_ETHNICITY_UNKNOWN), _day(child.date_of_birth),
            "" if age is None else age]


def _earlier_referrals(child: str, this: ReferralRow | None, by_child: dict[str, list[ReferralRow]]) -> int:
    if this is None:
        return 0
    since = year_before(this.referred_at)
    return sum(1 for r in by_child.get(child, ()) if since <= r.referred_at
               and (r.referred_at, r.case_id) < (this.referred_at, this.case_id))


def annex_a_rows(session: Session, filters: ReportFilters, number: int) -> list[list[object]]:
    """List 1 (every child on every contact received in the period), list 3 (every child on a referral dated in
    the period), list 4 (every child on a contact that led to an assessment) or list 5 (every child on a section 47
    enquiry)."""
    if number == 4:
        return _assessment_rows(session, filters)
    if number == 5:
        return _section_47_rows(session, filters)
    if number == 1:
        return _list_1(session, filters)
    return _list_3(session, filters)


def _list_1(session: Session, filters: ReportFilters) -> list[list[object]]:
    contacts = {c.case_id: c for c in contact_rows(session, filters)}
    return [[*_child_cells(child, contacts[child.case_id].received_at), _day(contacts[child.case_id].received_at),
             ANNEX_A_SOURCES.get(contacts[child.case_id].source, "")]
            for child in children_on_contacts(session, filters)]


def _list_3(session: Session, filters: ReportFilters) -> list[list[object]]:
    facts = referral_facts(session, filters)
    referrals = {r.case_id: r for r in referral_rows(session, filters)}
    by_child: dict[str, list[ReferralRow]] = {}
    for referral in referrals.values():
        for key in referral.children:
            by_child.setdefault(key, []).append(referral)
    found = []
    for child in children_on_contacts(session, filters, referrals=True):
        this = facts[child.case_id]
        # The referral ended at its strategy discussion with no further action: the census's ReferralNFA.
        nfa = this.strategy == ("nfa",)
        found.append([*_child_cells(child, this.referred_at), _day(this.referred_at),
                      ANNEX_A_SOURCES.get(this.source, ""), "a) Yes" if nfa else "b) No",
                      _earlier_referrals(child.key, referrals.get(child.case_id), by_child), "", ""])
    return found


def _submitted(session: Session, case_ids: set[int], form_key: str) -> dict[int, dict]:
    """The first submission of a form on each case (the whole form as saved, kept in CompletedTask)."""
    if not case_ids:
        return {}
    found: dict[int, dict] = {}
    for case_id, data in session.execute(select(CompletedTask.case_id, CompletedTask.data)
                                         .where(CompletedTask.case_id.in_(case_ids), CompletedTask.form_key == form_key)
                                         .order_by(CompletedTask.completed_at)):
        found.setdefault(case_id, data or {})
    return found


def _iso_day(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _assessment_rows(session: Session, filters: ReportFilters) -> list[list[object]]:
    """List 4: the assessment that follows a referral for s17, or a strategy discussion that did not end in no
    further action. It starts at the referral (the decision); its authorisation is the recorded conclusion."""
    rows = report_rows(session, filters)
    contacts = {c.case_id: c for c in rows.contacts}
    assessed = {case_id for case_id, contact in contacts.items()
                if contact.outcome == "s17-assessment"
                or (contact.outcome == "strategy-discussion" and rows.strategy.get(case_id)
                    and rows.strategy[case_id][-1] != "nfa")}
    outcomes = _submitted(session, assessed, ASSESSMENT_OUTCOME_FORM)
    found = []
    for child in children_on_contacts(session, filters):
        if child.case_id not in assessed:
            continue
        contact, outcome = contacts[child.case_id], outcomes.get(child.case_id)
        support = "" if outcome is None else (YES if outcome.get("assessment_outcome") in NEEDS_SUPPORT else NO)
        found.append([*_child_cells(child, contact.received_at), UNKNOWN,
                      _day(contact.decided_at or contact.received_at), UNKNOWN,
                      _day(_iso_day(outcome.get("concluded_on"))) if outcome else "", support, "", ""])
    return found


@dataclass(frozen=True)
class _Enquiry:
    case_id: int
    started_on: date
    icpc_held_on: date | None


def _section_47_rows(session: Session, filters: ReportFilters) -> list[list[object]]:
    """List 5: one row per child per section 47 enquiry started in a contact of the period, with the counts of
    the child's enquiries and conferences in the 12 months before it (any contact, as list 3 counts referrals)."""
    rows = report_rows(session, filters)
    contacts = {c.case_id: c for c in rows.contacts}
    children_of = {r.case_id: r.children for r in rows.referrals}
    started: dict[int, date] = {}
    for case_id, held_on in session.execute(
            select(StrategyDiscussion.case_id, StrategyDiscussion.held_on)
            .where(StrategyDiscussion.case_id.in_(set(children_of) | set(contacts)),
                   StrategyDiscussion.strategy_outcome.in_(SECTION_47_OUTCOMES))
            .order_by(StrategyDiscussion.held_on, StrategyDiscussion.id)):
        started.setdefault(case_id, held_on)
    outcomes = _submitted(session, set(started), S47_OUTCOME_FORM)
    conferences = _submitted(session, set(started), ICPC_HELD_FORM)
    enquiries = {case_id: _Enquiry(case_id, day, _iso_day(conferences.get(case_id, {}).get("held_on")))
                 for case_id, day in started.items()}
    by_child: dict[str, list[_Enquiry]] = {}
    for case_id, each in enquiries.items():
        for key in children_of.get(case_id, ()):
            by_child.setdefault(key, []).append(each)
    found = []
    for child in children_on_contacts(session, filters):
        enquiry = enquiries.get(child.case_id)
        if enquiry is None:
            continue
        outcome = outcomes.get(child.case_id, {}).get("s47_outcome")
        unnecessary = "" if outcome is None else (NO if outcome == ICPC_REQUIRED else YES)
        conference = conferences.get(child.case_id)
        plan = "" if conference is None else (YES if conference.get("plan_outcome") == CHILD_PROTECTION_PLAN else NO)
        this = (enquiry.started_on, enquiry.case_id)
        earlier = [e for e in by_child.get(child.key, ()) if (e.started_on, e.case_id) < this]
        since = _year_before_day(enquiry.started_on)
        found.append([*_child_cells(child, contacts[child.case_id].received_at), UNKNOWN, _day(enquiry.started_on),
                      unnecessary, _day(enquiry.icpc_held_on), plan,
                      sum(1 for e in earlier if since <= e.started_on <= enquiry.started_on),
                      sum(1 for e in earlier if e.icpc_held_on is not None and since <= e.icpc_held_on
                          <= enquiry.started_on),
                      "", ""])
    return found


def _year_before_day(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def csv_text(number: int, rows: Sequence[Sequence[object]]) -> str:
    return write_csv(LISTS[number], rows)
