"""The hub's calendar: turns "1 working day" into an instant (Europe/London, bank holidays, closures)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")


def london(value: datetime | None, fmt: str = "%-d %b %Y %H:%M") -> str:
    """A stored UTC time as the hub reads it, in London time (pages, CSVs, the information product's PDF)."""
    if value is None:
        return ""
    return value.astimezone(LONDON).strftime(fmt)


def london_instant(day: date, clock: str) -> datetime:
    """A date and a UK wall-clock time as a form gives them ("14:30") as the UTC instant they name."""
    return datetime.combine(day, time.fromisoformat(clock), LONDON).astimezone(UTC)


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


@dataclass(frozen=True)
class HubCalendar:
    """Working hours (default 09:00-17:30 Monday to Friday), England and Wales bank holidays, local closures."""

    opens: time = time(9, 0)
    closes: time = time(17, 30)
    closure_days: frozenset[date] = field(default_factory=frozenset)
    working_weekdays: frozenset[int] = frozenset(range(5))

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.working_weekdays and day not in _bank_holidays(day.year) \
            and day not in self.closure_days

    def next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        for _ in range(3660):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        raise ValueError("the calendar has no working day in the next ten years")

    def _opening(self, day: date) -> datetime:
        return datetime.combine(day, self.opens, LONDON)

    def _closing(self, day: date) -> datetime:
        return datetime.combine(day, self.closes, LONDON)

    @property
    def working_day_hours(self) -> float:
        """The length of one working day, in hours (for fractions of a working day)."""
        return (datetime.combine(date.min, self.closes) - datetime.combine(date.min, self.opens)).total_seconds() / 3600

    def is_open(self, at: datetime) -> bool:
        """Whether the hub is open at ``at`` (a working day, between opening and close)."""
        local = at.astimezone(LONDON)
        return self.is_working_day(local.date()) and self._opening(local.date()) <= local < self._closing(local.date())

    def next_opening(self, at: datetime) -> datetime:
        """``at`` itself when the hub is open, else the moment it next opens."""
        local = at.astimezone(LONDON)
        day = local.date()
        if self.is_working_day(day) and local < self._closing(day):
            return max(local, self._opening(day)).astimezone(UTC)
        return self._opening(self.next_working_day(day)).astimezone(UTC)

    def add_working_days(self, start: datetime | date, days: int) -> datetime:
        """Close of business on the n-th working day after the day of ``start`` (n=0: close of that day)."""
        day = start.astimezone(LONDON).date() if isinstance(start, datetime) else start
        for _ in range(days):
            day = self.next_working_day(day)
        return self._closing(day).astimezone(UTC)

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """Count only time inside working hours; out-of-hours time does not use up the clock."""
        remaining = timedelta(hours=hours)
        local = self.next_opening(start).astimezone(LONDON)
        while True:
            available = self._closing(local.date()) - local
            if remaining <= available:
                return (local + remaining).astimezone(UTC)
            remaining -= available
            local = self._opening(self.next_working_day(local.date()))

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """How much of the span from ``start`` to ``end`` falls inside working hours."""
        total = timedelta(0)
        local = self.next_opening(start).astimezone(LONDON)
        end = end.astimezone(LONDON)
        while local < end:
            closing = self._closing(local.date())
            total += min(closing, end) - local
            local = self._opening(self.next_working_day(local.date()))
        return total


calendar = HubCalendar()
