"""Report periods: London calendar days read from ``?from=&to=`` (both inclusive). One rule for every
page and API that filters by date, so the audit trail and the sharing report agree on what a day is."""
from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime, time, timedelta

from app.core.calendar import LONDON
from app.core.errors import FieldError

FIRST_YEAR, LAST_YEAR = 1900, 2999


def read_period(args: Mapping[str, str], errors: list[FieldError]) -> tuple[date | None, date | None]:
    """The ``from`` and ``to`` days; a value that cannot be read is an error on its field."""

    def day(name: str, what: str) -> date | None:
        raw = (args.get(name) or "").strip()
        if not raw:
            return None
        try:
            found = date.fromisoformat(raw)
        except ValueError:
            errors.append(FieldError(name, f"The {what} date must be a real date, like 2027-01-31"))
            return None
        if not FIRST_YEAR <= found.year <= LAST_YEAR:  # year 1 or 9999 overflow once turned into instants
            errors.append(FieldError(name, f"The {what} date must be between {FIRST_YEAR} and {LAST_YEAR}"))
            return None
        return found

    date_from, date_to = day("from", "start"), day("to", "end")
    if date_from and date_to and date_to < date_from:
        errors.append(FieldError("to", "The end date must be the same as or after the start date"))
    return date_from, date_to


def day_starts(date_from: date | None, date_to: date | None) -> tuple[datetime | None, datetime | None]:
    """The period as instants: from the start of ``date_from`` to the start of the day after ``date_to``."""
    start = datetime.combine(date_from, time(0), LONDON) if date_from else None
    end = datetime.combine(date_to + timedelta(days=1), time(0), LONDON) if date_to else None
    return start, end


def read_choice(args: Mapping[str, str], name: str, allowed: Collection[str], message: str,
                errors: list[FieldError]) -> str | None:
    """A filter picked from a list (``?rag=red``): blank is no filter; anything off the list is an error."""
    raw = (args.get(name) or "").strip()
    if raw and raw not in allowed:
        errors.append(FieldError(name, message))
        return None
    return raw or None
