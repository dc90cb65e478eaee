"""Functions diagrams may call in conditions, scripts and timer expressions.

Timer expressions must yield an ISO-8601 instant with an offset: SpiffWorkflow reads naive times
in a fixed offset captured at import, which is wrong across the clock changes.

Every function checks its arguments and says what is wrong (a days count of 1,900,000 would walk the
calendar for 18 seconds); names.py applies the same limits at deploy to the numbers written in a diagram.

The deadline functions answer with the due time; evaluated inside ``at_risk_mode()`` the same
expression answers with the moment the deadline becomes at risk, so one expression in the diagram
gives both and a process owner only ever writes the deadline.
"""
from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from app.core import schools as school_days
from app.core.calendar import LONDON
from app.core.clock import now as clock_now
from app.core.marac_meetings import hub_meetings
from app.core.sla import SlaConfig, Window, working_days_window

#: What a timer expression returns when there is no deadline (a RAG level whose unit is "none").
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)

#: The functions that count a RAG level's clock: a timer calling one is a `rag` deadline and moves on re-rating.
RAG_CLOCK = re.compile(r"\b(rag_deadline|decision_due)\s*\(")

_AT_RISK: ContextVar[bool] = ContextVar("at_risk", default=False)

#: The longest span a deadline may be set from its start: ten years of working days, or of hours.
MAX_WORKING_DAYS = 3650
MAX_HOURS = 87_600

#: (function, parameter) -> (least, most): the ranges the functions check, at run time and at deploy.
LIMITS: dict[tuple[str, str], tuple[int, int]] = {
    ("add_working_days", "days"): (0, MAX_WORKING_DAYS),
    ("add_hours", "hours"): (0, MAX_HOURS),
    ("add_working_hours", "hours"): (0, MAX_HOURS),
}


class ArgumentError(ValueError):
    """A diagram function was given an argument it cannot use; the message says which and why."""


def _number(function: str, parameter: str, value: Any, *, whole: bool) -> float:
    least, most = LIMITS[(function, parameter)]
    kind = "a whole number" if whole else "a number"
    if isinstance(value, str):  # case data from a text field: "5" still counts
        with contextlib.suppress(ValueError):
            value = float(value.strip())
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ArgumentError(f"{function}(): {parameter} must be {kind} from {least:,} to {most:,}, "
                            f"not {type(value).__name__} {str(value)[:40]!r}")
    if not least <= value <= most or (whole and value != int(value)):
        raise ArgumentError(f"{function}(): {parameter} must be {kind} from {least:,} to {most:,}, not {value:,}")
    return value


def check_literal_arguments(function: str, arguments: dict[str, Any]) -> None:
    """Apply the run-time checks to the arguments a diagram writes out (names.py, at deploy)."""
    for parameter, value in arguments.items():
        if (function, parameter) in LIMITS:
            _number(function, parameter, value, whole=parameter == "days")


@contextlib.contextmanager
def at_risk_mode() -> Iterator[None]:
    token = _AT_RISK.set(True)
    try:
        yield
    finally:
        _AT_RISK.reset(token)


#: What a diagram passes as a start: case data holds ISO text; a diagram function's answer may be passed on.
Instant = str | datetime | date


def _instant(value: Instant) -> datetime | date:
    if isinstance(value, (datetime, date)):
        return value
    text = str(value).strip()
    if len(text) == 10:
        return date.fromisoformat(text)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"time {text!r} has no offset")
    return parsed


def _time(value: Instant, function: str) -> datetime:
    start = _instant(value)
    if not isinstance(start, datetime):
        raise ValueError(f"{function} needs a time, not a date")
    return start


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _answer(window: Window | None) -> str:
    if window is None:
        return _iso(NO_DEADLINE)
    return _iso(window.at_risk_at if _AT_RISK.get() else window.due_at)


def now() -> str:
    return _iso(clock_now())


def diagram_functions(config: SlaConfig) -> dict[str, Callable[..., Any]]:
    """The sandbox's functions, bound to one definition's calendar and SLA policies."""
    calendar = config.calendar
    share = config.statutory_at_risk

    def add_hours(start: Instant, hours: float) -> str:
        hours = _number("add_hours", "hours", hours, whole=False)
        begin = _time(start, "add_hours")
        return _answer(Window(begin + timedelta(hours=hours * share), begin + timedelta(hours=hours)))

    def add_working_days(start: Instant, days: int) -> str:
        days = int(_number("add_working_days", "days", days, whole=True))
        return _answer(working_days_window(_instant(start), days, share, calendar))

    def add_working_hours(start: Instant, hours: float) -> str:
        hours = _number("add_working_hours", "hours", hours, whole=False)
        begin = _time(start, "add_working_hours")
        return _answer(Window(calendar.add_working_hours(begin, hours * share),
                              calendar.add_working_hours(begin, hours)))

    def rag_deadline(rag: str, start: Instant) -> str:
        return _answer(config.policy(rag).window(_time(start, "rag_deadline"), calendar))

    def decision_due(rag: str, received_at: Instant, checks_requested_at: Instant | None = None) -> str:
        """The MASH decision's deadline, armed at screening; the checks were requested at
        ``checks_requested_at`` (default: now)."""
        received = _time(received_at, "decision_due")
        requested = clock_now() if checks_requested_at is None else _time(checks_requested_at, "decision_due")
        return _answer(config.policy(rag).decision_window(received, requested, calendar))

    def timescale(name: str, start: Instant) -> str:
        """A named timescale from the policy file (confirming immediate risk within the hour, the strategy
        discussion within a working day). A date counts from that day."""
        policy = config.timescale(name)
        begin = _instant(start)
        if not isinstance(begin, datetime) and policy.unit != "working-days":
            begin = calendar.next_opening(datetime.combine(begin, time(0), LONDON))  # a date: from that morning
        if not isinstance(begin, datetime):
            return _answer(working_days_window(begin, int(policy.duration), policy.at_risk, calendar))
        return _answer(policy.window(begin, calendar))

    def hub_open(at: Instant) -> bool:
        return calendar.is_open(_time(at, "hub_open"))

    def next_opening(at: Instant) -> str:
        opening = calendar.next_opening(_time(at, "next_opening"))
        return _iso(opening)

    def schools_to_tell(children: Any) -> list[str]:
        """Operation Encompass: the listed schools (processes/schools.toml) of the children on a notification."""
        return school_days.schools_to_tell(children, school_days.hub_schools())

    def next_school_day(schools: list[str] | str, start: Instant) -> str:
        """Before the start of the next school day after ``start`` (the earliest of the schools')."""
        begin = _time(start, "next_school_day")
        due = school_days.next_school_day(schools, begin, school_days.hub_schools())
        return _answer(None if due is None else Window(begin + (due - begin) * share, due))

    def next_marac_meeting(start: Instant) -> str | None:
        """The date of the next MARAC meeting taking referrals made at ``start`` (processes/marac-meetings.toml)."""
        meeting = hub_meetings().next_meeting(_time(start, "next_marac_meeting"), calendar)
        return meeting.isoformat() if meeting else None

    def uk_time(day: Instant, clock: str) -> str:
        """The instant a form's date and 24-hour UK time ("23:30") stand for (a missing child's return)."""
        begin = _instant(day)
        if isinstance(begin, datetime):
            begin = begin.astimezone(LONDON).date()
        try:
            hours, minutes = (int(part) for part in str(clock).strip().split(":"))
            return _iso(datetime.combine(begin, time(hours, minutes), LONDON))
        except ValueError:
            raise ArgumentError("uk_time(): the time must be hours and minutes like 23:30, "
                                f"not {str(clock)[:10]!r}") from None

    return {
        "uk_time": uk_time,
        "schools_to_tell": schools_to_tell,
        "next_school_day": next_school_day,
        "next_marac_meeting": next_marac_meeting,
        "now": now,
        "add_hours": add_hours,
        "add_working_days": add_working_days,
        "add_working_hours": add_working_hours,
        "rag_deadline": rag_deadline,
        "decision_due": decision_due,
        "timescale": timescale,
        "hub_open": hub_open,
        "next_opening": next_opening,
    }

