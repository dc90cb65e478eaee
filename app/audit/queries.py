"""Reading the audit trail: for auditors (filtered entries) and for the case page (who has seen it)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import BindParameter, Select, func, select, type_coerce
from sqlalchemy.orm import Session

from app.audit.chain import pending
from app.audit.models import AuditEvent
from app.auth.models import User
from app.cases.models import Case
from app.core.db import UTCDateTime
from app.core.errors import FieldError
from app.core.periods import day_starts, read_period

#: Actions that mean someone looked at a case's information.
VIEW_ACTIONS = ("case.viewed", "task.viewed", "contact.viewed", "information-product.viewed", "case.map-viewed",
                "case.trail-viewed")


@dataclass(frozen=True)
class AuditFilter:
    case_id: int | None = None
    username: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    after_seq: int = 0
    limit: int = 200


MAX_PAGE = 1000


def parse_filter(session: Session, args: Mapping[str, str]) -> tuple[AuditFilter, list[FieldError]]:
    """Read a filter from query arguments (the page and the API share it). ``case`` may be a case
    reference or id; ``from``/``to`` are London dates, ``to`` inclusive."""
    errors: list[FieldError] = []
    case_id = None
    case_text = (args.get("case_id") or args.get("case") or "").strip()
    if case_text:
        if case_text.isdigit():
            # A case that does not exist cannot be audited as looked at (the trail points at real cases).
            number = int(case_text)
            case_id = number if number < 2**63 and session.get(Case, number) is not None else None
            if case_id is None:
                errors.append(FieldError("case", "There is no case with this id"))
        else:
            case_id = session.scalar(select(Case.id).where(Case.reference == case_text.upper()))
            if case_id is None:
                errors.append(FieldError("case", "There is no case with this reference"))

    date_from, date_to = read_period(args, errors)
    limit, after = _whole(args, "limit", 200, errors), _whole(args, "after", 0, errors)
    if limit is not None and not 1 <= limit <= MAX_PAGE:
        errors.append(FieldError("limit", f"The limit must be between 1 and {MAX_PAGE}"))
    since, until = day_starts(date_from, date_to)
    return AuditFilter(
        case_id=case_id, username=(args.get("username") or "").strip() or None,
        action=(args.get("action") or "").strip() or None,
        since=since, until=until,
        after_seq=after or 0, limit=limit or 200), errors


def _whole(args: Mapping[str, str], name: str, default: int, errors: list[FieldError]) -> int | None:
    text = (args.get(name) or "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) >= 2**63:
        errors.append(FieldError(name, f"The {name} must be a whole number"))
        return None
    return int(text)


def audit_entries(session: Session, wanted: AuditFilter) -> list[AuditEvent]:
    """Entries in chain order, one page at a time (``after_seq`` is the last entry of the page before)."""
    query = filtered(select(AuditEvent).where(AuditEvent.seq > wanted.after_seq), wanted)
    return list(session.scalars(query.order_by(AuditEvent.seq).limit(wanted.limit)))


def filtered(query: Select, wanted: AuditFilter) -> Select:
    """The filter's conditions (case, user, action, time range) on a query of entries: one place for both orders."""
    if wanted.case_id is not None:
        query = query.where(AuditEvent.case_id == wanted.case_id)
    if wanted.username:
        query = query.where(AuditEvent.username == wanted.username)
    if wanted.action:
        query = query.where(AuditEvent.action == wanted.action)
    if wanted.since is not None:
        query = query.where(AuditEvent.at >= wanted.since)
    if wanted.until is not None:
        query = query.where(AuditEvent.at < wanted.until)
    return query


def entry_json(event: AuditEvent) -> dict:
    return {"seq": event.seq, "at": event.at.isoformat(), "username": event.username, "user_id": event.user_id,
            "action": event.action, "case_id": event.case_id, "task_id": event.task_id,
            "element_id": event.element_id, "summary": event.summary, "details": event.details,
            "hash": event.hash}


@dataclass(frozen=True)
class Viewer:
    username: str
    display_name: str
    agency: str
    views: int
    first_at: datetime
    last_at: datetime


def viewers_query(case_id: BindParameter[int]) -> Select:
    """Who has seen the case bound to ``case_id``: one row per username (views, first and last time, name and
    agency), for the case page's read of its trail (app.cases.queries.case_trail), which builds it once."""
    # type_coerce: an aggregate of a timestamp is read back as one (SQLite would hand back naive text).
    first, last = (type_coerce(f(AuditEvent.at), UTCDateTime()) for f in (func.min, func.max))
    return (select(AuditEvent.username, func.count().label("views"), first.label("first_at"),
                   last.label("last_at"), func.max(User.display_name).label("display_name"),
                   func.max(User.agency).label("agency"))
            .outerjoin(User, User.id == AuditEvent.user_id)
            .where(AuditEvent.case_id == case_id, AuditEvent.action.in_(VIEW_ACTIONS))
            .group_by(AuditEvent.username))


def case_viewers(session: Session, case_id: int,
                 rows: Iterable[tuple[str, int, datetime, datetime, str | None, str | None]]) -> list[Viewer]:
    """Who has seen this case, most recent first: the question inspectors and courts ask. ``rows``: those of
    viewers_query, (username, views, first_at, last_at, display_name, agency)."""
    viewers = {username: Viewer(username=username, display_name=name or username, agency=agency or "", views=views,
                                first_at=first_at, last_at=last_at)
               for username, views, first_at, last_at, name, agency in rows}
    # This request's own view is on the record too: it commits with the page that shows it.
    for event in pending(session):
        if event.case_id != case_id or event.action not in VIEW_ACTIONS:
            continue
        seen = viewers.get(event.username)
        if seen is None:
            user = session.get(User, event.user_id) if event.user_id is not None else None
            viewers[event.username] = Viewer(event.username, user.display_name if user else event.username,
                                             user.agency if user else "", 1, event.at, event.at)
        else:
            viewers[event.username] = replace(seen, views=seen.views + 1, first_at=min(seen.first_at, event.at),
                                              last_at=max(seen.last_at, event.at))
    return sorted(viewers.values(), key=lambda viewer: viewer.last_at, reverse=True)


@dataclass(frozen=True)
class RefusalCount:
    username: str
    refusals: int
    last_at: datetime


def refusals_by_user(session: Session, since: datetime) -> list[RefusalCount]:
    """Refused looks (``access.refused``) per user since a time, most first: who tried to look where they
    should not."""
    last = type_coerce(func.max(AuditEvent.at), UTCDateTime())
    rows = session.execute(select(AuditEvent.username, func.count(), last)
                           .where(AuditEvent.action == "access.refused", AuditEvent.at >= since)
                           .group_by(AuditEvent.username).order_by(func.count().desc(), AuditEvent.username))
    return [RefusalCount(username, count, last_at) for username, count, last_at in rows]
