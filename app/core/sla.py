"""SLA policies: how long each RAG rating gives the hub, counted the way this hub counts.

Process owners edit ``processes/sla-policies.toml`` next to the diagrams; it is deployed with them, so a
case keeps the policies of the version it started on. Hubs count differently (DOMAIN.md 1.4): elapsed
hours, working hours or working days, and some keep Red running out of hours. The ratings themselves
(codes, words, order) are app.core.vocabulary's; only their timescales are configured here.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from app.core.calendar import WEEKDAYS, HubCalendar
from app.core.toml_lines import decode_error_line, key_line
from app.core.vocabulary import AMBER, BLUE, GREEN, RAG_CODES, RED

POLICY_FILE = "sla-policies.toml"
UNITS = ("elapsed-hours", "working-hours", "working-days", "none")
DEFAULT_AT_RISK = 0.75


@dataclass(frozen=True)
class Window:
    """When a deadline becomes at risk and when it is breached."""

    at_risk_at: datetime
    due_at: datetime


@dataclass(frozen=True)
class SlaPolicy:
    level: str
    unit: str
    duration: float = 0
    at_risk: float = DEFAULT_AT_RISK
    out_of_hours: bool = False
    #: Time the MASH decision gets after the timescale, in the level's unit; None: a quarter of the duration.
    decision_allowance: float | None = None

    def window(self, start: datetime, calendar: HubCalendar) -> Window | None:
        """The deadline for work started at ``start``; None when the level has no timescale."""
        if self.unit == "none":
            return None
        if self.unit == "working-days":
            return working_days_window(start, int(self.duration), self.at_risk, calendar)
        if self.unit == "working-hours" and not self.out_of_hours:
            return Window(calendar.add_working_hours(start, self.duration * self.at_risk),
                          calendar.add_working_hours(start, self.duration))
        # Elapsed hours, started at once (out of hours) or when the hub next opens. Working hours that
        # "run to completion out of hours" (Luton's Red rule) start in working hours and then never pause.
        begin = start if (self.unit == "elapsed-hours" and self.out_of_hours) else calendar.next_opening(start)
        return Window(begin + timedelta(hours=self.duration * self.at_risk), begin + timedelta(hours=self.duration))


    def decision_window(self, received: datetime, requested: datetime, calendar: HubCalendar) -> Window | None:
        """The contact's clock (DOMAIN 1.5): the timescale from receipt plus the decision allowance, and never
        before the agency checks requested at ``requested`` are due, since the decision waits for them."""
        timescale = self.window(received, calendar)
        checks = self.window(requested, calendar)
        if timescale is None or checks is None:
            return None
        allowance = self.duration / 4 if self.decision_allowance is None else self.decision_allowance
        due = timescale.due_at
        if self.unit == "working-days":
            whole = int(allowance)
            due = calendar.add_working_days(due, whole) if whole else due
            if allowance > whole:
                due = calendar.add_working_hours(due, (allowance - whole) * calendar.working_day_hours)
        elif self.unit == "working-hours" and not self.out_of_hours:
            due = calendar.add_working_hours(due, allowance)
        else:
            due = due + timedelta(hours=allowance)
        due = max(due, checks.due_at)
        if self.unit == "elapsed-hours" and self.out_of_hours:
            return Window(received + (due - received) * self.at_risk, due)
        used = calendar.working_time_between(received, due) * self.at_risk
        return Window(calendar.add_working_hours(received, used.total_seconds() / 3600), due)


def working_days_window(start: datetime | date, days: int, at_risk: float, calendar: HubCalendar) -> Window:
    due = calendar.add_working_days(start, days)
    if not isinstance(start, datetime):
        start = calendar.next_opening(datetime.combine(start, time(0), due.tzinfo))
    used = calendar.working_time_between(start, due) * at_risk
    return Window(calendar.add_working_hours(start, used.total_seconds() / 3600), due)


#: Named timescales for steps that are not a RAG level's (diagrams call timescale(name, start)).
DEFAULT_TIMESCALES: dict[str, SlaPolicy] = {
    "confirm-immediate-risk": SlaPolicy("confirm-immediate-risk", "elapsed-hours", 1, out_of_hours=True),
    # The strategy discussion's own clocks (DOMAIN.md 1.2: local, not national): held within 1 working day of the
    # decision; after an urgent telephone discussion, the multi-agency strategy meeting within 5 working days.
    "strategy-discussion": SlaPolicy("strategy-discussion", "working-days", 1),
    "strategy-meeting": SlaPolicy("strategy-meeting", "working-days", 5),
    # Adults at risk (no national timescales, DOMAIN.md 8): the section 42 decision within 2 working days of the
    # concern; a concern raised at a children's decision concluded on the adult pathway within 20 working days.
    "s42-decision": SlaPolicy("s42-decision", "working-days", 2, at_risk=0.5),
    "adult-enquiry": SlaPolicy("adult-enquiry", "working-days", 20),
    # A missing child's return home interview is offered within 72 hours of the return, day or night (statutory
    # guidance on children who run away or go missing from home or care, 2014).
    "return-home-interview": SlaPolicy("return-home-interview", "elapsed-hours", 72, out_of_hours=True),
    # An allegation against someone who works with children: the LADO told and the initial evaluation made within
    # 1 working day (Working Together; DOMAIN.md T9); the allegation management meeting within 5 (local).
    "lado-notification": SlaPolicy("lado-notification", "working-days", 1),
    "lado-meeting": SlaPolicy("lado-meeting", "working-days", 5),
}

#: The timescales when a process version has no policy file (processes/sla-policies.toml gives the same).
DEFAULT_POLICIES: dict[str, SlaPolicy] = {
    RED: SlaPolicy(RED, "elapsed-hours", 4, out_of_hours=True),
    AMBER: SlaPolicy(AMBER, "working-days", 1),
    GREEN: SlaPolicy(GREEN, "working-days", 3),
    BLUE: SlaPolicy(BLUE, "none"),
}


@dataclass(frozen=True)
class SlaConfig:
    """The hub's calendar, a policy per RAG level, and the at-risk share for statutory clocks."""

    calendar: HubCalendar = field(default_factory=HubCalendar)
    rag: dict[str, SlaPolicy] = field(default_factory=lambda: dict(DEFAULT_POLICIES))
    statutory_at_risk: float = DEFAULT_AT_RISK
    timescales: dict[str, SlaPolicy] = field(default_factory=lambda: dict(DEFAULT_TIMESCALES))

    def policy(self, level: str) -> SlaPolicy:
        try:
            return self.rag[level]
        except KeyError:
            raise ValueError(f"no SLA policy for RAG rating {level!r}") from None

    def timescale(self, name: str) -> SlaPolicy:
        try:
            return self.timescales[name]
        except KeyError:
            known = ", ".join(sorted(self.timescales)) or "none"
            raise ValueError(f"no timescale named {name!r} in {POLICY_FILE} (known: {known})") from None


@dataclass(frozen=True)
class PolicyProblem:
    message: str
    line: int | None = None


class PolicyError(Exception):
    def __init__(self, problems: list[PolicyProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


def load_policies(text: str | None) -> SlaConfig:
    """Parse the policy file; every problem is reported with its line, nothing half-applies."""
    if text is None:
        return SlaConfig()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError([PolicyProblem(f"not valid TOML: {error}", decode_error_line(error))]) from None
    reader = _Reader(text)
    config = reader.config(data)
    if reader.problems:
        raise PolicyError(reader.problems)
    return config


class _Reader:
    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.problems: list[PolicyProblem] = []

    def line_of(self, table: str, key: str | None = None) -> int | None:
        header = re.compile(rf"^\s*\[\s*{re.escape(table)}\s*\]")
        start = next((i for i, line in enumerate(self.lines) if header.match(line)), None)
        return None if start is None else key_line(self.lines, start, key)

    def add(self, message: str, table: str, key: str | None = None) -> None:
        self.problems.append(PolicyProblem(message, self.line_of(table, key)))

    def unknown(self, table: str, values: dict[str, Any], known: tuple[str, ...]) -> None:
        for key in values:
            if key not in known:
                self.add(f"[{table}] has no setting '{key}' (known: {', '.join(known)})", table, key)

    def fraction(self, table: str, values: dict[str, Any]) -> float:
        value = values.get("at_risk", DEFAULT_AT_RISK)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
            self.add(f"[{table}] at_risk must be a share of the time between 0 and 1, e.g. 0.75", table, "at_risk")
            return DEFAULT_AT_RISK
        return float(value)

    def clock_time(self, values: dict[str, Any], key: str, default: time) -> time:
        value = values.get(key, default.strftime("%H:%M"))
        try:
            return time.fromisoformat(value) if isinstance(value, str) else time(value.hour, value.minute)
        except (ValueError, AttributeError):
            self.add(f"[calendar] {key} must be a time of day such as \"09:00\"", "calendar", key)
            return default

    def config(self, data: dict[str, Any]) -> SlaConfig:
        for table in data:
            if table not in ("calendar", "statutory", "rag", "timescales"):
                self.add(f"unknown section [{table}] (known: calendar, statutory, rag, timescales)", table)
        calendar = self.calendar(data.get("calendar", {}))
        statutory = data.get("statutory", {})
        self.unknown("statutory", statutory, ("at_risk",))
        rag = {level: self.policy(level, values) for level, values in data.get("rag", {}).items()}
        for level in rag:
            if level not in RAG_CODES:
                self.add(f"[rag.{level}] is not a RAG rating (known: {', '.join(RAG_CODES)})", f"rag.{level}")
        for level in RAG_CODES:
            if level not in rag:
                self.problems.append(PolicyProblem(f"there is no policy for {level}: add a [rag.{level}] section"))
        timescales = dict(DEFAULT_TIMESCALES)
        timescales.update({name: self.policy(name, values, section="timescales")
                           for name, values in data.get("timescales", {}).items()})
        return SlaConfig(calendar=calendar, rag=rag, statutory_at_risk=self.fraction("statutory", statutory),
                         timescales=timescales)

    def calendar(self, values: dict[str, Any]) -> HubCalendar:
        self.unknown("calendar", values, ("opens", "closes", "working_days", "closure_days"))
        opens = self.clock_time(values, "opens", time(9, 0))
        closes = self.clock_time(values, "closes", time(17, 30))
        if closes <= opens:
            self.add("[calendar] closes must be later than opens", "calendar", "closes")
        weekdays = values.get("working_days", list(WEEKDAYS[:5]))
        if not isinstance(weekdays, list) or not weekdays or any(day not in WEEKDAYS for day in weekdays):
            self.add(f"[calendar] working_days must list days from {', '.join(WEEKDAYS)}", "calendar", "working_days")
            weekdays = list(WEEKDAYS[:5])
        closures: set[date] = set()
        for value in values.get("closure_days", []):
            try:
                closures.add(value if isinstance(value, date) else date.fromisoformat(str(value)))
            except ValueError:
                self.add(f"[calendar] closure day {value!r} is not a date such as \"2026-12-24\"", "calendar",
                         "closure_days")
        return HubCalendar(opens=opens, closes=closes, closure_days=frozenset(closures),
                           working_weekdays=frozenset(WEEKDAYS.index(day) for day in weekdays))

    def policy(self, level: str, values: object, section: str = "rag") -> SlaPolicy:
        table = f"{section}.{level}"
        if not isinstance(values, dict):
            self.add(f"{table} must be a section", section)
            return SlaPolicy(level, "none")
        self.unknown(table, values, ("duration", "unit", "at_risk", "out_of_hours", "decision_allowance"))
        unit = values.get("unit")
        if unit not in UNITS:
            self.add(f"[{table}] unit must be one of {', '.join(UNITS)}", table, "unit")
            return SlaPolicy(level, "none")
        at_risk = self.fraction(table, values)
        out_of_hours = values.get("out_of_hours", unit == "elapsed-hours")
        if not isinstance(out_of_hours, bool):
            self.add(f"[{table}] out_of_hours must be true or false", table, "out_of_hours")
            out_of_hours = False
        if unit == "none":
            return SlaPolicy(level, "none")
        duration = values.get("duration")
        if isinstance(duration, bool) or not isinstance(duration, (int, float)) or duration <= 0:
            self.add(f"[{table}] duration must be a number greater than 0", table, "duration")
            duration = 1
        if unit == "working-days":
            if duration != int(duration):
                self.add(f"[{table}] working-days needs a whole number of days", table, "duration")
            if out_of_hours:
                self.add(f"[{table}] out_of_hours does not apply to working-days (they end at close of business)",
                         table, "out_of_hours")
        allowance = values.get("decision_allowance")
        if allowance is not None and (isinstance(allowance, bool) or not isinstance(allowance, (int, float))
                                      or not 0 <= allowance <= duration * 10):
            self.add(f"[{table}] decision_allowance must be a number of {unit} from 0 to ten times the duration",
                     table, "decision_allowance")
            allowance = None
        return SlaPolicy(level, unit, float(duration), at_risk, out_of_hours,
                         None if allowance is None else float(allowance))
