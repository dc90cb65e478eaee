"""The management information report: every section's figures, tables and charts from one read of the rows."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.core.codes import AGENCY_LABELS
from app.core.roles import role_label
from app.core.vocabulary import RAG_LABELS
from app.reports import figures
from app.reports.adults import adult_tables
from app.reports.charts import Chart, bar_chart, stacked_columns
from app.reports.da_notifications import notification_tables
from app.reports.exploitation import exploitation_tables
from app.reports.figures import RAGS, Table
from app.reports.filters import ReportFilters
from app.reports.lado import lado_tables
from app.reports.marac import domestic_abuse_tables
from app.reports.missing import missing_tables
from app.reports.queries import report_rows
from app.reports.threshold import threshold_tables


@dataclass(frozen=True)
class Report:
    filters: ReportFilters
    contacts: int
    sources: figures.SourceOutcomes
    timeliness: list[figures.Timeliness]
    rag: figures.RagMovement
    agencies: list[figures.AgencyResponse]
    re_referrals: figures.ReReferrals
    conversions: figures.Conversions
    volume: figures.Volume
    #: Operation Encompass and MARAC (app/reports/marac.py).
    encompass_and_marac: tuple[Table, ...] = ()
    #: Police domestic abuse notifications and the daily triage (app/reports/da_notifications.py).
    da_notifications: tuple[Table, ...] = ()
    #: The threshold's suggestion at screening and how often it was overridden (app/reports/threshold.py).
    threshold_overrides: tuple[Table, ...] = ()
    #: Places and adults linked to several children, and links decided (app/reports/exploitation.py).
    exploitation: tuple[Table, ...] = ()
    #: Allegations against people who work with children: the LADO's MI (app/reports/lado.py).
    lado: tuple[Table, ...] = ()
    #: Adults at risk: concerns, section 42 decisions, outcomes, making safeguarding personal (app/reports/adults.py).
    adults: tuple[Table, ...] = ()
    #: Missing episodes and return home interviews (app/reports/missing.py).
    missing_children: tuple[Table, ...] = ()

    @property
    def tables(self) -> dict[str, Table]:
        """Every table of the page by its CSV name, in page order."""
        found = [self.sources.table(), self.sources.conversion_table(), figures.timeliness_table(self.timeliness),
                 self.rag.table(), self.rag.rates_table(), figures.agency_table(self.agencies),
                 self.re_referrals.table(), self.conversions.table(), self.volume.table(), *self.encompass_and_marac,
                 *self.da_notifications,
                 *self.threshold_overrides,
                 *self.exploitation,
                 *self.lado,
                 *self.adults,
                 *self.missing_children]
        return {table.key: table for table in found}

    @property
    def charts(self) -> dict[str, Chart]:
        def shown(value: float | None, suffix: str = "%") -> str:
            return "–" if value is None else f"{value:g}{suffix}"

        agencies = [(AGENCY_LABELS[a], self.sources.contacts(a), str(self.sources.contacts(a)))
                    for a in self.sources.by_agency]
        timely = [t for t in self.timeliness if t.rag and t.measured]
        returns = [(role_label(r.agency), r.on_time_rate, shown(r.on_time_rate)) for r in self.agencies]
        stages = [(label, n, f"{n} ({shown(of_contacts)})")
                  for _, label, n, of_contacts, _ in self.conversions.stages()]
        series = [(f"reports-chart__bar--{rag}", RAG_LABELS[rag]) for rag in RAGS] + \
            [("reports-chart__bar--none", "Not rated")]
        columns = [(b.label, [b.counts[rag] for rag in RAGS] + [b.counts[None]]) for b in self.volume.buckets]
        return {
            "sources": bar_chart("chart-sources", "Contacts by source agency",
                                 "Bar chart of the contacts received from each source agency. The table below gives "
                                 "the same figures by source and outcome.", agencies),
            "timeliness": bar_chart("chart-timeliness", "Decided within timescale, by final RAG rating",
                                    "Bar chart of the percentage of contacts decided within their RAG timescale. "
                                    "The table below gives the same figures.",
                                    [(RAG_LABELS[t.rag], t.within_rate, shown(t.within_rate)) for t in timely if t.rag],
                                    100),
            "agencies": bar_chart("chart-agencies", "Agency checks returned by the due time",
                                  "Bar chart of the percentage of each agency's checks returned by their due time. "
                                  "The table below gives the same figures.", returns, 100),
            "conversions": bar_chart("chart-conversions", "From contact to section 47 enquiry",
                                     "Bar chart of how many contacts became referrals, strategy discussions and "
                                     "section 47 enquiries. The table below gives the same figures.", stages),
            "volume": stacked_columns("chart-volume", f"Contacts received per {self.volume.unit}",
                                      f"Column chart of contacts received per {self.volume.unit}, stacked by final "
                                      "RAG rating. The table below gives the same figures.", columns, series),
        }


def build_report(session: Session, filters: ReportFilters, at: datetime) -> Report:
    rows = report_rows(session, filters)
    return Report(
        filters=filters, contacts=len(rows.contacts), sources=figures.source_outcomes(rows.contacts),
        timeliness=figures.timeliness(rows.contacts, rows.sla, at), rag=figures.rag_movements(rows.contacts),
        agencies=figures.agency_responses(rows.checks, at),
        re_referrals=figures.re_referrals(rows.referred, rows.referrals),
        conversions=figures.conversions(rows.contacts, rows.strategy), volume=figures.volume(rows.contacts, filters),
        encompass_and_marac=domestic_abuse_tables(session, filters),
        da_notifications=notification_tables(session, filters),
        threshold_overrides=threshold_tables(session, filters),
        exploitation=exploitation_tables(session, filters),
        lado=lado_tables(session, filters),
        adults=adult_tables(session, filters),
        missing_children=missing_tables(session, filters))
