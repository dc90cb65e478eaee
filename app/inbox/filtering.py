"""The inbox's filters, sort and pages (``/inbox?rag=&due=&mine=&step=&sort=&page=``, fifty a page): RAG
rating, where the task's deadline stands, claimed by me, process step; soonest to breach first (the default),
longest waiting first, or most urgent rating first. Still only the reader's roles' tasks (app.inbox.queries)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, false, func, or_, select
from sqlalchemy.orm import Session

from app.cases.models import Case
from app.core.errors import FieldError
from app.core.periods import read_choice
from app.core.vocabulary import RAG_CODES
from app.inbox.models import OpenTask
from app.inbox.queries import InboxItem, inbox_item, item_query

BREACHED, AT_RISK, ON_TRACK, NO_DEADLINE = "breached", "at-risk", "on-track", "none"
DUE_STATES = {BREACHED: "Breached", AT_RISK: "At risk", ON_TRACK: "On track", NO_DEADLINE: "No deadline"}
SORTS = {"due": "Soonest deadline first", "received": "Longest waiting first", "rag": "Most urgent rating first"}


@dataclass(frozen=True)
class InboxFilter:
    rag: str | None = None
    due: str | None = None
    mine: bool = False
    step: str | None = None
    sort: str = "due"

    @property
    def any(self) -> bool:
        return bool(self.rag or self.due or self.mine or self.step)


def read_inbox_filter(args: Mapping[str, str]) -> tuple[InboxFilter, list[FieldError]]:
    errors: list[FieldError] = []
    rag = read_choice(args, "rag", RAG_CODES, "Choose a RAG rating from the list", errors)
    due = read_choice(args, "due", DUE_STATES, "Choose a deadline state from the list", errors)
    sort = read_choice(args, "sort", SORTS, "Choose an order from the list", errors) or "due"
    step = (args.get("step") or "").strip()[:200] or None
    return InboxFilter(rag=rag, due=due, mine=args.get("mine") == "yes", step=step, sort=sort), errors


#: Tasks on one page of the inbox.
PAGE_SIZE = 50


@dataclass(frozen=True)
class InboxPage:
    """One page of the filtered inbox, and how many tasks match in all (for the pagination and the caption)."""

    items: list[InboxItem]
    total: int
    page: int
    pages: int
    page_size: int = PAGE_SIZE

    @property
    def first_row(self) -> int:
        return (self.page - 1) * self.page_size + 1 if self.items else 0


def filtered_inbox(session: Session, roles: frozenset[str], wanted: InboxFilter, user_id: int | None,
                   at: datetime, *, limit: int = 500, offset: int = 0) -> list[InboxItem]:
    """The open tasks of ``roles`` that pass the filter, in its order."""
    if not roles:
        return []
    if offset:
        # Deep in the list, first find the page's tasks from the open tasks alone (the case only when the filter or
        # the order needs it), then read those fifty with their case and child, in the same statement: skipping tens
        # of thousands of rows joined to their cases made PostgreSQL sort the whole role's tasks (2 s at 100,000
        # open cases).
        needs_case = bool(wanted.rag) or wanted.sort == "rag"
        chosen = (_ordered(_matching(select(OpenTask.task_id), roles, wanted, user_id, at, join=needs_case), wanted)
                  .offset(offset).limit(limit).subquery("page"))
        query = (item_query().select_from(chosen).join(OpenTask, OpenTask.task_id == chosen.c.task_id)
                 .join(Case, Case.id == OpenTask.case_id))
        rows = list(session.execute(_ordered(query, wanted)))
    else:
        rows = list(session.execute(_ordered(_matching(item_query(), roles, wanted, user_id, at), wanted).limit(limit)))
    return [inbox_item(row) for row in rows]


def _ordered(query, wanted: InboxFilter):
    soonest = (OpenTask.due_at.asc().nulls_last(), OpenTask.created_at, OpenTask.task_id)
    if wanted.sort == "received":
        return query.order_by(OpenTask.created_at, OpenTask.task_id)
    if wanted.sort == "rag":
        urgency = case(*((Case.rag == code, rank) for rank, code in enumerate(RAG_CODES)), else_=len(RAG_CODES))
        return query.order_by(urgency, *soonest)
    return query.order_by(*soonest)


def inbox_page(session: Session, roles: frozenset[str], wanted: InboxFilter, user_id: int | None, at: datetime,
               page: int = 1, *, steps: Mapping[str, int] | None = None) -> InboxPage:
    """A page of fifty tasks and the count of all that match. ``steps`` (from steps_waiting) already counts an
    inbox filtered by nothing but its step; otherwise one count over the role's tasks (joining the case only to
    filter by rating)."""
    if not roles:
        return InboxPage(items=[], total=0, page=1, pages=1)
    if steps is not None and not (wanted.rag or wanted.due or wanted.mine):
        total = steps.get(wanted.step, 0) if wanted.step else sum(steps.values())
    else:
        counted = _matching(select(func.count()).select_from(OpenTask), roles, wanted, user_id, at,
                            join=bool(wanted.rag))
        total = session.scalar(counted) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    items = filtered_inbox(session, roles, wanted, user_id, at, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return InboxPage(items=items, total=total, page=page, pages=pages)


def _matching(query, roles: frozenset[str], wanted: InboxFilter, user_id: int | None, at: datetime, *,
              join: bool = True):
    """``query`` narrowed to the roles' open tasks that pass the filter."""
    if join:
        query = query.join(Case, Case.id == OpenTask.case_id)
    query = query.where(OpenTask.role.in_(sorted(roles)))
    if wanted.rag:
        query = query.where(Case.rag == wanted.rag)
    if wanted.mine:
        query = query.where(OpenTask.claimed_by_id == user_id) if user_id is not None else query.where(false())
    if wanted.step:
        query = query.where(OpenTask.name == wanted.step)
    if wanted.due == BREACHED:
        query = query.where(OpenTask.due_at <= at)
    elif wanted.due == AT_RISK:
        query = query.where(OpenTask.due_at > at, OpenTask.at_risk_at <= at)
    elif wanted.due == ON_TRACK:
        query = query.where(OpenTask.due_at > at, or_(OpenTask.at_risk_at.is_(None), OpenTask.at_risk_at > at))
    elif wanted.due == NO_DEADLINE:
        query = query.where(OpenTask.due_at.is_(None))
    return query


def page_number(value: str | None) -> int:
    """The page asked for (?page=); anything but a positive number is the first page."""
    try:
        return max(int(value or 1), 1)
    except ValueError:
        return 1


def steps_waiting(session: Session, roles: frozenset[str]) -> dict[str, int]:
    """The process steps the roles have open tasks at (the step filter's choices), with how many at each: one
    pass that also counts an unfiltered inbox (or one filtered by step alone) for its pages."""
    if not roles:
        return {}
    rows = session.execute(select(OpenTask.name, func.count()).where(OpenTask.role.in_(sorted(roles)))
                           .group_by(OpenTask.name).order_by(OpenTask.name))
    return dict(rows.all())


