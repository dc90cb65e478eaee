"""Which events send which notification (#19): the hub's words for who is told what, and when.

Every alert is queued by app.notifications in the transaction of the step that causes it, so it exists
exactly when the step does: a refused or rolled-back step tells nobody. Facts are never personal (a RAG
rating, a step's title, an agency, a case reference, counts); what names a child goes in ``personal``,
which only reaches an address on the secure list.

- **New task** for a role when a step opens for it (urgent, so at once, for a Red contact).
- **Chase** to the agency's team address when a chase step opens for its overdue check.
- **Feedback** to the referrer's address when business support gives it by e-mail: the text they approved.
- **Breach** to the MASH managers when a deadline's timer fires (once per deadline: a chase cycle fires again).
- **At risk** to the role holding the task, and the **handover summary** to the MASH managers when the hub
  opens: both come from the clock, so the scheduler sweeps for them (``send_clock_alerts``).
- **Incident** to process owners: app.incidents.operations, where incidents are raised.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

from app.cases.models import Case
from app.casework.loading import case_with_contact
from app.casework.models import AT_RISK, BREACH, HANDOVER, NotificationMarker
from app.core.bulk import insert_together
from app.core.calendar import london
from app.core.codes import CHILD_ROLES
from app.core.memo import memo
from app.core.roles import role_label
from app.core.vocabulary import AGENCY_CHECK_FORM, AGENCY_CHECK_SUFFIX, agency_of_check, rag_label
from app.deadlines.models import Deadline
from app.engine import OpenUserTask
from app.inbox.models import OpenTask
from app.notifications import notify, queue

log = logging.getLogger(__name__)

#: The chase step's form (``chase_<agency>_check`` in the diagram): the hub chases the agency's team.
CHASE_FORM = "chase_agency_check"
#: "Hand over from out of hours": the MASH managers hear of these in one summary when the hub opens.
HANDOVER_FORM = "handover_from_out_of_hours"
#: Who hears of breaches and handovers.
MASH_MANAGERS = "mash-manager"
#: How the referrer was given feedback when the hub sends the text by e-mail (forms/feedback.json).
BY_EMAIL = ("email", "secure-email")
RED = "red"
#: The deadline kind of the decision's clock (the RAG timescale; processes/sla-policies.toml).
DECISION_CLOCK = "rag"
#: A due time as the message says it (London time).
DUE_FORMAT = "%-d %b %Y at %H:%M"


def _facts(case: Case, *, form_key: str, title: str, role: str, due: datetime | None = None) -> dict[str, str]:
    """The words anyone may read: RAG, what is waiting (``step``: "check" for an agency's check, else "task";
    ``title``: the step's own name), for whom, by when, the case reference. Never a name."""
    return {"reference": case.reference or "", "rag": rag_label(case.rag) if case.rag else "",
            "step": "check" if form_key == AGENCY_CHECK_FORM else "task", "title": title,
            "agency": role_label(role) if role else "", "due": london(due, DUE_FORMAT) if due else "not set"}


def _children(case: Case) -> dict[str, str]:
    """The child's name, for a secure address only (app.notifications keeps it from any other)."""
    names = [s.full_name for s in case.subjects if s.role in CHILD_ROLES]
    return {"child_name": ", ".join(names)} if names else {}


# ----------------------------------------------------------------------------- with a step
def tasks_opened(session: Session, case: Case, opened: Iterable[OpenUserTask]) -> None:
    """A new task for its role; a chase also goes to the agency's team. Handovers wait for the summary."""
    urgent = case.rag == RED
    messages: list[Any] = []  # new-task messages, written together below
    for task in opened:
        role, form_key = task.info.role or "", task.info.form_key or ""
        if form_key == HANDOVER_FORM or not role:
            continue
        messages += queue(session, "new-task", to_role=role, case_id=case.id, task_id=task.task_id, urgent=urgent,
                          facts=_facts(case, form_key=form_key, title=task.info.name, role=role, due=task.due_at),
                          personal=_children(case), add=False)
        agency = agency_of_check(task.info.bpmn_id.removeprefix("chase_")) if form_key == CHASE_FORM else None
        if agency is not None:
            queue(session, "chase", to_agency_team=agency, case_id=case.id, urgent=urgent,
                  task_id=_check_task(session, case.id, agency),
                  facts=_facts(case, form_key=AGENCY_CHECK_FORM, title=task.info.name, role=agency,
                               due=_check_due(session, case.id, agency)))
    # the step's new-task messages in one INSERT (one each for the people of every role a task opened for)
    insert_together(session, messages, key=("task_id", "recipient_user_id"))


def _check_task(session: Session, case_id: int, agency: str) -> str | None:
    """The agency's open check on the case, which the chase links to (the team answers there)."""
    element = agency.replace("-", "_") + AGENCY_CHECK_SUFFIX
    return session.scalar(select(OpenTask.task_id).where(OpenTask.case_id == case_id, OpenTask.bpmn_id == element))


def _check_due(session: Session, case_id: int, agency: str) -> datetime | None:
    """When the agency's check was due: its deadline, drawn on ``<agency>_check``."""
    element = agency.replace("-", "_") + AGENCY_CHECK_SUFFIX
    return session.scalar(select(Deadline.due_at).where(Deadline.case_id == case_id, Deadline.kind == "check",
                                                        Deadline.attached_element_id == element)
                          .order_by(Deadline.due_at).limit(1))


def feedback_given(session: Session, case: Case, task_id: str, form_data: dict[str, Any]) -> None:
    """The text business support approved goes to the referrer's address, when they chose to give it by
    e-mail and the contact has one (the task page says which)."""
    if form_data.get("feedback_method") not in BY_EMAIL:
        return
    address = referrer_email(session, case.id)
    if not address:
        return
    try:
        queue(session, "feedback", to_address=address, case_id=case.id, facts={"reference": case.reference or ""},
              personal={**_children(case), "feedback": str(form_data.get("feedback_summary") or "")})
    except ValueError:
        # An address the contact form took but the mail relay would not (an old contact's): the feedback is still
        # recorded; the message is not. The case id only: the address is personal.
        log.warning("feedback for case id %s not queued: the referrer's address is not one the relay takes",
                    case.id)


def referrer_email(session: Session, case_id: int) -> str | None:
    """The address the contact gave for feedback, if any (the contact as read with its case in this
    transaction: a completion has read it)."""
    contact = case_with_contact(session, case_id)[1]
    return (contact.referrer_email or None) if contact is not None else None


def deadlines_breached(session: Session, case: Case, fired: Iterable[tuple[str, str]], at: datetime,
                       breached: Iterable[Deadline] | None = None) -> None:
    """The MASH managers hear once of each deadline whose timer fired in this step (``fired``: process id and
    deadline name, as the deadline rows key them). ``breached``: the case's breached rows, when the caller has
    them in hand (``sync_deadlines`` gives them), else they are read."""
    keys = set(fired)
    if not keys:
        return
    if breached is None:
        breached = session.scalars(select(Deadline).where(Deadline.case_id == case.id,
                                                          Deadline.breached_at.is_not(None)))
    rows = [row for row in breached if (row.process_id, row.name) in keys]
    if rows and any(row.id is None for row in rows):
        session.flush()  # a deadline row new in this step needs its id for the marker
    for row in rows:
        if _mark(session, BREACH, case.id, at, deadline_id=row.id):
            task = session.get(OpenTask, row.attached_task_id) if row.attached_task_id else None
            queue(session, "breach", to_role=MASH_MANAGERS, case_id=case.id, urgent=True,
                  facts=_holder(case, row, task).facts)


@dataclass(frozen=True)
class _Holder:
    """Who holds a deadline's work, and how a message names it."""

    role: str
    task_id: str | None
    facts: dict[str, str]


def _holder(case: Case, row: Deadline, task: OpenTask | None) -> _Holder:
    """The decision's clock (kind ``rag``, drawn on every open check until the outcome) is the MASH managers',
    whichever step it rides on; any other deadline is its task's role's (the managers', if the task is gone)."""
    facts = {"deadline": row.name}
    if row.kind == DECISION_CLOCK or task is None:
        facts |= _facts(case, form_key="", title=row.name, role=MASH_MANAGERS, due=row.due_at)
        if row.kind == DECISION_CLOCK:
            facts.update(step="decision", title="the MASH decision")
        return _Holder(MASH_MANAGERS, None, facts)
    facts |= _facts(case, form_key=task.form_key, title=task.name, role=task.role, due=row.due_at)
    return _Holder(task.role or MASH_MANAGERS, task.task_id, facts)


# ----------------------------------------------------------------------------- from the clock
def send_clock_alerts(session: Session, at: datetime) -> int:
    """What the clock alone brings (run by the scheduler's lease holder): deadlines now at risk, and the
    handovers waiting since the hub opened. Returns how many alerts were queued."""
    return _at_risk(session, at) + _handover_summary(session, at)


def clock_alerts_waiting(session: Session, at: datetime) -> bool:
    """Whether ``send_clock_alerts`` has anything to send: a read, so an idle scheduler writes nothing."""
    return (session.execute(_at_risk_rows(at).limit(1)).first() is not None
            or session.execute(_handover_rows().limit(1)).first() is not None)


def _at_risk_rows(at: datetime) -> Select[Deadline, Case, OpenTask]:
    """Unfinished, unbreached deadlines past their at-risk time that nobody was told of (the open-deadline index)."""
    told = select(NotificationMarker.id).where(NotificationMarker.kind == AT_RISK,
                                               NotificationMarker.deadline_id == Deadline.id)
    return (select(Deadline, Case, OpenTask)
            .join(Case, Case.id == Deadline.case_id)
            .outerjoin(OpenTask, OpenTask.task_id == Deadline.attached_task_id)
            .where(Deadline.met_at.is_(None), Deadline.cancelled_at.is_(None), Deadline.breached_at.is_(None),
                   Deadline.at_risk_at <= at, Deadline.due_at > at, Case.status == "open", ~told.exists())
            .order_by(Deadline.at_risk_at, Deadline.id))


def _handover_rows() -> Select[str, int, str | None]:
    """Open handover tasks not yet in a summary."""
    told = select(NotificationMarker.id).where(and_(NotificationMarker.kind == HANDOVER,
                                                    NotificationMarker.task_id == OpenTask.task_id))
    return (select(OpenTask.task_id, Case.id, Case.reference)
            .join(Case, Case.id == OpenTask.case_id)
            .where(OpenTask.form_key == HANDOVER_FORM, ~told.exists())
            .order_by(Case.reference))


def _at_risk(session: Session, at: datetime) -> int:
    rows = session.execute(_at_risk_rows(at)).all()
    for deadline, case, task in rows:
        _mark(session, AT_RISK, case.id, at, deadline_id=deadline.id)
        holder = _holder(case, deadline, task)
        notify(session, "at-risk", to_role=holder.role, case_id=case.id, task_id=holder.task_id,
               urgent=case.rag == RED, facts=holder.facts)
    return len(rows)


def _handover_summary(session: Session, at: datetime) -> int:
    rows = session.execute(_handover_rows()).all()
    if not rows:
        return 0
    for task_id, case_id, _reference in rows:
        _mark(session, HANDOVER, case_id, at, task_id=task_id)
    notify(session, "handover", to_role=MASH_MANAGERS, urgent=True,
           facts={"count": str(len(rows)), "contacts": f"{len(rows)} contact{'' if len(rows) == 1 else 's'}",
                  "references": ", ".join(reference or "" for _, _, reference in rows)})
    return 1


# ----------------------------------------------------------------------------- markers
#: Memo (app.core.memo) of a batch's breach markers (``prefetch_breach_markers``).
_BREACHES_AHEAD = "breach_markers_ahead"


def prefetch_breach_markers(session: Session, case_ids: list[int]) -> None:
    """Read which deadlines of many cases have had their breach alert, in one query, for ``_mark`` to consult
    instead of asking once per breach (the scheduler's batch of firings). Kept in the transaction's memo
    (forgotten when any transaction or savepoint ends); markers added are added to the set as they are made."""
    marked: dict[int, set[int]] = {case_id: set() for case_id in case_ids}
    for case_id, deadline_id in session.execute(
            select(NotificationMarker.case_id, NotificationMarker.deadline_id)
            .where(NotificationMarker.kind == BREACH, NotificationMarker.case_id.in_(case_ids),
                   NotificationMarker.deadline_id.is_not(None))):
        if deadline_id is not None:
            marked[case_id].add(deadline_id)
    memo(session, _BREACHES_AHEAD).update(marked)


def _mark(session: Session, kind: str, case_id: int, at: datetime, *, deadline_id: int | None = None,
          task_id: str | None = None) -> bool:
    """Record that this alert is queued; False when it already was."""
    ahead = memo(session, _BREACHES_AHEAD)
    if kind == BREACH and deadline_id is not None and case_id in ahead:
        marked = ahead[case_id]
        if deadline_id in marked:
            return False
        marked.add(deadline_id)
        session.add(NotificationMarker(kind=kind, case_id=case_id, deadline_id=deadline_id, task_id=task_id,
                                       queued_at=at))
        return True
    query = select(NotificationMarker.id).where(NotificationMarker.kind == kind)
    query = query.where(NotificationMarker.deadline_id == deadline_id) if deadline_id is not None \
        else query.where(NotificationMarker.task_id == task_id)
    if session.scalar(query) is not None:
        return False
    session.add(NotificationMarker(kind=kind, case_id=case_id, deadline_id=deadline_id, task_id=task_id,
                                   queued_at=at))
    return True
