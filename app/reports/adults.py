"""MI for adults at risk, in the Safeguarding Adults Collection's terms where it has them (DOMAIN.md 8): concerns by
type of risk, section 42 decisions and their timeliness against the hub's own timescale, concluded enquiries by
result, and making safeguarding personal (outcomes asked, expressed and met). Counts and codes only, from
app/adults' records."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adults.models import AdultSafeguarding
from app.reports.figures import Column, Table
from app.reports.filters import ReportFilters

#: SAC's types of risk, as the contact form codes them (forms/adult_at_risk.json).
KINDS = {"physical": "Physical abuse", "domestic": "Domestic abuse", "sexual": "Sexual abuse",
         "psychological": "Psychological abuse", "financial": "Financial or material abuse",
         "modern-slavery": "Modern slavery", "discriminatory": "Discriminatory abuse",
         "organisational": "Organisational abuse", "neglect": "Neglect and acts of omission",
         "self-neglect": "Self-neglect"}
RESULTS = {"removed": "Risk removed", "reduced": "Risk reduced", "remains": "Risk remains"}


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def concerns_table(session: Session, filters: ReportFilters) -> Table:
    """Concerns raised in the period by type of risk (a concern naming several counts under each), by how they came
    (a contact, or a children's decision) and where the risk was from a service provider."""
    start, end = filters.instants()
    rows = list(session.scalars(select(AdultSafeguarding).where(AdultSafeguarding.raised_at >= start,
                                                                AdultSafeguarding.raised_at < end)))
    lines = []
    for code, label in KINDS.items():
        named = [r for r in rows if code in (r.abuse_kinds or [])]
        lines.append((label, len(named), sum(1 for r in named if r.source_of_risk == "service-provider")))
    from_decisions = sum(1 for r in rows if r.raised_from == "decision")
    return Table("adult-concerns", "Adult safeguarding concerns by type of risk", (
        Column("type_of_risk", "Type of risk", numeric=False), Column("concerns", "Concerns"),
        Column("service_provider", "Source of risk: a service provider")), lines,
        (f"All concerns ({from_decisions} raised at a children's decision)", len(rows),
         sum(1 for r in rows if r.source_of_risk == "service-provider")))


def decisions_table(session: Session, filters: ReportFilters) -> Table:
    """Section 42 decisions made in the period, made within the hub's timescale (sla-policies.toml
    [timescales.s42-decision]), and what was decided."""
    start, end = filters.instants()
    rows = list(session.scalars(select(AdultSafeguarding).where(AdultSafeguarding.decided_at >= start,
                                                                AdultSafeguarding.decided_at < end)))
    in_time = sum(1 for r in rows if r.decided_in_time)
    count = {decision: sum(1 for r in rows if r.s42_decision == decision)
             for decision in ("enquiry", "other-action", "no-enquiry")}
    return Table("adult-s42-decisions", "Section 42 decisions and their timeliness", (
        Column("decisions", "Decisions"), Column("within_timescale", "Within the timescale"),
        Column("within_timescale_pct", "%"), Column("duty_met", "Section 42 duty met"),
        Column("s42_enquiries", "Section 42 enquiries"), Column("other_action", "Other action"),
        Column("no_enquiry", "No enquiry")),
        [(len(rows), in_time, _rate(in_time, len(rows)), sum(1 for r in rows if r.s42_duty_met),
          count["enquiry"], count["other-action"], count["no-enquiry"])])


def outcomes_table(session: Session, filters: ReportFilters) -> Table:
    """Enquiries concluded in the period by result (SAC: risk removed, reduced, remains), with making safeguarding
    personal: whether the adult was asked about the outcomes they wanted, and whether those were met."""
    start, end = filters.instants()
    rows = list(session.scalars(select(AdultSafeguarding).where(AdultSafeguarding.concluded_at >= start,
                                                                AdultSafeguarding.concluded_at < end)))

    def line(label: str, group: list[AdultSafeguarding]) -> tuple:
        asked = [r for r in group if r.outcomes_asked in ("expressed", "none-expressed")]
        expressed = [r for r in group if r.outcomes_asked == "expressed"]
        return (label, len(group), len(asked), _rate(len(asked), len(group)), len(expressed),
                sum(1 for r in expressed if r.outcomes_met == "fully"),
                sum(1 for r in expressed if r.outcomes_met == "partly"),
                sum(1 for r in expressed if r.outcomes_met == "not"),
                sum(1 for r in group if r.capacity == "lacks-capacity"))

    return Table("adult-enquiry-outcomes", "Concluded enquiries: result and making safeguarding personal", (
        Column("result", "Result", numeric=False), Column("concluded", "Concluded"),
        Column("outcomes_asked", "Asked about outcomes"), Column("outcomes_asked_pct", "%"),
        Column("outcomes_expressed", "Outcomes expressed"), Column("met_fully", "Fully met"),
        Column("met_partly", "Partly met"), Column("not_met", "Not met"),
        Column("lacking_capacity", "Lacking capacity")),
        [line(label, [r for r in rows if r.risk_outcome == code]) for code, label in RESULTS.items()],
        line("All concluded enquiries", rows))


def adult_tables(session: Session, filters: ReportFilters) -> tuple[Table, ...]:
    return concerns_table(session, filters), decisions_table(session, filters), outcomes_table(session, filters)
