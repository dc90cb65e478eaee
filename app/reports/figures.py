"""Each figure of the management information, as a pure function over the rows app/reports/queries.py reads.

Conventions, stated on the page too:
- every figure counts the contacts received in the period (by contact date), except the re-referrals, which count
  the referrals of the period by their referral date, as the CIN census does;
- a median is the middle value (the mean of the two middle values for an even count); the 90th percentile is
  the nearest-rank value (the smallest value at or above which 90% of values fall);
- percentages are of the count named in their column, rounded to one decimal place; "–" when it is zero.
Each section also gives its table (the page and its CSV are the same rows, so they cannot disagree).
"""
from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from app.core.calendar import LONDON
from app.core.codes import AGENCY_LABELS, CONVERSION_OUTCOMES, OUTCOMES, SOURCE_AGENCY, is_referral, source_agency
from app.core.roles import AGENCIES, role_label
from app.core.sla import SlaConfig, SlaPolicy
from app.core.vocabulary import RAG_CODES, RAG_LABELS, is_section_47, rag_movement
from app.reports.filters import ReportFilters
from app.reports.queries import CheckRow, ContactRow, ReferralRow, year_before

RAGS = RAG_CODES  # red first, as managers read them
#: Periods up to this long are charted week by week; longer ones month by month.
WEEKLY_UP_TO = timedelta(days=92)


# ----------------------------------------------------------------------------- arithmetic
def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def p90(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def hours(span: timedelta) -> float:
    return span.total_seconds() / 3600


# ----------------------------------------------------------------------------- tables
@dataclass(frozen=True)
class Column:
    key: str
    label: str
    numeric: bool = True


@dataclass(frozen=True)
class Table:
    """One section's figures as rows: the page's GOV.UK table and the CSV (headed by the column keys)."""

    key: str
    caption: str
    columns: tuple[Column, ...]
    rows: list[tuple]
    total: tuple | None = None


def _one_decimal(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# ----------------------------------------------------------------------------- contacts by source and outcome
OUTCOME_COLUMNS: tuple[str | None, ...] = (*OUTCOMES, None)


def outcome_label(outcome: str | None) -> str:
    return OUTCOMES[outcome].label if outcome in OUTCOMES else "No outcome yet"


@dataclass(frozen=True)
class SourceOutcomes:
    #: CIN source code -> census outcome (None: not decided) -> contacts.
    by_source: dict[str, Counter]
    by_agency: dict[str, Counter]

    def contacts(self, agency: str) -> int:
        return sum(self.by_agency[agency].values())

    def conversion(self, agency: str, outcome: str) -> float | None:
        return percent(self.by_agency[agency][outcome], self.contacts(agency))

    def table(self) -> Table:
        columns = (Column("source_code", "Source", False), Column("source_agency", "Agency", False),
                   *(Column(o or "no_outcome_yet", outcome_label(o)) for o in OUTCOME_COLUMNS),
                   Column("contacts", "Contacts"))
        rows = [(code, AGENCY_LABELS[source_agency(code)], *(counts[o] for o in OUTCOME_COLUMNS), sum(counts.values()))
                for code, counts in self.by_source.items()]
        totals: Counter[str | None] = Counter()
        for counts in self.by_source.values():
            totals.update(counts)
        total = ("All sources", "", *(totals[o] for o in OUTCOME_COLUMNS), sum(totals.values()))
        return Table("contacts-by-source", "Contacts by source and outcome", columns, rows, total)

    def conversion_table(self) -> Table:
        columns = (Column("source_agency", "Source agency", False), Column("contacts", "Contacts"),
                   *(Column(f"{key}_percent", f"% {label.lower()}") for key, label in CONVERSION_OUTCOMES.items()))
        rows = [(AGENCY_LABELS[agency], self.contacts(agency),
                 *(self.conversion(agency, key) for key in CONVERSION_OUTCOMES)) for agency in self.by_agency]
        return Table("conversion-by-source", "Conversion rate by source agency", columns, rows)


def source_outcomes(contacts: Iterable[ContactRow]) -> SourceOutcomes:
    by_source: dict[str, Counter] = {}
    for contact in contacts:
        by_source.setdefault(contact.source, Counter())[contact.census_outcome] += 1
    order = list(SOURCE_AGENCY)
    by_source = {code: by_source[code]
                 for code in sorted(by_source, key=lambda c: order.index(c) if c in order else 99)}
    by_agency: dict[str, Counter] = {}
    for code, counts in by_source.items():
        by_agency.setdefault(source_agency(code), Counter()).update(counts)
    return SourceOutcomes(by_source, by_agency)


# ----------------------------------------------------------------------------- time from receipt to decision
def timescale_text(policy: SlaPolicy) -> str:
    amount = f"{policy.duration:g}"
    if policy.unit == "elapsed-hours":
        return f"{amount} hours, " + ("day and night" if policy.out_of_hours else "from when the hub next opens")
    if policy.unit == "working-hours":
        return f"{amount} working hours" + (", then day and night" if policy.out_of_hours else "")
    if policy.unit == "working-days":
        return f"{amount} working day{'s' if policy.duration != 1 else ''}, by close of business"
    return "No timescale"


@dataclass(frozen=True)
class Timeliness:
    """Time from receipt to decision for the contacts of one final RAG rating (``rag`` None: all of them)."""

    rag: str | None
    contacts: int
    decided: int
    median_hours: float | None
    p90_hours: float | None
    median_working_hours: float | None
    p90_working_hours: float | None
    timescale: str
    #: Decided, or still waiting after their due time: the contacts whose timeliness is known.
    measured: int
    within: int

    @property
    def within_rate(self) -> float | None:
        return percent(self.within, self.measured)


def timeliness(contacts: Iterable[ContactRow], sla: dict[int, SlaConfig], at: datetime) -> list[Timeliness]:
    """Per final RAG: the decision is within timescale when it came by the due time the case's SLA policy
    gives that rating, counted from receipt exactly as the contact's RAG deadline is (a re-rating re-times
    the deadline from receipt, so the final rating is the one the hub was held to)."""
    clock = DecisionClock(sla)
    groups: dict[str, list[tuple[ContactRow, DecisionTiming]]] = {rag: [] for rag in RAGS}
    for contact in contacts:
        if contact.rag in groups:
            groups[contact.rag].append((contact, clock.timing(contact)))
    # The page names one timescale per rating: the policy of the newest process version in the period.
    newest = sla[max(sla)] if sla else SlaConfig()
    found = [_timeliness(rag, rows, at, timescale_text(newest.policy(rag))) for rag, rows in groups.items()]
    everyone = [row for rows in groups.values() for row in rows]
    return [*found, _timeliness(None, everyone, at, "As for each rating")]


@dataclass(frozen=True)
class DecisionTiming:
    hours: float | None
    working_hours: float | None
    #: The RAG timescale's due time; None without a final RAG or when the rating has no timescale.
    due_at: datetime | None
    within: bool | None


class DecisionClock:
    """How long each contact took from receipt to decision, and whether that was within its RAG timescale.

    Gives the answers of SlaPolicy.window and HubCalendar.working_time_between, for a year of contacts at once:
    a working-days due time depends only on the day of receipt, and each day's opening hours are worked out once.
    """

    def __init__(self, sla: dict[int, SlaConfig]) -> None:
        self.sla = sla
        self._due: dict[tuple, datetime | None] = {}
        self._days: dict[tuple[int, date], tuple[datetime, datetime] | None] = {}

    def _config(self, version_id: int) -> SlaConfig:
        return self.sla.get(version_id) or self.sla.setdefault(version_id, SlaConfig())

    def due_at(self, contact: ContactRow) -> datetime | None:
        if contact.rag not in RAG_LABELS:
            return None
        config = self._config(contact.process_version_id)
        policy = config.policy(contact.rag)
        if policy.unit != "working-days":
            window = policy.window(contact.received_at, config.calendar)
            return window.due_at if window else None
        key = (contact.process_version_id, contact.rag, contact.received_at.astimezone(LONDON).date())
        if key not in self._due:
            window = policy.window(contact.received_at, config.calendar)
            self._due[key] = window.due_at if window else None  # a working-days timescale always has one
        return self._due[key]

    def _opening_hours(self, version_id: int, day: date) -> tuple[datetime, datetime] | None:
        key = (version_id, day)
        if key not in self._days:
            calendar = self._config(version_id).calendar
            # In UTC, like the stored times: comparing across time zones costs a zone lookup every time.
            self._days[key] = ((datetime.combine(day, calendar.opens, LONDON).astimezone(UTC),
                                datetime.combine(day, calendar.closes, LONDON).astimezone(UTC))
                               if calendar.is_working_day(day) else None)
        return self._days[key]

    def working_time(self, version_id: int, start: datetime, end: datetime) -> timedelta:
        total = timedelta(0)
        day, last = start.astimezone(LONDON).date(), end.astimezone(LONDON).date()
        while day <= last:
            hours_open = self._opening_hours(version_id, day)
            if hours_open is not None:
                overlap = min(end, hours_open[1]) - max(start, hours_open[0])
                if overlap > timedelta(0):
                    total += overlap
            day += timedelta(days=1)
        return total

    def timing(self, contact: ContactRow) -> DecisionTiming:
        due = self.due_at(contact)
        if contact.decided_at is None:
            return DecisionTiming(None, None, due, None)
        working = self.working_time(contact.process_version_id, contact.received_at, contact.decided_at)
        return DecisionTiming(hours(contact.decided_at - contact.received_at), hours(working), due,
                              None if due is None else contact.decided_at <= due)


def _timeliness(rag: str | None, rows: list[tuple[ContactRow, DecisionTiming]], at: datetime,
                text: str) -> Timeliness:
    elapsed: list[float] = []
    working: list[float] = []
    measured = within = 0
    for contact, timing in rows:
        if timing.hours is not None and timing.working_hours is not None:  # both are known once decided
            elapsed.append(timing.hours)
            working.append(timing.working_hours)
        if timing.within is not None:
            measured += 1
            within += timing.within
        elif timing.due_at is not None and contact.decided_at is None and contact.status == "open" \
                and at > timing.due_at:
            measured += 1
    return Timeliness(rag, len(rows), len(elapsed), median(elapsed), p90(elapsed), median(working), p90(working),
                      text, measured, within)


def timeliness_table(rows: list[Timeliness]) -> Table:
    columns = (Column("rag", "Final RAG rating", False), Column("contacts", "Contacts"), Column("decided", "Decided"),
               Column("median_hours", "Median hours"), Column("p90_hours", "90th percentile hours"),
               Column("median_working_hours", "Median working hours"),
               Column("p90_working_hours", "90th percentile working hours"),
               Column("timescale", "Timescale", False), Column("measured", "Due or decided"),
               Column("within_timescale", "Within timescale"), Column("within_timescale_percent", "% within timescale"))
    body = [(RAG_LABELS[t.rag] if t.rag else "All rated", t.contacts, t.decided, _one_decimal(t.median_hours),
             _one_decimal(t.p90_hours), _one_decimal(t.median_working_hours), _one_decimal(t.p90_working_hours),
             t.timescale, t.measured, t.within, t.within_rate) for t in rows]
    return Table("time-to-decision", "Time from receipt to decision, by final RAG rating", columns, body[:-1],
                 body[-1])


# ----------------------------------------------------------------------------- RAG before and after
@dataclass(frozen=True)
class RagMovement:
    #: (RAG at screening, final RAG) -> contacts.
    matrix: Counter
    escalated: int
    de_escalated: int
    unchanged: int

    @property
    def rated(self) -> int:
        return self.escalated + self.de_escalated + self.unchanged

    @property
    def escalation_rate(self) -> float | None:
        return percent(self.escalated, self.rated)

    @property
    def de_escalation_rate(self) -> float | None:
        return percent(self.de_escalated, self.rated)

    def table(self) -> Table:
        columns = (Column("rag_before", "RAG at screening", False),
                   *(Column(f"after_{rag}", f"After: {RAG_LABELS[rag]}") for rag in RAGS),
                   Column("contacts", "Contacts"))
        rows = [(RAG_LABELS[before], *(self.matrix[(before, after)] for after in RAGS),
                 sum(self.matrix[(before, after)] for after in RAGS)) for before in RAGS]
        total = ("All", *(sum(self.matrix[(before, after)] for before in RAGS) for after in RAGS), self.rated)
        return Table("rag-movement", "RAG rating at screening (rows) and after the MASH (columns)", columns, rows,
                     total)

    def rates_table(self) -> Table:
        columns = (Column("movement", "Movement", False), Column("contacts", "Contacts"), Column("percent", "%"))
        rows = [("Escalated", self.escalated, self.escalation_rate),
                ("De-escalated", self.de_escalated, self.de_escalation_rate),
                ("Unchanged", self.unchanged, percent(self.unchanged, self.rated))]
        return Table("rag-movement-rates", "Escalation and de-escalation", columns, rows,
                     ("All rated", self.rated, None))


def rag_movements(contacts: Iterable[ContactRow]) -> RagMovement:
    matrix: Counter = Counter()
    moves: Counter = Counter()
    for contact in contacts:
        movement = rag_movement(contact.rag_initial, contact.rag)
        if movement is not None:
            matrix[(contact.rag_initial, contact.rag)] += 1
            moves[movement] += 1
    return RagMovement(matrix, moves["escalated"], moves["de-escalated"], moves["unchanged"])


# ----------------------------------------------------------------------------- agency response times
@dataclass(frozen=True)
class AgencyResponse:
    agency: str
    requests: int
    returned: int
    median_hours: float | None
    p90_hours: float | None
    on_time: int
    late: int
    outstanding: int
    outstanding_overdue: int

    @property
    def on_time_rate(self) -> float | None:
        """Of the requests whose timeliness is known: returned, or still out after their due time."""
        return percent(self.on_time, self.on_time + self.late + self.outstanding_overdue)


def agency_responses(checks: Iterable[CheckRow], at: datetime) -> list[AgencyResponse]:
    by_agency: dict[str, list[CheckRow]] = {}
    for check in checks:
        by_agency.setdefault(check.agency, []).append(check)
    order = list(AGENCIES)
    found = []
    for agency in sorted(by_agency, key=lambda a: (order.index(a) if a in order else len(order), a)):
        rows = by_agency[agency]
        returned = [c for c in rows if c.returned]
        waits = [c.hours_to_return for c in returned if c.hours_to_return is not None]
        timed = [c for c in returned if c.on_time is not None]
        on_time = sum(1 for c in timed if c.on_time)
        waiting = [c for c in rows if not c.returned]
        found.append(AgencyResponse(
            agency, len(rows), len(returned), median(waits), p90(waits), on_time, len(timed) - on_time, len(waiting),
            sum(c.due_at is not None and c.due_at < at for c in waiting)))
    return found


def agency_table(rows: list[AgencyResponse]) -> Table:
    columns = (Column("agency", "Agency", False), Column("requests", "Requests"), Column("returned", "Returned"),
               Column("median_hours", "Median hours to return"), Column("p90_hours", "90th percentile hours"),
               Column("returned_by_due", "Returned by the due time"), Column("late_returns", "Returned late"),
               Column("returned_by_due_percent", "% returned by the due time"),
               Column("outstanding", "Outstanding"), Column("outstanding_overdue", "Outstanding and overdue"))
    body = [(role_label(r.agency), r.requests, r.returned, _one_decimal(r.median_hours), _one_decimal(r.p90_hours),
             r.on_time, r.late, r.on_time_rate, r.outstanding, r.outstanding_overdue) for r in rows]
    return Table("agency-responses", "Agency check response times", columns, body)


# ----------------------------------------------------------------------------- re-referrals
@dataclass(frozen=True)
class ReReferrals:
    #: case id of each referral dated in the period -> previous referrals about the same child in the 12 months
    #: before its referral date.
    previous: dict[int, int]

    @property
    def referrals(self) -> int:
        return len(self.previous)

    @property
    def re_referrals(self) -> int:
        return sum(1 for n in self.previous.values() if n)

    @property
    def rate(self) -> float | None:
        return percent(self.re_referrals, self.referrals)

    def table(self) -> Table:
        columns = (Column("referrals", "Referrals"), Column("re_referrals", "Re-referrals within 12 months"),
                   Column("re_referral_percent", "% re-referrals"))
        return Table("re-referrals", "Re-referrals within 12 months of a previous referral", columns,
                     [(self.referrals, self.re_referrals, self.rate)])


def previous_referrals(referred: Iterable[int], referrals: Iterable[ReferralRow]) -> dict[int, int]:
    """For each referral (case id): how many other referrals about any of its children were dated in the 12
    months before its referral date (Annex A list 3 "number of referrals in last 12 months"). A referral with no
    child on record can be neither a re-referral nor an earlier one."""
    by_case = {r.case_id: r for r in referrals}
    by_child: dict[str, list[ReferralRow]] = {}
    for referral in by_case.values():
        for child in referral.children:
            by_child.setdefault(child, []).append(referral)
    found: dict[int, int] = {}
    for case_id in referred:
        this = by_case.get(case_id)
        earlier: set[int] = set()
        if this is not None:
            since = year_before(this.referred_at)
            for child in this.children:
                earlier.update(r.case_id for r in by_child[child]
                               if since <= r.referred_at
                               and (r.referred_at, r.case_id) < (this.referred_at, this.case_id))
        found[case_id] = len(earlier)
    return found


def re_referrals(referred: Iterable[int], referrals: Iterable[ReferralRow]) -> ReReferrals:
    """The referrals dated in the period (``referred``), each with its earlier referrals."""
    return ReReferrals(previous_referrals(referred, referrals))


# ----------------------------------------------------------------------------- conversions
@dataclass(frozen=True)
class Conversions:
    contacts: int
    referrals: int
    strategy_discussions: int
    section_47: int

    def stages(self) -> list[tuple[str, str, int, float | None, float | None]]:
        """(key, label, count, % of contacts, % of the stage before)."""
        counts = [("contacts", "Contacts", self.contacts), ("referrals", "Referrals", self.referrals),
                  ("strategy_discussions", "Strategy discussions", self.strategy_discussions),
                  ("section_47", "Section 47 enquiries", self.section_47)]
        return [(key, label, n, percent(n, self.contacts), percent(n, counts[i - 1][2]) if i else None)
                for i, (key, label, n) in enumerate(counts)]

    def table(self) -> Table:
        columns = (Column("stage", "Stage", False), Column("count", "Number"),
                   Column("percent_of_contacts", "% of contacts"),
                   Column("percent_of_previous", "% of the stage before"))
        return Table("conversions", "From contact to section 47 enquiry", columns,
                     [(label, n, of_contacts, of_previous) for _, label, n, of_contacts, of_previous in self.stages()])


def conversions(contacts: Sequence[ContactRow], strategy: dict[int, list[str]]) -> Conversions:
    """What became of the contacts received in the period (a cohort, so each stage is a share of them, whenever
    it happened): a referral once decided as one, a strategy discussion once it is recorded, section 47 when one
    recorded a section 47 outcome. Referrals by their own date are the re-referrals table's."""
    return Conversions(
        contacts=len(contacts), referrals=sum(is_referral(c.outcome) for c in contacts),
        strategy_discussions=sum(c.case_id in strategy for c in contacts),
        section_47=sum(any(is_section_47(o) for o in strategy.get(c.case_id, ())) for c in contacts))


# ----------------------------------------------------------------------------- volume
@dataclass(frozen=True)
class VolumeBucket:
    start: date
    label: str
    #: final RAG (None: not rated yet, or never screened) -> contacts received.
    counts: Counter = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Volume:
    unit: str  # "week" | "month"
    buckets: list[VolumeBucket]

    def table(self) -> Table:
        heading = "Week beginning" if self.unit == "week" else "Month"
        columns = (Column(self.unit, heading, False), *(Column(rag, RAG_LABELS[rag]) for rag in RAGS),
                   Column("not_rated", "Not rated"), Column("contacts", "Contacts"))
        rows = [(b.start.isoformat() if self.unit == "week" else b.start.strftime("%Y-%m"),
                 *(b.counts[rag] for rag in RAGS), b.counts[None], b.total) for b in self.buckets]
        return Table("volume", f"Contacts received per {self.unit}, by final RAG rating", columns, rows)


def _bucket_start(day: date, unit: str) -> date:
    return day - timedelta(days=day.weekday()) if unit == "week" else day.replace(day=1)


def _next_bucket(start: date, unit: str) -> date:
    if unit == "week":
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def volume(contacts: Iterable[ContactRow], filters: ReportFilters) -> Volume:
    unit = "week" if filters.date_to - filters.date_from < WEEKLY_UP_TO else "month"
    buckets: dict[date, VolumeBucket] = {}
    start = _bucket_start(filters.date_from, unit)
    while start <= filters.date_to:
        label = f"{start:%-d %b}" if unit == "week" else f"{start:%b %Y}"
        buckets[start] = VolumeBucket(start, label)
        start = _next_bucket(start, unit)
    for contact in contacts:
        day = contact.received_at.astimezone(LONDON).date()
        bucket = buckets.get(_bucket_start(day, unit))
        if bucket is not None:
            bucket.counts[contact.rag if contact.rag in RAG_LABELS else None] += 1
    return Volume(unit, list(buckets.values()))
