"""The hash chain over the audit trail: how an entry is hashed, how entries join the chain at commit,
and how the chain is checked.

Entries are chained when their transaction commits, not when they are recorded: the chain head is
locked only after everything else in the transaction has been flushed, so the lock is held for the
commit alone and cannot deadlock with the rows the action itself locks.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, event, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from app.audit.models import AuditChainHead, AuditEvent
from app.core.db import queued

GENESIS = "0" * 64
PENDING_KEY = "audit_pending"


def entry_hash(prev_hash: str, *, seq: int, at, user_id, username, action, case_id, task_id, element_id,
               summary, details) -> str:
    """SHA-256 over the previous hash and a canonical JSON of the entry (keys sorted, UTC microseconds)."""
    body = json.dumps({
        "seq": seq, "at": at.astimezone(UTC).isoformat(timespec="microseconds"), "user_id": user_id,
        "username": username,
        "action": action, "case_id": case_id, "task_id": task_id, "element_id": element_id,
        "summary": summary or "", "details": details or {},
    }, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def hash_of(row: AuditEvent | PendingEvent, prev_hash: str) -> str:
    return entry_hash(prev_hash, seq=row.seq, at=row.at, user_id=row.user_id, username=row.username,
                      action=row.action, case_id=row.case_id, task_id=row.task_id, element_id=row.element_id,
                      summary=row.summary, details=row.details)


@dataclass(slots=True, eq=False)  # eq=False: two events alike are still two (app.core.db's queues compare)
class PendingEvent:
    """An event recorded in a transaction, waiting for its place in the chain at commit. Not an ORM object: a
    completion records about seventeen (mostly one per engine step), and nothing reads them back as rows (one
    executemany inserts them), so they need not pay for the ORM's instrumentation."""

    at: datetime
    user_id: int | None
    username: str
    action: str
    case_id: int | None
    task_id: str | None
    element_id: str | None
    summary: str
    details: dict
    #: Kept when the action it happened in is rolled back (a security event: app.core.db.queued).
    kept_on_rollback: bool = False
    seq: int = 0
    prev_hash: str = ""
    hash: str = ""


def pending(session: Session) -> list[PendingEvent]:
    """Events recorded in this session's transaction, chained when it commits; those recorded inside a
    savepoint that rolls back go with it, unless marked ``kept_on_rollback`` (app.core.db.queued)."""
    return queued(session, PENDING_KEY)


def _lock_head(session: Session) -> AuditChainHead:
    """The one head row (migration 0004 creates it), locked until this transaction commits."""
    return session.scalars(select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()
                           .execution_options(populate_existing=True)).one()


#: Each database's chain head as this process last moved it (by URL, password hidden): a guess, never trusted.
_LAST_HEAD: dict[str, tuple[int, str]] = {}


def append_pending(session: Session) -> None:
    """Chain the session's recorded events onto the head (called just before commit).

    The head is moved, and locked until commit, by one UPDATE that holds only if the head is still the one this
    process last moved it to (``_LAST_HEAD``): the events are chained on that guess, and the UPDATE's condition
    (the head's seq and hash) checks it against the row itself, after waiting for any writer holding it. If
    another process or a rolled-back transaction moved the head, nothing is written and the head is read and
    locked as before (SELECT ... FOR UPDATE), the events chained again on it."""
    events = session.info.get(PENDING_KEY)
    if not events or session.in_nested_transaction():
        return  # a savepoint's release: its events are chained when the whole transaction commits
    session.info[PENDING_KEY] = []
    session.flush()  # the action's own rows (and their locks) first; the head lock comes last
    database = str(session.get_bind().engine.url)  # a request's reads and writes may use two engines on it
    guess = _LAST_HEAD.get(database)
    moved = guess is not None and _move_head(session, guess, _chain(events, *guess))
    if not moved:
        head = _lock_head(session)
        head.seq, head.hash = _chain(events, head.seq, head.hash)
    last = events[-1]
    _LAST_HEAD[database] = (last.seq, last.hash)
    # One statement for the transaction's whole batch (a completion's dozen step events).
    session.execute(_INSERT, [{column: getattr(item, column) for column in _COLUMNS} for item in events])


def _chain(events: list[PendingEvent], seq: int, prev_hash: str) -> tuple[int, str]:
    """Number and hash the events after the head (seq, hash); returns the new head."""
    for item in events:
        seq += 1
        item.seq, item.prev_hash = seq, prev_hash
        item.hash = prev_hash = hash_of(item, prev_hash)
    return seq, prev_hash


_HEAD = cast(Table, AuditChainHead.__table__)
#: Built once: every commit that records an event moves the head.
_MOVE_HEAD = (update(_HEAD).where(_HEAD.c.id == 1, _HEAD.c.seq == bindparam("was_seq"),
                                  _HEAD.c.hash == bindparam("was_hash"))
              .values(seq=bindparam("new_seq"), hash=bindparam("new_hash")))


def _move_head(session: Session, was: tuple[int, str], now: tuple[int, str]) -> bool:
    """Move the head from ``was`` to ``now`` if it is still ``was`` (locking it); whether it was."""
    moved = session.execute(_MOVE_HEAD, {"was_seq": was[0], "was_hash": was[1], "new_seq": now[0], "new_hash": now[1]})
    if cast(CursorResult[Any], moved).rowcount != 1:
        return False
    held = session.identity_map.get(identity_key(AuditChainHead, 1))
    if held is not None:  # a head loaded in this session (a check, a fallback) shows where it now is
        set_committed_value(held, "seq", now[0])
        set_committed_value(held, "hash", now[1])
    return True


#: What an entry stores: every column but the id, which is the database's.
_COLUMNS = tuple(column.name for column in AuditEvent.__table__.columns if column.name != "id")
#: Built once (Core: one executemany): every commit that records an event writes it.
_INSERT = insert(cast(Table, AuditEvent.__table__))


def install() -> None:
    """Hook every Session: chain before commit (a rollback forgets recorded events: app.core.db.queued)."""
    if not event.contains(Session, "before_commit", append_pending):
        event.listen(Session, "before_commit", append_pending)


@dataclass(frozen=True)
class Break:
    """The first place the chain does not hold."""

    seq: int
    id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"entry {self.seq}" + (f" (row id {self.id})" if self.id is not None else "")
        return f"{where}: {self.problem}"


@dataclass(frozen=True)
class Verification:
    entries: int
    head_seq: int
    head_hash: str
    first_break: Break | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def _rows(session: Session, batch: int = 5000) -> Iterator[AuditEvent]:
    after = 0
    while True:
        rows = list(session.scalars(select(AuditEvent).where(AuditEvent.seq > after)
                                    .order_by(AuditEvent.seq).limit(batch)))
        if not rows:
            return
        yield from rows
        after = rows[-1].seq
        session.expunge_all()


def verify(session: Session, *, anchor: tuple[int, str] | None = None) -> Verification:
    """Walk the whole chain in order: every entry present, unaltered and linked to the one before,
    the last entry matching the head (so removing the newest entries is caught too), and, given an
    anchor kept outside the database, the chain still passing through it (so a chain recomputed from
    scratch by someone with write access is caught)."""
    head = session.get(AuditChainHead, 1)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    expected_seq, prev_hash, count = 1, GENESIS, 0
    for row in _rows(session):
        count += 1
        if row.seq != expected_seq:
            missing = f"{expected_seq}" if row.seq == expected_seq + 1 else f"{expected_seq} to {row.seq - 1}"
            return Verification(count, head_seq, head_hash, Break(
                expected_seq, None, f"missing: entry {missing} has been removed (the chain jumps to {row.seq})"))
        if row.prev_hash != prev_hash:
            return Verification(count, head_seq, head_hash, Break(
                row.seq, row.id, "does not link to the entry before it (an entry before it was altered or replaced)"))
        if hash_of(row, prev_hash) != row.hash:
            return Verification(count, head_seq, head_hash, Break(
                row.seq, row.id, f"altered: its content no longer matches its hash (action {row.action!r})"))
        if anchor is not None and row.seq == anchor[0] and row.hash != anchor[1]:
            return Verification(count, head_seq, head_hash, Break(
                row.seq, row.id, "does not match the anchor recorded earlier: the trail has been rewritten"))
        prev_hash, expected_seq = row.hash, row.seq + 1
    last = expected_seq - 1
    if anchor is not None and anchor[0] > last:
        return Verification(count, head_seq, head_hash, Break(
            anchor[0], None, f"missing: the anchor entry is beyond the end of the chain (entry {last})"))
    if last != head_seq or prev_hash != head_hash:
        return Verification(count, head_seq, head_hash, Break(
            last + 1, None, f"missing: the chain ends at entry {last} but the head records entry {head_seq}"))
    return Verification(count, head_seq, head_hash, None)
