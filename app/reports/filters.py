"""The report's period and filters, read from a query string: one rule for the page, its CSVs and the API.

Every figure counts the contacts *received* in the period (London days, both inclusive), so the sections
of one report always describe the same contacts. With no period given, the report covers the 12 months to
today: from the first of the month eleven months ago, so the monthly chart has twelve whole bars but the
latest, and this month's contacts are never hidden.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from app.core.codes import AGENCY_LABELS, CHANNELS, SOURCE_AGENCY
from app.core.errors import FieldError
from app.core.periods import day_starts, read_choice, read_period
from app.core.vocabulary import RAG_LABELS


@dataclass(frozen=True)
class ReportFilters:
    date_from: date
    date_to: date
    source_agency: str | None = None
    rag: str | None = None
    channel: str | None = None

    @property
    def sources(self) -> list[str] | None:
        """The CIN source codes the chosen agency stands for."""
        if self.source_agency is None:
            return None
        return [code for code, agency in SOURCE_AGENCY.items() if agency == self.source_agency]

    def instants(self):
        return day_starts(self.date_from, self.date_to)

    def as_args(self) -> dict[str, str]:
        """Query arguments that reproduce these filters (links, CSV downloads, audit details)."""
        args = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        chosen = (("source", self.source_agency), ("rag", self.rag), ("channel", self.channel))
        args.update({name: value for name, value in chosen if value})
        return args


def default_period(today: date) -> tuple[date, date]:
    month = today.month - 11
    year = today.year + (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1), today


def read_filters(args: Mapping[str, str], today: date) -> tuple[ReportFilters, list[FieldError]]:
    """Filters from ``?from=&to=&source=&rag=&channel=``; a value that cannot be read is an error on its
    field (the page shows the error summary, the API answers 422). A missing date takes the default."""
    errors: list[FieldError] = []

    def choice(name: str, allowed, message: str) -> str | None:
        return read_choice(args, name, allowed, message, errors)

    date_from, date_to = read_period(args, errors)
    default_from, default_to = default_period(today)
    if date_from is None and date_to is not None and date_to < default_from:
        errors.append(FieldError("from", "Enter a start date for a period that ends before "
                                         f"{default_from:%-d %B %Y}"))
    filters = ReportFilters(
        date_from=date_from or default_from, date_to=date_to or max(default_to, date_from or default_to),
        source_agency=choice("source", AGENCY_LABELS, "Select a source agency from the list"),
        rag=choice("rag", RAG_LABELS, "Select a RAG rating from the list"),
        channel=choice("channel", CHANNELS, "Select a channel from the list"))
    return filters, errors
