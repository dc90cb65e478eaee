"""The hub's calendar: turns "1 working day" into an instant (Europe/London, bank holidays)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


@dataclass(frozen=True)
class HubCalendar:
    """Working hours 09:00-17:30 Monday to Friday, England and Wales bank holidays, local closures."""

    opens: time = time(9, 0)
    closes: time = time(17, 30)
    closure_days: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in _bank_holidays(day.year) and day not in self.closure_days

    def next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, start: datetime | date, days: int) -> datetime:
        """Close of business on the n-th working day after the day of ``start``."""
        day = start.astimezone(LONDON).date() if isinstance(start, datetime) else start
        for _ in range(days):
            day = self.next_working_day(day)
        return datetime.combine(day, self.closes, LONDON).astimezone(timezone.utc)

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """Count only time inside working hours; out-of-hours time does not use up the clock."""
        remaining = timedelta(hours=hours)
        local = start.astimezone(LONDON)
        while True:
            day = local.date()
            opens = datetime.combine(day, self.opens, LONDON)
            closes = datetime.combine(day, self.closes, LONDON)
            if not self.is_working_day(day) or local >= closes:
                local = datetime.combine(self.next_working_day(day), self.opens, LONDON)
                continue
            local = max(local, opens)
            available = closes - local
            if remaining <= available:
                return (local + remaining).astimezone(timezone.utc)
            remaining -= available
            local = datetime.combine(self.next_working_day(day), self.opens, LONDON)


calendar = HubCalendar()
