"""MI for police domestic abuse notifications: how many by the officer's DASH risk level, and how often the daily
triage decided otherwise than the domestic abuse table (the table's decision beside the meeting's). Counts and codes
only, from app/domestic_abuse's records, for notifications received in the period."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domestic_abuse.dash import RISK_LEVELS
from app.domestic_abuse.models import DomesticAbuseNotification
from app.domestic_abuse.triage import DECISIONS
from app.reports.figures import Column, Table
from app.reports.filters import ReportFilters


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _received(session: Session, filters: ReportFilters) -> list[DomesticAbuseNotification]:
    start, end = filters.instants()
    return list(session.scalars(select(DomesticAbuseNotification).where(
        DomesticAbuseNotification.received_at >= start, DomesticAbuseNotification.received_at < end)))


def by_risk_table(rows: list[DomesticAbuseNotification]) -> Table:
    """Per risk level: notifications, triaged, waiting, and the median DASH ticks."""
    lines = []
    for level in reversed(RISK_LEVELS):
        found = [row for row in rows if row.risk_level == level]
        triaged = sum(1 for row in found if row.triage_decision)
        ticks = sorted(row.dash_ticks for row in found)
        lines.append((level.capitalize(), len(found), triaged, len(found) - triaged,
                      ticks[len(ticks) // 2] if ticks else None))
    triaged = sum(1 for row in rows if row.triage_decision)
    return Table("da-notifications", "Police domestic abuse notifications by DASH risk level", (
        Column("risk_level", "Risk level", numeric=False), Column("notifications", "Notifications"),
        Column("triaged", "Triaged"), Column("waiting", "Waiting for triage"),
        Column("median_ticks", "Median DASH ticks")), lines, ("Total", len(rows), triaged, len(rows) - triaged, None))


def overrides_table(rows: list[DomesticAbuseNotification]) -> Table:
    """Per table decision: what the meeting decided, and how often it decided otherwise."""
    decided = [row for row in rows if row.triage_decision and row.table_decision]
    lines = []
    for table_decision, label in DECISIONS.items():
        found = [row for row in decided if row.table_decision == table_decision]
        meeting = Counter(row.triage_decision for row in found)
        overridden = len(found) - meeting[table_decision]
        lines.append((label, len(found), *(meeting[d] for d in DECISIONS), overridden, _rate(overridden, len(found))))
    overridden = sum(1 for row in decided if row.triage_decision != row.table_decision)
    return Table("da-triage-overrides", "The domestic abuse table's decision and the daily triage's", (
        Column("table_decision", "Table's decision", numeric=False), Column("triaged", "Triaged"),
        *(Column(f"meeting_{d.replace('-', '_')}", f"Meeting: {label}") for d, label in DECISIONS.items()),
        Column("overridden", "Decided otherwise"), Column("overridden_pct", "%")), lines,
        ("Total", len(decided), *(sum(1 for r in decided if r.triage_decision == d) for d in DECISIONS), overridden,
         _rate(overridden, len(decided))))


def notification_tables(session: Session, filters: ReportFilters) -> tuple[Table, ...]:
    rows = _received(session, filters)
    return by_risk_table(rows), overrides_table(rows)
