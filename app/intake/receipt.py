"""A contact's true receipt time. A contact taken by phone or e-mail and typed in later was received when the
call or e-mail came in, and every clock (screening, decision, RAG timescale) runs from that time. Business
support or the MASH manager state it as they type the contact in, with a reason; it is audited.

The bounds: never in the future, and not more than RECEIPT_LOOKBACK before it is typed in. A week covers a call
taken on the Thursday before Easter and typed in on the Tuesday after, with margin; a time further back is far
more often a mistyped month or year (which would breach every deadline at once) than a contact left a week
untyped. A contact that really did wait longer is recorded as received now, and its concern says when it came.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from app.auth.authorisation import RECEIPT_TIME_ROLES
from app.core.actor import Actor
from app.core.calendar import LONDON
from app.core.errors import FieldError

#: The contact's fields (API body; the web form's date, time and reason): the hub's, not the referrer's form.
RECEIVED_AT = "received_at"
RECEIVED_AT_REASON = "received_at_reason"
RECEIPT_LOOKBACK = timedelta(days=7)
REASON_MAX = 2000

NOT_YOURS = ("Only business support or the MASH manager can record when a contact was received. Leave "
             "received_at out: the contact is received now.")
NEEDS_REASON = "Say why the contact is typed in after it was received (for example, taken by phone out of hours)"
REASON_ALONE = "Give the date and time the contact was received, or leave the reason empty"
NOT_AN_INSTANT = ("Give received_at as a date and time with its offset from UTC, for example "
                  "2027-01-04T17:45:00+00:00")
IN_FUTURE = "The time the contact was received must be now or in the past"
TOO_OLD = (f"The time the contact was received must be within the last {RECEIPT_LOOKBACK.days} days. If it really "
           "came in earlier, record it as received now and say when it came in the concern")

#: The two fields in the API's Contact schema (POST /api/v1/contacts).
RECEIPT_PROPERTIES: dict[str, dict] = {
    RECEIVED_AT: {"type": ["string", "null"], "format": "date-time",
                  "description": "Business support or the MASH manager only: when a contact taken by phone or e-mail "
                                 "was really received, with its UTC offset; not in the future, not more than "
                                 f"{RECEIPT_LOOKBACK.days} days ago. Every clock runs from it. Left out: now."},
    RECEIVED_AT_REASON: {"type": ["string", "null"], "maxLength": REASON_MAX,
                         "description": "Why the contact is typed in after it was received; required with "
                                        "received_at"},
}

#: The page's inputs: a GOV.UK date (day, month, year) and a 24-hour time, in the hub's time (Europe/London).
PAGE_DAY, PAGE_MONTH, PAGE_YEAR, PAGE_TIME = "received_on-day", "received_on-month", "received_on-year", "received_time"
PAGE_INPUTS = (PAGE_DAY, PAGE_MONTH, PAGE_YEAR, PAGE_TIME, RECEIVED_AT_REASON)


@dataclass(frozen=True)
class StatedReceipt:
    """When the contact was really received, and why that is not when it was typed in."""

    at: datetime
    reason: str


def may_state_receipt(actor: Actor) -> bool:
    return bool(actor.roles & RECEIPT_TIME_ROLES)


def stated_receipt(stated: object, reason: object, actor: Actor, typed_in_at: datetime) -> tuple[
        StatedReceipt | None, list[FieldError]]:
    """The stated receipt time and reason from a contact (None when not stated), or why they are refused."""
    if stated in (None, "") and reason in (None, ""):
        return None, []
    if stated in (None, ""):
        return None, [FieldError(RECEIVED_AT, REASON_ALONE)]
    if not may_state_receipt(actor):
        return None, [FieldError(RECEIVED_AT, NOT_YOURS)]
    errors = []
    text = reason.strip() if isinstance(reason, str) else ""
    if not text or len(text) > REASON_MAX:
        errors.append(FieldError(RECEIVED_AT_REASON, NEEDS_REASON if not text
                                 else f"The reason must be {REASON_MAX} characters or fewer"))
    at = _instant(stated)
    if at is None:
        errors.append(FieldError(RECEIVED_AT, NOT_AN_INSTANT))
    elif at > typed_in_at:
        errors.append(FieldError(RECEIVED_AT, IN_FUTURE))
    elif at < typed_in_at - RECEIPT_LOOKBACK:
        errors.append(FieldError(RECEIVED_AT, TOO_OLD))
    if errors or at is None:
        return None, errors
    return StatedReceipt(at, text), []


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    if at.tzinfo is None or at.utcoffset() is None:
        return None  # a time without its offset is ambiguous around the clock change
    return at


def from_page(form: dict[str, str]) -> tuple[str | None, list[FieldError]]:
    """The page's date and time (Europe/London) as the API's ISO instant; None when left empty."""
    day, month, year, clock_time = (form.get(name, "").strip() for name in (PAGE_DAY, PAGE_MONTH, PAGE_YEAR,
                                                                             PAGE_TIME))
    if not any((day, month, year, clock_time)):
        return None, []
    errors = []
    try:
        when = date(int(year), int(month), int(day))
    except (ValueError, OverflowError):
        errors.append(FieldError(RECEIVED_AT, "Enter the date the contact was received as a real date, "
                                              "for example 4 1 2027", anchor=PAGE_DAY))
        when = None
    moment = _clock_time(clock_time)
    if moment is None:
        errors.append(FieldError(PAGE_TIME, "Enter the time the contact was received in 24-hour time, "
                                            "for example 17:45", anchor=PAGE_TIME))
    if errors or when is None or moment is None:
        return None, errors
    return datetime.combine(when, moment, LONDON).isoformat(), []


def _clock_time(text: str) -> time | None:
    hours, _, minutes = text.replace(".", ":").partition(":")
    try:
        return time(int(hours), int(minutes))
    except ValueError:
        return None
