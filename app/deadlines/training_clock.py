"""The training sandbox's clock: trainers move time forward so deadlines fall due during a session."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from app.core.clock import clock, now
from app.core.errors import FieldError, ValidationFailed

_DURATION = re.compile(r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
                       r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$")


def parse_duration(text: str) -> timedelta:
    """ISO 8601 durations without years or months (their length depends on the date): PT5H, P1DT2H, P2W."""
    match = _DURATION.match(text.strip().upper()) if isinstance(text, str) else None
    if not match or text.strip().upper() in ("P", "PT") or text.strip().upper().endswith("T"):
        raise ValueError(text)
    parts = {key: float(value) for key, value in match.groupdict().items() if value}
    return timedelta(**parts)


def set_training_clock(body: dict) -> datetime:
    """Move the clock forward by {"advance": "PT5H"} or to {"set": "2027-01-04T09:00:00Z"}; it keeps running."""
    unknown = sorted(set(body) - {"advance", "set"})
    if unknown:
        raise ValidationFailed([FieldError(key, f"Unknown field {key}: send advance or set") for key in unknown])
    if len(body) != 1:
        raise ValidationFailed([FieldError(None, 'Send either {"advance": "PT5H"} or {"set": "2027-01-04T09:00:00Z"}')])
    current = now()
    if "advance" in body:
        try:
            delta = parse_duration(body["advance"])
        except (ValueError, TypeError):
            raise ValidationFailed(
                [FieldError("advance", "advance must be an ISO 8601 duration such as PT5H or P1DT2H")]) from None
    else:
        try:
            target = datetime.fromisoformat(str(body["set"]).replace("Z", "+00:00"))
        except ValueError:
            raise ValidationFailed(
                [FieldError("set", "set must be a date and time such as 2027-01-04T09:00:00Z")]) from None
        if target.tzinfo is None:
            raise ValidationFailed([FieldError("set", "set must include a time zone, such as Z for UTC")])
        delta = target - current
    if delta < timedelta(0):
        message = ("The training clock only moves forward: timers that fired cannot un-fire. "
                   "Start a fresh training database instead.")
        raise ValidationFailed([FieldError(next(iter(body)), message)])
    clock.advance(delta)
    return now()
