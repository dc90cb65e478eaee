"""What a typed query is: its kind (reference, NHS number, date of birth, postcode or name) and its value,
read the ways people type them (``3/4/2015``, ``2015-04-03``, ``3 April 2015``; ``943 476 5919``; ``e1 7aa``)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from app.people.names import is_valid_nhs_number, normalise_name

REFERENCE, NAME, DOB, NHS_NUMBER, POSTCODE = "reference", "name", "dob", "nhs-number", "postcode"
#: The kinds of query, as the audit trail records them (never the text typed).
KINDS = (REFERENCE, NAME, DOB, NHS_NUMBER, POSTCODE)
#: Longest query read: a name or an identifier, never a paragraph.
MAX_LENGTH = 100

_REFERENCE = re.compile(r"(?:MASH[- ]?)?(\d{4})[- ](\d{1,6})", re.IGNORECASE)
_NHS = re.compile(r"\d{3}[ -]?\d{3}[ -]?\d{4}")
_POSTCODE = re.compile(r"([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})")
_DAY_FIRST = re.compile(r"(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{4})")
_YEAR_FIRST = re.compile(r"(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})")
_WORDED = re.compile(r"(\d{1,2})(?:st|nd|rd|th)? ([A-Za-z]{3,9})\.?,? (\d{4})")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")


@dataclass(frozen=True)
class Query:
    """One query, read. ``problem`` says why it cannot be searched as typed (then nothing is looked up)."""

    kind: str
    reference: str | None = None
    nhs_number: str | None = None
    born: date | None = None
    postcode: str | None = None
    words: tuple[str, ...] = ()
    problem: str | None = None


def read_query(text: str) -> Query | None:
    """The query's kind and value; None for an empty query."""
    typed = " ".join((text or "").split())[:MAX_LENGTH]
    if not typed:
        return None
    if match := _REFERENCE.fullmatch(typed):
        return Query(REFERENCE, reference=f"MASH-{match.group(1)}-{int(match.group(2)):06d}")
    if _NHS.fullmatch(typed):
        number = re.sub(r"\D", "", typed)
        if not is_valid_nhs_number(number):
            return Query(NHS_NUMBER, problem="This is not a valid NHS number: check the 10 digits")
        return Query(NHS_NUMBER, nhs_number=number)
    dob = _read_date(typed)
    if dob is not None:
        return dob
    if match := _POSTCODE.fullmatch(typed.upper()):
        return Query(POSTCODE, postcode=match.group(1) + match.group(2))
    words = tuple(normalise_name(typed).split())
    if not words:
        return Query(NAME, problem="Enter a case reference, name, date of birth, NHS number or postcode")
    return Query(NAME, words=words)


def _read_date(typed: str) -> Query | None:
    if match := _DAY_FIRST.fullmatch(typed):
        day, month, year = (int(part) for part in match.groups())
    elif match := _YEAR_FIRST.fullmatch(typed):
        year, month, day = (int(part) for part in match.groups())
    elif (match := _WORDED.fullmatch(typed)) and (month := _month(match.group(2))):
        day, year = int(match.group(1)), int(match.group(3))
    else:
        return None
    try:
        return Query(DOB, born=date(year, month, day))
    except ValueError:
        return Query(DOB, problem="This is not a real date: a date of birth is like 3/4/2015 or 2015-04-03")


def _month(word: str) -> int:
    word = word.lower()
    for number, name in enumerate(_MONTHS, start=1):
        if name.startswith(word) and len(word) >= 3:
            return number
    return 0
