"""Keep a case's deadline rows in step with its timer events, inside the caller's transaction.

The engine knows armed timers and which fired; the hub needs each deadline's life: armed, at risk,
breached (the timer fired), met (the work it guards finished) or no longer applying.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, and_, case, delete, func, insert, inspect, select
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from app.audit.operations import record
from app.cases.models import Case
from app.core.actor import Actor
from app.core.bulk import insert_together
from app.core.memo import forget, memo
from app.deadlines.models import Deadline, SlaCase
from app.deadlines.queries import CASE_DEADLINES, SYNCED
from app.engine import CaseWorkflow, Retimed, WaitingTimer

#: A timer the process waits on (the hub opening, chasing again): not a deadline, nobody is late.
WAIT = "wait"
#: Memo (app.core.memo) of cases' unmet deadline rows read ahead (``prefetch_deadlines``, ``hold_deadlines``).
_AHEAD = "deadlines_ahead"
#: session.info key of a batch of firings (``defer_projection``).
_DEFERRED = "mash.deadlines.deferred-projection"
#: Memo of each case's SLA wall row as this transaction last wrote it (``_project``).
_WRITTEN = "sla_case_written"


def prefetch_deadlines(session: Session, case_ids: list[int]) -> None:
    """Read the unmet deadline rows of many cases in one query, for ``sync_deadlines`` to take instead of asking
    once per case (the scheduler's batch of firings). Kept in the transaction's memo (forgotten when any
    transaction or savepoint ends); a case taken is forgotten, so a second step on it reads afresh."""
    rows: dict[int, list[Deadline]] = {case_id: [] for case_id in case_ids}
    for row in session.scalars(_unmet().where(Deadline.case_id.in_(case_ids))):
        rows[row.case_id].append(row)
    memo(session, _AHEAD).update(rows)


def hold_deadlines(session: Session, case_id: int, rows: list[Deadline]) -> None:
    """The case's unmet deadline rows as known without reading them (a case stored in this transaction has none),
    for ``sync_deadlines`` to take: valid as ``prefetch_deadlines``'s."""
    memo(session, _AHEAD)[case_id] = rows


def _unmet() -> Select[Any]:
    return select(Deadline).where(Deadline.met_at.is_(None), Deadline.cancelled_at.is_(None))


def _prefetched(session: Session, case_id: int) -> list[Deadline] | None:
    """The case's unmet deadline rows if read ahead in this transaction (taken: forgotten), else None."""
    rows: list[Deadline] | None = memo(session, _AHEAD).pop(case_id, None)
    return rows


def sync_deadlines(session: Session, case_id: int, workflow: CaseWorkflow, at: datetime,
                   breached: list[Deadline] | None = None) -> dict[str, tuple[datetime, datetime | None]]:
    """Bring the rows up to date; returns each open task's earliest unmet deadline (due, at risk), breached
    ones included: an overdue task is the most urgent in its inbox. ``breached`` (if given) receives the rows
    breached so far among those it kept, the ones a breach alert is about."""
    # Every row the case's answer shows (met ones too), unless a batch prefetched the unmet ones; read without
    # writing the step's pending changes (the case is written once, at the end of the step; the rows' own pending
    # changes are in the objects read).
    held: list[Deadline] | None = None
    stored: dict[str, object] | None = None  # the case's wall row as stored before this step, when known
    taken = _prefetched(session, case_id)
    if taken is None:
        with session.no_autoflush:
            read = list(session.scalars(CASE_DEADLINES, {"case_id": case_id}))
        stored = _stored_row(session, case_id, read)
        held = [row for row in read if row.cancelled_at is None]
        taken = [row for row in held if row.met_at is None]
    rows = {(row.process_id, row.name): row for row in taken}
    new: list[Deadline] = []
    for timer in workflow.fired_timers:
        if timer.kind == WAIT:
            continue
        row = rows.get((timer.process_id, timer.name)) or _new_row(new, case_id, timer, at, rows)
        row.breached_at = row.breached_at or timer.due_at
        _follow(row, timer)
    armed: dict[tuple[str, str], WaitingTimer] = {}
    for timer in workflow.waiting_timers():
        if timer.due_at is None or timer.kind == WAIT:
            continue  # a cycle with no firings left, or a wait: nothing is due
        key = (timer.process_id, timer.name)
        earlier = armed.get(key)
        if earlier is None or earlier.due_at is None or timer.due_at < earlier.due_at:
            armed[key] = timer
    for key, timer in armed.items():
        row = rows.get(key) or _new_row(new, case_id, timer, at, rows)
        _follow(row, timer)
        if row.breached_at is None and timer.due_at is not None:
            row.due_at, row.at_risk_at = timer.due_at, timer.at_risk_at
    for key, row in rows.items():
        if key in armed:
            continue
        state = workflow.task_state(row.attached_task_id) if row.attached_task_id else None
        if state == "completed" and not _meets(workflow, row):
            state = None  # left on a step that does not meet it (no conference was needed): it no longer applies
        if state == "completed":
            row.met_at = at  # on time, or late if it was breached first
        elif row.breached_at is None:
            # The timer went without firing and its work did not finish: the contact ended another way.
            row.cancelled_at = at
        # A breached deadline whose work never finished stays breached.
    dues: dict[str, tuple[datetime, datetime | None]] = {}
    for row in rows.values():
        if row.open and row.attached_task_id and (row.attached_task_id not in dues
                                                  or row.due_at < dues[row.attached_task_id][0]):
            dues[row.attached_task_id] = (row.due_at, row.at_risk_at)
    insert_together(session, new, key=("process_id", "name"))  # one INSERT for the step's new deadlines
    _update_together(list(rows.values()))
    _project(session, case_id, [row for row in rows.values() if row.open], closed=workflow.completed, stored=stored)
    if held is not None:  # the case's rows as the step left them, for its answer (app.deadlines.queries)
        memo(session, SYNCED)[case_id] = [row for row in [*held, *new] if row.cancelled_at is None]
    if breached is not None:
        breached.extend(row for row in rows.values() if row.breached_at is not None)
    return dues


def _update_together(rows: list[Deadline]) -> None:
    """Make the step's changed rows UPDATE the same columns (the unchanged ones with the values they hold), so
    the flush sends them in one executemany: it groups a mapper's UPDATEs by the columns they set (a met deadline
    and a re-drawn one were two statements)."""
    columns = inspect(Deadline).column_attrs.keys()
    changed = [(row, {key for key in columns if state.attrs[key].history.has_changes()})
               for row in rows if (state := inspect(row)).persistent]
    changed = [(row, keys) for row, keys in changed if keys]
    if len(changed) < 2:
        return
    every = set().union(*(keys for _row, keys in changed))
    for row, keys in changed:
        for key in every - keys:
            flag_modified(row, key)


def _project(session: Session, case_id: int, unmet: list[Deadline], *, closed: bool,
             stored: dict[str, object] | None = None) -> None:
    """Keep the case's SLA wall row (SlaCase) in step with its unmet deadlines, in one statement: a closed case
    leaves the wall; an open one is upserted, unless ``stored`` (the row as it stands, see ``_stored_row``)
    already holds these values: most steps move no deadline. The case is already in the session, so reading it
    costs nothing. Inside ``defer_projection`` the row is kept for ``write_projection`` instead, one statement
    for the batch."""
    values: dict[str, object] | None = None
    if not closed:
        case_row = session.get_one(Case, case_id)
        values = _wall_values(case_row.rag, case_row.received_at,
                              [(row.due_at, row.at_risk_at, row.breached_at) for row in unmet])
    deferred = session.info.get(_DEFERRED)
    if deferred is not None and deferred[0] is session.get_transaction():
        deferred[1][case_id] = values  # the last step of the case in the batch is the one that stands
        return
    if values is not None and values == stored:
        return
    _write_projection(session, {case_id: values})


def _wall_values(rag: object, received_at: object,
                 unmet: list[tuple[datetime, datetime | None, datetime | None]]) -> dict[str, object]:
    """An open case's SLA wall row from its RAG, receipt and unmet deadlines (due, at risk, breached)."""
    risks = [at_risk for _due, at_risk, _breached in unmet if at_risk is not None]
    return {"rag": rag, "received_at": received_at, "next_due": min((due for due, _r, _b in unmet), default=None),
            "risk_from": min(risks, default=None), "breached": any(b is not None for _d, _r, b in unmet)}


def _stored_row(session: Session, case_id: int, read: list[Deadline]) -> dict[str, object] | None:
    """The case's SLA wall row as it stands in the database, worked out without reading it: as this transaction
    last wrote it, or else from the values the case and its deadline rows (``read``: every row not cancelled in
    the database) were loaded with, before this step changed them. None if the row may not exist yet (the case's
    first step) or the case is not open as stored."""
    written = memo(session, _WRITTEN)
    if case_id in written:
        return cast(dict[str, object] | None, written[case_id])
    case_row = session.get(Case, case_id)
    if case_row is None or case_id in session.new:
        return None
    if not _loaded(case_row, "state") or _loaded(case_row, "status") != "open":
        return None  # not started before this step: the wall has no row for it yet
    fields = ("due_at", "at_risk_at", "breached_at", "met_at", "cancelled_at")
    loaded = [tuple(_loaded(row, name) for name in fields) for row in read]
    case_values = (_loaded(case_row, "rag"), _loaded(case_row, "received_at"))
    if any(value is _UNKNOWN for values in [*loaded, case_values] for value in values):
        return None
    return _wall_values(*case_values, [(due, at_risk, breached) for due, at_risk, breached, met, cancelled in loaded
                                       if met is None and cancelled is None])


#: An attribute changed without its loaded value known (it was expired): the stored row cannot be worked out.
_UNKNOWN = object()


def _loaded(row: object, name: str) -> Any:
    """An attribute's value as loaded from (or last flushed to) the database, before pending changes."""
    history = inspect(row).attrs[name].history
    if history.deleted:
        return history.deleted[0]
    if history.unchanged:
        return history.unchanged[0]
    return _UNKNOWN if history.added else getattr(row, name)


def defer_projection(session: Session) -> None:
    """From now until ``write_projection`` in this transaction, keep each case's SLA wall row instead of writing
    it at once: a batch of firings writes them all in two statements, and no per-case write makes the session
    flush the case's other rows one case at a time."""
    session.info[_DEFERRED] = (session.get_transaction(), {})


def write_projection(session: Session) -> None:
    """Write the rows kept since ``defer_projection`` (closed cases leave the wall, open ones are upserted)."""
    deferred = session.info.pop(_DEFERRED, None)
    if deferred is not None and deferred[0] is session.get_transaction() and deferred[1]:
        _write_projection(session, deferred[1])


def _write_projection(session: Session, rows: dict[int, dict[str, object] | None]) -> None:
    with session.no_autoflush:  # from the values in hand: the step's other changes wait for its one flush
        _write_rows(session, rows)


def _write_rows(session: Session, rows: dict[int, dict[str, object] | None]) -> None:
    memo(session, _WRITTEN).update(rows)  # None: the case is off the wall
    closed = [case_id for case_id, values in rows.items() if values is None]
    if closed:
        session.execute(delete(SlaCase).where(SlaCase.case_id.in_(closed)))
    upserts = [{"case_id": case_id, **values} for case_id, values in rows.items() if values is not None]
    if not upserts:
        return
    session.execute(_UPSERTS[session.get_bind().dialect.name], upserts)  # Core: one executemany for a batch


def _upsert(insert_of: Any) -> Any:
    statement = insert_of(cast(Table, SlaCase.__table__))
    return statement.on_conflict_do_update(index_elements=[SlaCase.case_id], set_={
        name: statement.excluded[name] for name in ("rag", "received_at", "next_due", "risk_from", "breached")})


#: A wall row written or rewritten, by dialect: built once (every step that moves a deadline writes one).
_UPSERTS = {"postgresql": _upsert(postgres_insert), "sqlite": _upsert(sqlite_insert)}


def leave_wall(session: Session, case_id: int) -> None:
    """A case closed outside its diagram (a training reset) leaves the SLA wall."""
    session.execute(delete(SlaCase).where(SlaCase.case_id == case_id))
    memo(session, _WRITTEN)[case_id] = None


def rebuild_sla_projection(session: Session) -> int:
    """Rebuild every SLA wall row from the deadlines (after a bulk load, or to check the upkeep); returns the
    number of open cases on the wall. The same rows as migration 0023's fill."""
    forget(session, _WRITTEN)
    session.execute(delete(SlaCase))
    unmet = and_(Deadline.case_id == Case.id, Deadline.met_at.is_(None), Deadline.cancelled_at.is_(None))
    breached = func.coalesce(func.max(case((Deadline.breached_at.is_not(None), 1), else_=0)), 0) == 1
    rows = (select(Case.id, Case.rag, Case.received_at, func.min(Deadline.due_at), func.min(Deadline.at_risk_at),
                   breached)
            .select_from(Case).outerjoin(Deadline, unmet).where(Case.status == "open")
            .group_by(Case.id, Case.rag, Case.received_at))
    session.execute(insert(SlaCase).from_select(
        ["case_id", "rag", "received_at", "next_due", "risk_from", "breached"], rows))
    return session.scalar(select(func.count()).select_from(SlaCase)) or 0


def _meets(workflow: CaseWorkflow, row: Deadline) -> bool:
    """Whether finishing the step the deadline was last drawn on meets it: any step, unless the timer names the
    one that does (``deadlineMetBy``: the ICPC target is met by holding the conference, not by convening it)."""
    info = workflow.definition.timers.get((row.process_id, row.element_id))
    return info is None or info.met_by is None or info.met_by == row.attached_element_id


def _new_row(new: list[Deadline], case_id: int, timer: WaitingTimer, at: datetime, rows: dict) -> Deadline:
    row = Deadline(case_id=case_id, name=timer.name, kind=timer.kind, process_id=timer.process_id,
                   element_id=timer.bpmn_id, timer_task_id=timer.task_id, armed_at=timer.armed_at or at,
                   at_risk_at=timer.at_risk_at, due_at=timer.due_at)
    new.append(row)
    rows[(timer.process_id, timer.name)] = row
    return row


def _follow(row: Deadline, timer: WaitingTimer) -> None:
    """The deadline now rides on this timer (and the task it is drawn on)."""
    row.element_id, row.timer_task_id = timer.bpmn_id, timer.task_id
    row.attached_task_id, row.attached_element_id = timer.attached_to, timer.attached_bpmn_id


def follow_renamed_timers(session: Session, case_id: int, workflow: CaseWorkflow) -> None:
    """A case moved to a newer version keeps its deadline rows: a timer renamed (or re-kinded) there takes its
    row with it, instead of the row being cancelled and a new one started."""
    timers = {timer.task_id: timer for timer in workflow.waiting_timers()}
    for row in session.scalars(select(Deadline).where(Deadline.case_id == case_id, Deadline.met_at.is_(None),
                                                      Deadline.cancelled_at.is_(None))):
        timer = timers.get(row.timer_task_id)
        if timer is not None and (row.name, row.kind) != (timer.name, timer.kind):
            row.name, row.kind = timer.name, timer.kind


def record_retimed(session: Session, case_id: int, moved: list[Retimed], actor: Actor, reason: str) -> None:
    """An audit event per moved deadline, saying from when to when and why. A deadline drawn on several steps
    at once (the decision's, on every open agency check) moves once."""
    seen: set[tuple[str, str]] = set()
    for item in moved:
        if (item.timer.process_id, item.timer.name) in seen:
            continue
        seen.add((item.timer.process_id, item.timer.name))
        was = item.was_due_at.isoformat() if item.was_due_at else None
        record(session, actor, "deadline.retimed", case_id=case_id, task_id=item.timer.task_id,
               element_id=item.timer.bpmn_id, summary=f"{item.timer.name} moved",
               details={"from": was, "to": item.timer.due_at.isoformat() if item.timer.due_at else None,
                        "reason": reason})
