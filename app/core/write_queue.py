"""SQLite's writers in one process take turns first come, first served.

SQLite lets one transaction write at a time. A writer that finds the write lock taken sleeps in
sqlite3_busy_timeout's back-off (1, 2, 5 ... up to 100 ms between polls), and whoever polls first after the holder
commits goes next: under load some requests wait many turns. Here every ``BEGIN IMMEDIATE`` of the process first
takes its turn in a queue (``WriteQueue``) and the turn passes to the next writer the moment the transaction ends.
The queue only orders writers; SQLite's lock still keeps them apart, and other processes (more server workers,
the ``mash`` command line) meet SQLite's busy handler as before. Reads (a plain ``BEGIN``) never queue; a read's
short audit write at its end queues like any writer (README, "Writers take turns on SQLite": measured, letting it
go first lengthened the actions' tail more than it shortened the reads').

A turn belongs to the DBAPI connection whose ``BEGIN IMMEDIATE`` took it (``QueuedConnection``) and ends when that
connection's ``commit()``, ``rollback()`` or ``close()`` leaves no transaction open, whoever calls them: a session,
the pool's reset at checkin, an invalidated connection, the garbage collector's clean-up of a forgotten one. A
waiter also looks at the turn's holder now and then: a turn whose thread has ended, whose connection is gone or
whose transaction SQLite ended by itself is passed on. A lost turn could stall every writer; it cannot be lost.
"""
from __future__ import annotations

import gc
import os
import sqlite3
import threading
import time
import weakref
from collections import deque
from typing import Any

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

#: How often a waiting writer looks whether the turn's holder is still there.
LOOK_SECONDS = 0.25


class Turn:
    """One writer's turn, for one transaction of one connection."""

    __slots__ = ("began", "connection", "granted", "queue", "thread")

    def __init__(self, queue: WriteQueue, connection: QueuedConnection) -> None:
        self.queue = queue
        self.thread = threading.current_thread()
        self.connection = weakref.ref(connection)
        #: BEGIN IMMEDIATE has run: from now on a connection outside a transaction has ended this turn.
        self.began = False
        self.granted = threading.Event()

    def abandoned(self) -> bool:
        """The holder cannot give the turn back itself: its thread ended, its connection is gone, or SQLite ended
        its transaction without a commit or rollback through the connection (an error SQLite rolls back itself)."""
        if not self.thread.is_alive():
            return True
        connection = self.connection()
        return connection is None or (self.began and not connection.in_write_transaction())


class WriteQueue:
    """Turns to write one SQLite database, for the writers of this process."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        # Reentrant: the garbage collector may give a forgotten connection's turn back (rollback at the pool's
        # clean-up) on whatever thread it runs, also one that is inside this queue's mutex.
        self._mutex = threading.RLock()
        self._holder: Turn | None = None
        self._waiting: deque[Turn] = deque()

    @property
    def holder(self) -> Turn | None:
        return self._holder

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def take(self, connection: QueuedConnection, *, timeout: float) -> Turn | None:
        """Wait for a turn, at most ``timeout`` seconds; None if it did not come."""
        turn = Turn(self, connection)
        with self._mutex:
            if self._holder is None and not self._waiting:
                self._holder = turn
                return turn
            self._waiting.append(turn)
            if self._holder is None:  # given back while this turn was being queued
                self._pass_on()
        deadline = time.monotonic() + timeout
        while not turn.granted.wait(max(0.0, min(deadline - time.monotonic(), LOOK_SECONDS))):
            if time.monotonic() >= deadline:
                with self._mutex:
                    if self._holder is turn:
                        return turn
                    self._waiting.remove(turn)
                return None
            self._look_at_holder()
        return turn

    def give_back(self, turn: Turn) -> None:
        """End ``turn`` (again: a second call, or one for a turn already passed on, does nothing)."""
        with self._mutex:
            if self._holder is turn:
                self._pass_on()

    def _look_at_holder(self) -> None:
        holder = self._holder
        if holder is not None and not holder.thread.is_alive():
            # A thread ended with its transaction open: if nothing holds its session any more, collecting it
            # returns the connection to the pool, whose reset rolls back and frees SQLite's lock as well.
            gc.collect()
        with self._mutex:
            holder = self._holder
            if holder is None or holder.abandoned():
                self._pass_on()

    def _pass_on(self) -> None:
        if self._waiting:
            turn = self._waiting.popleft()
            self._holder = turn
            turn.granted.set()
        else:
            self._holder = None


class QueuedConnection(sqlite3.Connection):
    """A SQLite connection that gives its turn back when its transaction ends, however it ends."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.turn: Turn | None = None
        self._closing = threading.Lock()  # another thread's look (in_write_transaction) never meets a close

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._transaction_may_have_ended()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._transaction_may_have_ended()

    def close(self) -> None:
        try:
            with self._closing:
                super().close()
        finally:
            self.give_back()

    def in_write_transaction(self) -> bool:
        """Whether SQLite has a transaction open on this connection (safe from another thread)."""
        with self._closing:
            try:
                return self.in_transaction
            except sqlite3.ProgrammingError:  # closed
                return False

    def _transaction_may_have_ended(self) -> None:
        if self.turn is not None and not self.in_write_transaction():
            self.give_back()  # a failed COMMIT leaves the transaction open, and the turn with it

    def give_back(self) -> None:
        turn, self.turn = self.turn, None
        if turn is not None:
            turn.queue.give_back(turn)


def begin_in_turn(conn: Connection, queue: WriteQueue, *, seconds: float) -> None:
    """``BEGIN IMMEDIATE`` on ``conn`` once its turn comes. Waiting for the turn and then for SQLite's own lock (held
    by another process) take at most ``seconds`` together; a writer that waited longer is told "database is
    locked", as SQLite's busy handler tells it, and takes the same path (a retry outside a request, a 500 in one)."""
    dbapi = conn.connection.dbapi_connection
    if not isinstance(dbapi, QueuedConnection):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        return
    started = time.monotonic()
    turn = queue.take(dbapi, timeout=seconds)
    if turn is None:
        raise OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))
    dbapi.turn = turn
    waited = time.monotonic() - started
    try:
        if waited > 0.001:
            dbapi.execute(f"PRAGMA busy_timeout={max(0, int((seconds - waited) * 1000))}")
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        finally:
            if waited > 0.001:
                dbapi.execute(f"PRAGMA busy_timeout={int(seconds * 1000)}")
        turn.began = True
    except BaseException:
        dbapi.give_back()
        raise


def given_back_at_checkin(dbapi_connection: Any, _record: Any) -> None:
    """Pool "checkin" listener: a connection back in the pool holds no transaction and no turn. The pool's reset has
    rolled back, except after a COMMIT that failed: SQLite leaves that transaction open (a deferred foreign key, for
    one) and SQLAlchemy then closes the connection without a reset, holding SQLite's write lock in the pool."""
    if not isinstance(dbapi_connection, QueuedConnection):
        return
    try:
        if dbapi_connection.in_write_transaction():
            dbapi_connection.rollback()
    finally:
        dbapi_connection.give_back()


# ----------------------------------------------------------------------------- one queue per database file
_queues: weakref.WeakValueDictionary[str, WriteQueue] = weakref.WeakValueDictionary()
_engines: weakref.WeakKeyDictionary[Engine, WriteQueue] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def queue_for(database: str | None) -> WriteQueue | None:
    """The process's queue for a SQLite database file (every engine on one file shares it); None for an in-memory
    database, where each connection has a database of its own and nothing to wait for."""
    if not database or database == ":memory:" or "mode=memory" in database:
        return None
    key = database if database.startswith("file:") else os.path.realpath(database)
    with _registry_lock:
        queue = _queues.get(key)
        if queue is None:
            queue = _queues[key] = WriteQueue()
        return queue


def remember(engine: Engine, queue: WriteQueue) -> None:
    _engines[engine] = queue


def write_queue(engine: Engine) -> WriteQueue | None:
    """The queue an engine's writers take turns in (None on PostgreSQL and for in-memory SQLite)."""
    return _engines.get(engine)


def _forget_turns_in_child() -> None:
    # A forked server worker starts with none of its parent's transactions: nobody holds a turn, nobody waits.
    for queue in list(_queues.values()):
        queue._reset()


os.register_at_fork(after_in_child=_forget_turns_in_child)
