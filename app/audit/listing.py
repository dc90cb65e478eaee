"""The audit page's order: newest first, one page at a time, optionally one London day (the date picker).
The API and the case trail keep chain order (app.audit.queries.audit_entries); only the page reads this way,
because an auditor looking at "what happened" starts from now."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.audit.queries import AuditFilter, filtered
from app.core.errors import FieldError
from app.core.periods import FIRST_YEAR, LAST_YEAR, day_starts


def read_day(args: Mapping[str, str], wanted: AuditFilter, errors: list[FieldError]) -> tuple[AuditFilter, date | None]:
    """``on`` (YYYY-MM-DD, as a browser's date picker sends it): that London day's entries only."""
    raw = (args.get("on") or "").strip()
    if not raw:
        return wanted, None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors.append(FieldError("on", "The day must be a real date, like 2027-01-31"))
        return wanted, None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        errors.append(FieldError("on", f"The day must be between {FIRST_YEAR} and {LAST_YEAR}"))
        return wanted, None
    since, until = day_starts(day, day)
    return replace(wanted, since=since, until=until), day


def newest_first(session: Session, wanted: AuditFilter, before_seq: int | None) -> list[AuditEvent]:
    """Entries newest first; ``before_seq``: the last (oldest) entry of the page before."""
    query = filtered(select(AuditEvent), wanted)
    if before_seq is not None:
        query = query.where(AuditEvent.seq < before_seq)
    return list(session.scalars(query.order_by(AuditEvent.seq.desc()).limit(wanted.limit)))
