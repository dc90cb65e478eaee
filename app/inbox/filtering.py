"""The inbox's filters and sort (``/inbox?rag=&due=&mine=&step=&sort=``): RAG rating, where the task's deadline
stands, claimed by me, process step; soonest to breach first (the default), longest waiting first, or most
urgent rating first. Still only the reader's roles' tasks (app.inbox.queries)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, false, or_, select
from sqlalchemy.orm import Session

from app.cases.models import Case, Subject
from app.core.errors import FieldError
from app.core.periods import read_choice
from app.core.vocabulary import RAG_CODES
from app.inbox.models import OpenTask
from app.inbox.queries import InboxItem

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


def filtered_inbox(session: Session, roles: frozenset[str], wanted: InboxFilter, user_id: int | None,
                   at: datetime, *, limit: int = 500) -> list[InboxItem]:
    """The open tasks of ``roles`` that pass the filter, in its order."""
    if not roles:
        return []
    first_subject = (select(Subject.given_name + " " + Subject.family_name)
                     .where(Subject.case_id == Case.id, Subject.position == 0).scalar_subquery())
    query = (select(OpenTask, Case.reference, Case.rag, first_subject)
             .join(Case, Case.id == OpenTask.case_id).where(OpenTask.role.in_(sorted(roles))))
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
    soonest = (OpenTask.due_at.asc().nulls_last(), OpenTask.created_at, OpenTask.task_id)
    if wanted.sort == "received":
        query = query.order_by(OpenTask.created_at, OpenTask.task_id)
    elif wanted.sort == "rag":
        urgency = case(*((Case.rag == code, rank) for rank, code in enumerate(RAG_CODES)), else_=len(RAG_CODES))
        query = query.order_by(urgency, *soonest)
    else:
        query = query.order_by(*soonest)
    rows = session.execute(query.limit(limit))
    return [InboxItem(task_id=t.task_id, case_id=t.case_id, reference=ref or "", subject_name=subject or "",
                      name=t.name, role=t.role, rag=rag, due_at=t.due_at, at_risk_at=t.at_risk_at,
                      created_at=t.created_at, claimed_by=t.claimed_by)
            for t, ref, rag, subject in rows]


def steps_waiting(session: Session, roles: frozenset[str]) -> list[str]:
    """The process steps the roles have open tasks at (the step filter's choices)."""
    if not roles:
        return []
    return list(session.scalars(select(OpenTask.name).where(OpenTask.role.in_(sorted(roles)))
                                .group_by(OpenTask.name).order_by(OpenTask.name)))


