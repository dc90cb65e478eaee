"""MI for the threshold table at screening (processes/threshold.dmn): how often screeners chose a rating other
than the one it suggested, by presenting factor and by rule, and in which direction (up: more urgent than the
suggestion; down: less). Counts and codes only, from the case record (app.casework.threshold keeps them), for
contacts received in the period that were screened with a suggestion."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cases.models import Case
from app.core.codes import PRESENTING_FACTORS
from app.core.vocabulary import RAG_URGENCY
from app.intake.models import Contact
from app.reports.figures import Column, Table, percent
from app.reports.filters import ReportFilters
from app.reports.queries import scoped


@dataclass(frozen=True)
class Screened:
    """One screening the threshold made a suggestion for."""

    suggested: str
    chosen: str | None
    rule: str | None
    factors: tuple[str, ...]

    @property
    def direction(self) -> str | None:
        """"up", "down", or None when the screener agreed (or the rating is not a known one)."""
        if self.chosen == self.suggested or self.chosen not in RAG_URGENCY or self.suggested not in RAG_URGENCY:
            return None
        return "up" if RAG_URGENCY.index(self.chosen) > RAG_URGENCY.index(self.suggested) else "down"


def screened_rows(session: Session, filters: ReportFilters) -> list[Screened]:
    stmt = (select(Case.suggested_rag, Case.screened_rag, Case.suggested_rule, Case.presenting_factors)
            .join(Contact, Contact.case_id == Case.id).where(Case.suggested_rag.is_not(None)))
    return [Screened(suggested, chosen, rule, tuple(factors or ()))
            for suggested, chosen, rule, factors in session.execute(scoped(stmt, filters))]


COLUMNS = (Column("screenings", "Screenings"), Column("agreed", "Agreed"), Column("overridden_up", "Rated higher"),
           Column("overridden_down", "Rated lower"), Column("overridden", "Overridden"),
           Column("overridden_percent", "Overridden %"))


def _counts(rows: list[Screened]) -> tuple:
    directions = Counter(row.direction for row in rows)
    overridden = directions["up"] + directions["down"]
    return (len(rows), directions[None], directions["up"], directions["down"], overridden,
            percent(overridden, len(rows)))


def by_factor_table(rows: list[Screened]) -> Table:
    """A screening with several factors counts under each; the total counts each screening once."""
    codes = sorted({code for row in rows for code in row.factors},
                   key=lambda code: list(PRESENTING_FACTORS).index(code) if code in PRESENTING_FACTORS else 999)
    lines = [(f"{code} {PRESENTING_FACTORS.get(code, '')}".strip(), *_counts([r for r in rows if code in r.factors]))
             for code in codes]
    return Table("threshold-overrides", "The threshold's suggestion at screening and the rating chosen, by presenting "
                 "factor", (Column("factor", "Presenting factor", numeric=False), *COLUMNS), lines,
                 ("All screenings", *_counts(rows)))


def by_rule_table(rows: list[Screened]) -> Table:
    rules = sorted({row.rule or "" for row in rows})
    lines = [(rule or "(no rule named)", *_counts([r for r in rows if (r.rule or "") == rule])) for rule in rules]
    return Table("threshold-overrides-by-rule", "The threshold's suggestion at screening and the rating chosen, by "
                 "rule", (Column("rule", "Threshold rule", numeric=False), *COLUMNS), lines,
                 ("All screenings", *_counts(rows)))


def threshold_tables(session: Session, filters: ReportFilters) -> tuple[Table, ...]:
    rows = screened_rows(session, filters)
    return by_factor_table(rows), by_rule_table(rows)
