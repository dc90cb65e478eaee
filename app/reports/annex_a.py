"""Ofsted ILACS Annex A list 1 (contacts) and list 3 (referrals), from the same rows as the reports.

As in the CIN census, list 1 holds the contacts received in the period, dated by their contact date, and list 3
the referrals whose referral date falls in the period (when the decision made the contact a referral), whenever
their contact came in.

Column headings and category values are the Annex A template's (DOMAIN.md 7; codes in app/core/codes.py), so
a performance analyst can paste the file into the return. One row per child per contact. The child's id is
the person index's: merged records are one child ("P" and the person id), and a child with no person record
stands for itself ("S" and the subject id). Ethnicity is not asked at the front door, so it is "not yet
obtained" unless the person index holds it. "Allocated Team" and "Allocated Worker" stay blank: the hub
decides, and the team that receives the referral allocates it.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cases.models import Case, Subject
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
    scoped,
    year_before,
)

CHILD_COLUMNS = ("Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)")
LIST_1_COLUMNS = (*CHILD_COLUMNS, "Date of Contact", "Contact Source")
LIST_3_COLUMNS = (*CHILD_COLUMNS, "Date of referral", "Referral Source", "Referral NFA?",
                  "Number of Referrals in Last 12 Months", "Allocated Team", "Allocated Worker")
LISTS = {1: LIST_1_COLUMNS, 3: LIST_3_COLUMNS}


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
    """List 1 (every child on every contact received in the period) or list 3 (every child on a referral dated
    in the period)."""
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


def csv_text(number: int, rows: Sequence[Sequence[object]]) -> str:
    return write_csv(LISTS[number], rows)
