"""MI for allegations against people who work with children (the LADO), with the LADO annual return's fields where
they exist: allegations by the employer's sector and by kind of harm, how many were in regulated activity, how soon
the LADO was told (within one working day of the allegation coming to notice) and made the initial evaluation (the
"LADO notified due" deadline), the evaluations and outcomes, meetings, and referrals to the DBS and regulators.
Counts and codes only, from app/lado's records: never a name."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.calendar import HubCalendar
from app.deadlines.models import Deadline
from app.lado.models import LadoAllegation, LadoMeeting
from app.reports.figures import Column, Table
from app.reports.filters import ReportFilters

SECTORS = {"education": "Education", "early-years": "Early years", "health": "Health", "social-care": "Social care",
           "police": "Police", "foster-carer": "Foster carer", "faith": "Faith group", "sport": "Sport and leisure",
           "voluntary": "Voluntary and charity", "transport": "Transport", "secure-estate": "Secure estate",
           "other": "Other"}
CATEGORIES = ("physical", "sexual", "emotional", "neglect", "suitability")
OUTCOMES = ("substantiated", "unsubstantiated", "unfounded", "false", "malicious")
#: The deadline lado.bpmn draws for the LADO being told and making the initial evaluation.
NOTIFIED_DEADLINE = "LADO notified due"


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _received(session: Session, filters: ReportFilters) -> list[LadoAllegation]:
    start, end = filters.instants()
    return list(session.scalars(select(LadoAllegation).where(LadoAllegation.received_at >= start,
                                                             LadoAllegation.received_at < end)
                                .order_by(LadoAllegation.id)))


def sector_table(rows: list[LadoAllegation]) -> Table:
    """Allegations received in the period by the employer's sector: in regulated activity, and by kind of harm."""
    by_sector: dict[str, list[LadoAllegation]] = {}
    for row in rows:
        by_sector.setdefault(row.sector, []).append(row)

    def line(label: str, group: list[LadoAllegation]) -> tuple:
        kinds = Counter(row.category for row in group)
        return (label, len(group), sum(1 for row in group if row.regulated_activity == "yes"),
                *(kinds[kind] for kind in CATEGORIES))
    lines = [line(SECTORS.get(sector, sector), group) for sector, group in sorted(by_sector.items())]
    return Table("lado-sectors", "Allegations by the employer's sector and kind of harm", (
        Column("sector", "Employer's sector", numeric=False), Column("allegations", "Allegations"),
        Column("regulated_activity", "In regulated activity"),
        *(Column(kind, kind.capitalize()) for kind in CATEGORIES)), lines,
        line("All sectors", rows) if lines else None)


def timeliness_table(session: Session, rows: list[LadoAllegation]) -> Table:
    """How soon: the LADO told within one working day of the allegation coming to notice (by the contact's
    receipt; the hub's calendar's England and Wales bank holidays), and the initial evaluation made by the
    "LADO notified due" deadline (1 working day of it reaching the hub)."""
    calendar = HubCalendar()
    told = sum(1 for row in rows if row.received_at <= calendar.add_working_days(row.came_to_notice_on, 1))
    cases = [row.case_id for row in rows]
    deadlines = list(session.scalars(select(Deadline).where(Deadline.case_id.in_(cases),
                                                            Deadline.name == NOTIFIED_DEADLINE))) if cases else []
    met = sum(1 for d in deadlines if d.met_at is not None and d.breached_at is None)
    late = sum(1 for d in deadlines if d.breached_at is not None)
    return Table("lado-timeliness", "How soon the LADO was told and made the initial evaluation", (
        Column("allegations", "Allegations"), Column("told_within_1_working_day", "LADO told within 1 working day"),
        Column("told_pct", "%"), Column("evaluated_on_time", "Evaluated within 1 working day"),
        Column("evaluated_late", "Evaluated late or still overdue"), Column("evaluated_pct", "%")),
        [(len(rows), told, _rate(told, len(rows)), met, late, _rate(met, met + late))])


def outcome_table(session: Session, rows: list[LadoAllegation]) -> Table:
    """The evaluations and outcomes of the allegations received in the period, meetings held, and referrals."""
    ids = [row.id for row in rows]
    meetings = list(session.scalars(select(LadoMeeting.allegation_id).where(LadoMeeting.allegation_id.in_(ids)))) \
        if ids else []
    thresholds = Counter(row.threshold for row in rows)
    outcomes = Counter(row.outcome for row in rows)
    return Table("lado-outcomes", "Evaluations, outcomes and referrals to the DBS and regulators", (
        Column("allegations", "Allegations"), Column("threshold_met", "Threshold met"),
        Column("threshold_not_met", "Threshold not met"), Column("no_further_action", "No further action"),
        Column("meetings", "Allegation management meetings"),
        *(Column(outcome, outcome.capitalize()) for outcome in OUTCOMES),
        Column("dbs_referrals", "Referred to the DBS"), Column("regulator_referrals", "Referred to a regulator"),
        Column("police_involved", "Police investigating")),
        [(len(rows), thresholds["met"], thresholds["not-met"], thresholds["no-further-action"], len(meetings),
          *(outcomes[outcome] for outcome in OUTCOMES), sum(1 for row in rows if row.dbs_referred_on),
          sum(1 for row in rows if row.regulator_referred_on), sum(1 for row in rows if row.police_involved))])


def lado_tables(session: Session, filters: ReportFilters) -> tuple[Table, ...]:
    rows = _received(session, filters)
    return sector_table(rows), timeliness_table(session, rows), outcome_table(session, rows)
