"""Operation Encompass's school-day calendar (``processes/schools.toml``): the schools the hub tells, their
designated safeguarding leads, and "before the start of the next school day" for a school after an incident.

Pure functions over the file's text; hub-wide and current like the repeat-concern rules (a new DSL or an
INSET day counts from now on), read again when the file changes. A school day is a weekday inside one of the
school's terms that is neither a bank holiday (England and Wales) nor one of its INSET days.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from app.core.calendar import LONDON, _bank_holidays
from app.core.rule_files import RuleFile, processes_folder
from app.core.toml_lines import decode_error_line

SCHOOLS_FILE = "schools.toml"
#: How far ahead a next school day is looked for (a school with no term listed for a year has none).
_HORIZON_DAYS = 400


class SchoolsError(ValueError):
    """schools.toml was refused; the message names the file and, where it can, the line."""


@dataclass(frozen=True)
class School:
    id: str
    name: str
    dsl_name: str
    dsl_email: str
    dsl_phone: str
    day_starts: time
    terms: tuple[tuple[date, date], ...]
    inset_days: frozenset[date]

    def is_school_day(self, day: date) -> bool:
        return (day.weekday() < 5 and any(first <= day <= last for first, last in self.terms)
                and day not in self.inset_days and day not in _bank_holidays(day.year))

    def next_day_start(self, after: datetime) -> datetime:
        """The start of the first school day that begins after ``after`` (an aware instant): a notification
        made before that moment reached the school before the child did."""
        local = after.astimezone(LONDON)
        day = local.date()
        for _ in range(_HORIZON_DAYS):
            start = datetime.combine(day, self.day_starts, LONDON)
            if start > local and self.is_school_day(day):
                return start.astimezone(UTC)
            day += timedelta(days=1)
        raise SchoolsError(f"{self.name} has no school day in the {_HORIZON_DAYS} days after {local.date()}: "
                           f"add its next terms to processes/{SCHOOLS_FILE}")


def _time(text: Any, where: str) -> time:
    try:
        return time.fromisoformat(str(text))
    except ValueError:
        raise SchoolsError(f"{where}: '{text}' is not a time like \"08:45\"") from None


def _date(text: Any, where: str) -> date:
    if isinstance(text, date):
        return text
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        raise SchoolsError(f"{where}: '{text}' is not a date like \"2027-01-05\"") from None


def parse_schools(text: str, file: str = f"processes/{SCHOOLS_FILE}") -> dict[str, School]:
    """The schools by id; raises SchoolsError naming what is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SchoolsError(f"{file} line {decode_error_line(error)}: not valid TOML: {error}") from None
    default_start = _time(data.get("school_day", {}).get("starts", "08:45"), f"{file} [school_day] starts")
    term_sets: dict[str, tuple[tuple[date, date], ...]] = {}
    for name, entry in (data.get("terms") or {}).items():
        terms = []
        for pair in entry.get("dates", []):
            if not isinstance(pair, list) or len(pair) != 2:
                raise SchoolsError(f"{file} [terms.{name}]: each term is [first day, last day]")
            first, last = _date(pair[0], f"{file} [terms.{name}]"), _date(pair[1], f"{file} [terms.{name}]")
            if last < first:
                raise SchoolsError(f"{file} [terms.{name}]: the term {first} to {last} ends before it starts")
            terms.append((first, last))
        term_sets[name] = tuple(terms)
    schools: dict[str, School] = {}
    for entry in data.get("school", []):
        where = f"{file} school '{entry.get('id', '?')}'"
        missing = [key for key in ("id", "name", "dsl_name", "dsl_email", "dsl_phone", "terms") if not entry.get(key)]
        if missing:
            raise SchoolsError(f"{where}: add {', '.join(missing)}")
        if entry["terms"] not in term_sets:
            raise SchoolsError(f"{where}: terms '{entry['terms']}' is not a [terms.<name>] of the file")
        if entry["id"] in schools:
            raise SchoolsError(f"{where}: the id is listed twice")
        schools[entry["id"]] = School(
            id=entry["id"], name=entry["name"], dsl_name=entry["dsl_name"], dsl_email=entry["dsl_email"],
            dsl_phone=entry["dsl_phone"], day_starts=_time(entry.get("day_starts", default_start), where),
            terms=term_sets[entry["terms"]],
            inset_days=frozenset(_date(day, where) for day in entry.get("inset_days", [])))
    return schools


_FILE = RuleFile(lambda text, _name: parse_schools(text), SchoolsError, what="schools",
                 unreadable=lambda name, error: SchoolsError(f"{name}: cannot be read: {error.strerror}"))


def hub_schools(folder: Path | None = None) -> dict[str, School]:
    """The hub's schools, next to the diagrams (``MASH_PROCESSES_DIR``), read again when the file changes."""
    path = (folder or processes_folder()) / SCHOOLS_FILE
    return _FILE.load(path, keep_last_good=False) if path.exists() else {}


def schools_to_tell(children: Any, schools: dict[str, School]) -> list[str]:
    """The listed schools of the children on a notification (``da_children``), each once, in order."""
    found: list[str] = []
    for child in children or []:
        school = child.get("school") if isinstance(child, dict) else None
        if school in schools and school not in found:
            found.append(school)
    return found


def next_school_day(school_ids: list[str] | str, after: datetime, schools: dict[str, School]) -> datetime | None:
    """Before the start of the next school day: the earliest next start among the schools (None: none listed)."""
    ids = [school_ids] if isinstance(school_ids, str) else list(school_ids or [])
    starts = [schools[i].next_day_start(after) for i in ids if i in schools]
    return min(starts) if starts else None


def school_days_between(school: School, start: datetime, end: datetime) -> int:
    """How many of the school's days began after ``start`` and by ``end``: 0 when the school was told before
    the next school day started (MI: time to Encompass notification in school-day terms)."""
    count, at = 0, start
    while True:
        begins = school.next_day_start(at)
        if begins > end:
            return count
        count, at = count + 1, begins
