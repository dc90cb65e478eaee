"""Reads of the case record for pages and the API. No workflow deserialization."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import (
    CompoundSelect,
    Integer,
    Select,
    String,
    bindparam,
    exists,
    func,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.audit.queries import Viewer, case_viewers, viewers_query
from app.cases.models import Case, ReferrerFeedback
from app.core.actor import Actor
from app.core.db import UTCDateTime
from app.core.errors import FieldError
from app.core.periods import day_starts, read_choice, read_period
from app.core.roles import AGENCIES, HUB_ROLES
from app.core.vocabulary import RAG_CODES
from app.inbox.models import OpenTask
from app.intake.models import Contact

#: What the case page's history shows, and how it names each action.
HISTORY_LABELS = {"contact.received": "Contact received", "task.completed": "Task completed",
                  "timer.fired": "Deadline reached", "case.rag-changed": "RAG rating", "case.closed": "Case closed",
                  "task.claimed": "Task claimed", "task.released": "Task released",
                  "deadline.retimed": "Deadline moved", "timer.incident-raised": "Timers failed",
                  "timer.incident-resolved": "Timers fired again", "timer.incident-retried": "Timers retried",
                  "retention.anonymised": "Anonymised", "retention.hold-placed": "Retention hold",
                  "retention.hold-released": "Retention hold lifted", "case.migrated": "Moved to a new version",
                  "task.incident-raised": "Step failed: answers held",
                  "task.incident-failed-again": "Step failed again", "task.incident-resolved": "Step went through",
                  "task.incident-returned": "Task given back", "case.incident-raised": "Could not start",
                  "case.incident-failed-again": "Start failed again", "case.incident-resolved": "Started",
                  "disagreement.raised": "Professional disagreement raised",
                  "disagreement.resolved": "Professional disagreement resolved", "case.reopened": "Opened again",
                  "contact.received-at-stated": "Receipt time stated"}
HISTORY_ACTIONS = tuple(HISTORY_LABELS)


@dataclass(frozen=True)
class HistoryEntry:
    """One line of the case page's history: what happened, when and by whom."""

    at: datetime
    action: str
    username: str
    summary: str


def _trail_statement() -> CompoundSelect:
    """The case's history (the actions in HISTORY_LABELS, in the order they happened: rows with an id) and who has
    seen it (app.audit.queries.viewers_query, most recent first: rows without), in one read of its audit events:
    the case page asked twice, and built both statements on every request. Only the columns the page shows."""
    case_id = bindparam("case_id", type_=Integer)
    viewers = viewers_query(case_id).subquery()
    history = (select(AuditEvent.id, AuditEvent.at, AuditEvent.action, AuditEvent.username, AuditEvent.summary,
                      # typed: a union's rows are read back as its first statement's columns
                      type_coerce(null(), Integer).label("views"),
                      type_coerce(null(), UTCDateTime()).label("first_at"),
                      type_coerce(null(), String).label("display_name"), type_coerce(null(), String).label("agency"))
               .where(AuditEvent.case_id == case_id, AuditEvent.action.in_(HISTORY_ACTIONS)))
    seen = select(null(), viewers.c.last_at, null(), viewers.c.username, null(), viewers.c.views, viewers.c.first_at,
                  viewers.c.display_name, viewers.c.agency)
    trail = union_all(history, seen)
    columns = trail.selected_columns
    # viewers seen at the same instant (a frozen clock) in the order the page's own read gave them on SQLite
    return trail.order_by(columns.id, columns.at.desc(), columns.username.desc())


_TRAIL = _trail_statement()


def case_trail(session: Session, case_id: int) -> tuple[list[HistoryEntry], list[Viewer]]:
    """The case page's history and "who has seen this case" (this request's own view included)."""
    history, seen = [], []
    for event_id, at, action, username, summary, views, first_at, name, agency in session.execute(
            _TRAIL, {"case_id": case_id}):
        if event_id is None:
            seen.append((username, views, first_at, at, name, agency))
        else:
            history.append(HistoryEntry(at, action, username, summary))
    return history, case_viewers(session, case_id, seen)


def case_for_referrer(session: Session, case_id: int, actor: Actor) -> Case | None:
    """A referrer sees only the contacts they made; hub members see any."""
    case = session.get(Case, case_id)
    if case is None:
        return None
    if actor.roles & HUB_ROLES:
        return case
    made_by = session.scalar(select(Contact.created_by_id).where(Contact.case_id == case_id))
    return case if made_by == actor.user_id else None


def feedback_given(session: Session, case_id: int) -> list[ReferrerFeedback]:
    """The feedback the hub gave the referrer, in the order it was given (the referrer's view, the case page)."""
    return list(session.scalars(_FEEDBACK_GIVEN, {"case_id": case_id}))


#: Built once: most case pages show the feedback given.
_FEEDBACK_GIVEN = (select(ReferrerFeedback).where(ReferrerFeedback.case_id == bindparam("case_id", type_=Integer))
                   .order_by(ReferrerFeedback.id))


def referrer_status(case: Case, feedback_given: bool) -> str:
    return "feedback given" if feedback_given else ("closed" if case.status == "closed" else "with the hub")


def referrer_view(session: Session, case: Case) -> dict:
    """What a referrer may know about their own contact: status and the feedback the hub gave them.
    Never the hub's analysis, agency findings or where the information product went."""
    feedback = feedback_given(session, case.id)
    return {
        "case_id": case.id,
        "reference": case.reference,
        "received_at": case.received_at.isoformat(),
        "status": referrer_status(case, bool(feedback)),
        "feedback": [{"method": fb.method, "summary": fb.summary, "sent_at": fb.sent_at.isoformat()}
                     for fb in feedback],
    }


#: The case list's page size.
CASES_PER_PAGE = 50
CASE_STATUSES = ("open", "closed", "all")


@dataclass(frozen=True)
class CaseFilter:
    """The case list's filters (``/cases?status=&rag=&step=&waiting=&from=&to=&page=``)."""

    status: str = "open"
    rag: str | None = None
    step: str | None = None
    waiting: str | None = None
    received_from: date | None = None
    received_to: date | None = None
    page: int = 1

    @property
    def any(self) -> bool:
        return bool(self.rag or self.step or self.waiting or self.received_from or self.received_to)


def read_case_filter(args: Mapping[str, str]) -> tuple[CaseFilter, list[FieldError]]:
    """Read the filters; an unknown status stays "open" as it always has, other bad values are errors."""
    errors: list[FieldError] = []
    status = args.get("status", "open")
    rag = read_choice(args, "rag", RAG_CODES, "Choose a RAG rating from the list", errors)
    waiting = read_choice(args, "waiting", AGENCIES, "Choose an agency from the list", errors)
    received_from, received_to = read_period(args, errors)
    page_text = (args.get("page") or "1").strip()
    page = int(page_text) if page_text.isdigit() and 0 < int(page_text) < 10**6 else 1
    return CaseFilter(status=status if status in CASE_STATUSES else "open", rag=rag,
                      step=(args.get("step") or "").strip()[:200] or None, waiting=waiting,
                      received_from=received_from, received_to=received_to, page=page), errors


def case_page(session: Session, wanted: CaseFilter, *, among: Select | None = None,
              per_page: int = CASES_PER_PAGE) -> tuple[list[Case], int]:
    """One page of the cases that pass the filter, newest first, and how many pass in all. ``among`` (a
    subquery of case ids) keeps only the cases the reader may see."""
    query = select(Case)
    if wanted.status != "all":
        query = query.where(Case.status == wanted.status)
    if among is not None:
        query = query.where(Case.id.in_(among))
    if wanted.rag:
        query = query.where(Case.rag == wanted.rag)
    if wanted.step:
        query = query.where(exists().where(OpenTask.case_id == Case.id, OpenTask.name == wanted.step))
    if wanted.waiting:
        query = query.where(exists().where(OpenTask.case_id == Case.id, OpenTask.role == wanted.waiting))
    since, until = day_starts(wanted.received_from, wanted.received_to)
    if since is not None:
        query = query.where(Case.received_at >= since)
    if until is not None:
        query = query.where(Case.received_at < until)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    cases = list(session.scalars(query.order_by(Case.received_at.desc(), Case.id.desc())
                                 .offset((wanted.page - 1) * per_page).limit(per_page)))
    return cases, total


def open_steps(session: Session) -> list[str]:
    """The process steps open tasks are at (the step filter's choices: the diagram's words, not case data)."""
    return list(session.scalars(select(OpenTask.name).group_by(OpenTask.name).order_by(OpenTask.name)))
