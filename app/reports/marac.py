"""MI for Operation Encompass and MARAC: how soon schools were told (hours, and school days begun before they
were), and MARAC referrals with their repeats. Counts and codes only, from app/marac's records."""
from __future__ import annotations

from statistics import median

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.schools import hub_schools, school_days_between
from app.marac.models import EncompassNotification, MaracAction, MaracReferral
from app.reports.figures import Column, Table
from app.reports.filters import ReportFilters


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _middle(values: list[float]) -> float | None:
    return round(median(values), 1) if values else None


def encompass_table(session: Session, filters: ReportFilters) -> Table:
    """Per school: how many times it was told of a notification in the period (by when it was told), how many of
    those before the start of the next school day, the median hours from the incident, and school days missed."""
    start, end = filters.instants()
    rows = session.scalars(select(EncompassNotification).where(EncompassNotification.told_at >= start,
                                                               EncompassNotification.told_at < end)
                           .order_by(EncompassNotification.school, EncompassNotification.id))
    schools = hub_schools()
    by_school: dict[str, list[EncompassNotification]] = {}
    for row in rows:
        by_school.setdefault(row.school, []).append(row)
    lines: list[tuple] = []
    all_told, all_on_time = 0, 0
    all_hours: list[float] = []
    all_missed: list[float] = []
    for school, told in sorted(by_school.items()):
        on_time = sum(1 for t in told if t.due_at is None or t.told_at <= t.due_at)
        hours = [(t.told_at - t.incident_at).total_seconds() / 3600 for t in told if t.incident_at]
        missed = [float(school_days_between(schools[school], t.incident_at, t.told_at))
                  for t in told if t.incident_at and school in schools]
        lines.append((told[0].school_name, len(told), on_time, _rate(on_time, len(told)), _middle(hours),
                      _middle(missed), max(missed) if missed else None))
        all_told, all_on_time = all_told + len(told), all_on_time + on_time
        all_hours, all_missed = all_hours + hours, all_missed + missed
    return Table("encompass-notifications", "Schools told before the next school day (Operation Encompass)", (
        Column("school", "School", numeric=False), Column("told", "Times told"),
        Column("before_school_day", "Before the next school day"), Column("before_school_day_pct", "%"),
        Column("median_hours", "Median hours from the incident"),
        Column("median_school_days_missed", "Median school days begun first"),
        Column("most_school_days_missed", "Most school days begun first")), lines,
        ("All schools", all_told, all_on_time, _rate(all_on_time, all_told), _middle(all_hours), _middle(all_missed),
         max(all_missed) if all_missed else None) if lines else None)


def marac_table(session: Session, filters: ReportFilters) -> Table:
    """MARAC referrals made in the period, repeats (the coordinator's, and those the person index found), and the
    actions recorded against them by owner agency."""
    start, end = filters.instants()
    referrals = list(session.scalars(select(MaracReferral).where(MaracReferral.referred_at >= start,
                                                                 MaracReferral.referred_at < end)))
    ids = [r.id for r in referrals]
    actions = list(session.scalars(select(MaracAction.owner_agency).where(MaracAction.referral_id.in_(ids)))) \
        if ids else []
    repeats = sum(1 for r in referrals if r.repeat)
    found = sum(1 for r in referrals if r.repeat_found)
    return Table("marac-referrals", "MARAC referrals and repeats", (
        Column("referrals", "Referrals"), Column("repeats", "Repeats"), Column("repeat_pct", "Repeat rate %"),
        Column("repeats_found", "Repeats found by the person index"), Column("actions", "Actions recorded"),
        Column("action_agencies", "Agencies owning actions")),
        [(len(referrals), repeats, _rate(repeats, len(referrals)), found, len(actions), len(set(actions)))])


def domestic_abuse_tables(session: Session, filters: ReportFilters) -> tuple[Table, ...]:
    return encompass_table(session, filters), marac_table(session, filters)
