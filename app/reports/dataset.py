"""The row-level MI dataset: one row per contact received in the period (by contact date), with the fields of the
Camden MASH dataset (source, presenting issue, RAG before and after, outcome, time taken), the census flags and,
for a contact that became a referral, its referral date (which may fall after the period).

Codes, times and flags only: no names, dates of birth, addresses or free text. The child's age at the contact is
worked out here and the date of birth goes no further. JSON for the API, CSV for the page and the API.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from app.core.calendar import LONDON
from app.core.codes import OUTCOMES, SOURCE_LABELS, is_referral, source_agency
from app.core.csv_export import csv_text as write_csv
from app.core.vocabulary import is_section_47, rag_movement
from app.reports.figures import DecisionClock, previous_referrals
from app.reports.filters import ReportFilters
from app.reports.queries import first_children, report_rows

#: Columns in order; the JSON keys are the same.
COLUMNS = (
    "contact_id", "reference", "received_at", "source_code", "source_label", "source_agency", "channel",
    "presenting_factors", "rag_before", "rag_after", "rag_movement", "outcome", "outcome_label", "ssd_outcome_flag",
    "decided_at", "hours_to_decision", "working_hours_to_decision", "within_timescale", "referral",
    "referral_date", "re_referral_within_12_months", "referrals_in_last_12_months", "strategy_discussion", "section_47",
    "child_age_at_contact", "child_gender",
)


def age_on(born: date | None, day: date) -> int | None:
    """Age in whole years on ``day``; None when unknown, or when the date of birth is after it (an unborn child's
    expected date, or a date typed wrong): the dataset never reports a negative age."""
    if born is None or born > day:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def mi_dataset(session: Session, filters: ReportFilters) -> list[dict]:
    rows = report_rows(session, filters, factors=True)
    children = first_children(session, filters)
    previous = previous_referrals([c.case_id for c in rows.contacts if is_referral(c.outcome)], rows.referrals)
    clock = DecisionClock(rows.sla)
    found = []
    for contact in rows.contacts:
        outcome = contact.census_outcome
        codes = OUTCOMES.get(outcome or "")
        timing = clock.timing(contact)
        child = children.get(contact.case_id)
        referral = is_referral(contact.outcome)
        strategy = rows.strategy.get(contact.case_id, [])
        found.append({
            "contact_id": contact.case_id, "reference": contact.reference,
            "received_at": contact.received_at.isoformat(), "source_code": contact.source,
            "source_label": SOURCE_LABELS.get(contact.source), "source_agency": source_agency(contact.source),
            "channel": contact.channel, "presenting_factors": list(contact.presenting_factors),
            "rag_before": contact.rag_initial, "rag_after": contact.rag,
            "rag_movement": rag_movement(contact.rag_initial, contact.rag),
            "outcome": outcome, "outcome_label": codes.label if codes else None,
            "ssd_outcome_flag": codes.ssd_flag if codes else None,
            "decided_at": contact.decided_at.isoformat() if contact.decided_at else None,
            "hours_to_decision": _round(timing.hours), "working_hours_to_decision": _round(timing.working_hours),
            "within_timescale": timing.within, "referral": referral,
            "referral_date": contact.referred_at.isoformat() if referral and contact.referred_at else None,
            "re_referral_within_12_months": bool(previous[contact.case_id]) if referral else None,
            "referrals_in_last_12_months": previous[contact.case_id] if referral else None,
            "strategy_discussion": bool(strategy), "section_47": any(is_section_47(o) for o in strategy),
            "child_age_at_contact": age_on(child.date_of_birth, contact.received_at.astimezone(LONDON).date())
            if child else None,
            "child_gender": child.gender if child else None,
        })
    return found


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ";".join(value)
    return value


def csv_text(rows: Sequence[dict]) -> str:
    """Every cell is a code, a number, a time or a flag; the one writer keeps any text from being run as a formula."""
    return write_csv(COLUMNS, ([_cell(row[column]) for column in COLUMNS] for row in rows))

