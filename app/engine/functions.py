"""Functions diagrams may call in conditions, scripts and timer expressions.

Timer expressions must yield an ISO-8601 instant with an offset: SpiffWorkflow reads naive times
in a fixed offset captured at import, which is wrong across the clock changes.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

from app.core.calendar import calendar
from app.core.clock import now as clock_now


def _instant(value: str | datetime | date) -> datetime | date:
    if isinstance(value, (datetime, date)):
        return value
    text = str(value).strip()
    if len(text) == 10:
        return date.fromisoformat(text)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"time {text!r} has no offset")
    return parsed


def _iso(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat()


def now() -> str:
    return _iso(clock_now())


def add_hours(start, hours: float) -> str:
    start = _instant(start)
    if isinstance(start, date) and not isinstance(start, datetime):
        raise ValueError("add_hours needs a time, not a date")
    return _iso(start + timedelta(hours=hours))


def add_working_days(start, days: int) -> str:
    return _iso(calendar.add_working_days(_instant(start), int(days)))


def add_working_hours(start, hours: float) -> str:
    start = _instant(start)
    if not isinstance(start, datetime):
        raise ValueError("add_working_hours needs a time, not a date")
    return _iso(calendar.add_working_hours(start, hours))


#: RAG timescales (issue 3 makes these configurable per hub).
_RAG_TIMESCALES: dict[str, Callable[[object], str]] = {
    "red": lambda start: add_hours(start, 4),
    "amber": lambda start: add_working_days(start, 1),
    "green": lambda start: add_working_days(start, 3),
}


def rag_deadline(rag: str, start) -> str:
    try:
        return _RAG_TIMESCALES[rag](start)
    except KeyError:
        raise ValueError(f"no timescale for RAG rating {rag!r}") from None


DIAGRAM_FUNCTIONS: dict[str, Callable] = {
    "now": now,
    "add_hours": add_hours,
    "add_working_days": add_working_days,
    "add_working_hours": add_working_hours,
    "rag_deadline": rag_deadline,
}
