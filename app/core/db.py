"""Database engine and sessions: one unit of work per request or job, committed at the boundary."""
from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import DateTime, Executable, Float, MetaData, Row, create_engine, event, inspect, update
from sqlalchemy.engine import Connection, Dialect, Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapper,
    ORMExecuteState,
    Session,
    SessionTransaction,
    scoped_session,
    sessionmaker,
)
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from app.core.config import sqlite_synchronous
from app.core.write_queue import QueuedConnection, begin_in_turn, given_back_at_checkin, queue_for, remember

log = logging.getLogger(__name__)
T = TypeVar("T")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every backend (SQLite stores naive text; we never hand out naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class hours_between(FunctionElement[float]):  # noqa: N801  (used like a SQL function)
    """Hours from one timestamp column to another, worked out by the database: a report over tens of
    thousands of rows then reads one number per row instead of two timestamps to convert in Python."""

    type = Float()
    inherit_cache = True


@compiles(hours_between, "sqlite")
def _hours_between_sqlite(element: hours_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 24.0)"


@compiles(hours_between, "postgresql")
def _hours_between_postgresql(element: hours_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 3600.0)"


def create_private_sqlite_file(url: str) -> None:
    """Create a SQLite database file that does not exist yet as an empty file readable by this account only
    (0600), before SQLite opens it: SQLite would create it with the umask's mode (often 0644), and it gives its
    -wal, -shm and -journal files the database file's own mode. In-memory and URI databases are left alone."""
    parsed = make_url(url)
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:") or parsed.query.get("uri"):
        return
    try:
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass  # an existing database keeps the mode its owner gave it
    except OSError:
        pass  # a folder that is missing or closed to us: SQLite says so when it first connects


#: How long a SQLite writer waits for the write lock before failing. Longer than any transaction the app holds:
#: diagram code runs outside transactions (a contact's start) or within its budget (MASH_STEP_SECONDS, 2 s by
#: default, per engine step), so a writer that has to wait waits instead of losing its work.
SQLITE_BUSY_SECONDS = 60


def make_engine(url: str) -> Engine:
    """``hide_parameters``: a database error's message must not carry the personal data it was writing."""
    if url.startswith("sqlite"):
        create_private_sqlite_file(url)
        synchronous = sqlite_synchronous()
        queue = queue_for(make_url(url).database)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False,
                                                  "factory": QueuedConnection}, hide_parameters=True)
        if queue is not None:
            remember(engine, queue)
            event.listen(engine, "checkin", given_back_at_checkin)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy open transactions itself so BEGIN IMMEDIATE can serialise writers.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")  # app/core/config.py SQLITE_SYNCHRONOUS
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            write = conn.get_execution_options().get("sqlite_write")
            if not write:
                conn.exec_driver_sql("BEGIN")
            elif queue is None:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:  # writers of this process take turns in arrival order (app/core/write_queue.py)
                begin_in_turn(conn, queue, seconds=SQLITE_BUSY_SECONDS)

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True)


class Database:
    """Holds the engine and a thread-local session for web requests; jobs open their own sessions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.session_factory = sessionmaker(bind=self.engine, expire_on_commit=False)
        # Requests read, then write their audit event: on SQLite they start as writers, or a read snapshot
        # made stale by another commit could not be upgraded ("database is locked" at once).
        self.scoped = scoped_session(sessionmaker(bind=self.engine.execution_options(sqlite_write=True),
                                                  expire_on_commit=False))
        #: A read request's (GET) session: a deferred BEGIN, no write lock until it commits (RequestUnit).
        self.read_scoped = scoped_session(sessionmaker(bind=self.engine, expire_on_commit=False, autoflush=False))

    @property
    def session(self) -> Session:
        """The request's session (a reader's or a writer's), or the thread's own outside a request."""
        unit = _request_unit.get()
        return unit.session if unit is not None else self.scoped()

    def remove(self) -> None:
        self.scoped.remove()
        self.read_scoped.remove()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session to read with: inside a request the request's own (it sees what the request has done so
        far), elsewhere a read transaction of its own."""
        unit = request_unit()
        if unit is not None:
            yield unit.session
            return
        with self.unit_of_work(write=False) as session:
            yield session

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[Session]:
        """A session of its own, committed on success and rolled back on any error."""
        session = self.session_factory()
        if write:
            begin_write(session)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.remove()
        self.engine.dispose()


_db: Database | None = None


def init_db(url: str) -> Database:
    global _db
    if _db is not None and _db.url == url:
        return _db
    if _db is not None:
        _db.dispose()
    _db = Database(url)
    return _db


def get_db() -> Database:
    if _db is None:
        raise RuntimeError("database not initialised: call init_db() first")
    return _db


def begin_write(session: Session) -> None:
    """Start the transaction as a writer: on SQLite take the write lock up front (BEGIN IMMEDIATE)
    so two writers queue instead of failing when a reader tries to upgrade."""
    session.connection(execution_options={"sqlite_write": True})


#: A row of any columns, as read_rows gives them.
AnyRow = Row[*tuple[Any, ...]]


def read_rows(session: Session, statement: Executable, params: Mapping[str, Any] | None = None) -> Sequence[AnyRow]:
    """Plain rows (columns, not the session's objects) read through the session's connection, in its transaction.

    The ORM's way to the same connection costs a read of a few rows about 35 microseconds on SQLite beyond the read
    itself (its bookkeeping and events, and an object in the identity map for each entity row); an answer about a
    case makes a dozen reads that nothing in the request changes afterwards (issue 20). What the session holds
    unflushed is flushed first when it autoflushes, so the read sees what an ORM read would."""
    if session.autoflush:
        session.flush()
    return session.connection().execute(statement, params or {}).all()


# ----------------------------------------------------------------------------- queues that follow savepoints
#: Session.info key: marks of each open savepoint, {id(savepoint): {queue key: length when it began}}.
_MARKS = "mash.savepoint_marks"
#: Session.info key of the callbacks to run once the session's transaction has committed.
AFTER_COMMIT = "mash.after_commit"
#: The keys of every such queue.
_QUEUES: set[str] = {AFTER_COMMIT}
#: Session.info key: the transaction has flushed or executed a write.
_WROTE = "mash.wrote"
#: Session.info key: how many flushes and ORM writes the session has made (never reset: compared, not read).
_WRITES = "mash.writes"


def queued(session: Session, key: str) -> list[Any]:
    """A list kept on the session that follows its transactions: what was queued inside a savepoint goes with
    it when it rolls back (except items marked ``kept_on_rollback``), and everything goes with a rollback of
    the whole transaction. The audit trail's pending events and after-commit effects are such queues."""
    _QUEUES.add(key)
    return cast(list[Any], session.info.setdefault(key, []))


def after_commit(session: Session, callback: Callable[[], object]) -> None:
    """Run ``callback`` once the session's transaction has committed (waking the scheduler, sending a
    notification); never if it rolls back. A failing callback is logged and does not undo the commit."""
    queued(session, AFTER_COMMIT).append(callback)


def wrote(session: Session) -> bool:
    """Whether the session's transaction has anything to commit: rows written or waiting to be, audit events
    or after-commit effects queued."""
    return bool(session.info.get(_WROTE) or session.new or session.dirty or session.deleted
                or any(session.info.get(key) for key in _QUEUES))


def _flushed(session: Session, _context: object) -> None:
    session.info[_WROTE] = True
    session.info[_WRITES] = session.info.get(_WRITES, 0) + 1


def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True
        state.session.info[_WRITES] = state.session.info.get(_WRITES, 0) + 1


def _mark(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        lengths = {key: len(session.info[key]) for key in _QUEUES if key in session.info}
        session.info.setdefault(_MARKS, {})[id(transaction)] = lengths


def _rolled_back(session: Session, previous: SessionTransaction) -> None:
    if previous.nested:
        lengths = session.info.get(_MARKS, {}).pop(id(previous), {})
        for key in _QUEUES & session.info.keys():
            items = session.info[key]
            since = items[lengths.get(key, 0):]
            del items[lengths.get(key, 0):]
            items.extend(item for item in since if getattr(item, "kept_on_rollback", False))
    elif previous.parent is None:
        for key in _QUEUES & session.info.keys():
            del session.info[key]
        session.info.pop(_MARKS, None)
        session.info.pop(_WROTE, None)


def _committed(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: its queued items now belong to the enclosing transaction
    session.info.pop(_MARKS, None)
    session.info.pop(_WROTE, None)
    for callback in session.info.pop(AFTER_COMMIT, []):
        try:
            callback()
        except Exception:
            log.exception("an after-commit effect failed")


event.listen(Session, "after_flush", _flushed)
event.listen(Session, "do_orm_execute", _executed)
event.listen(Session, "after_transaction_create", _mark)
event.listen(Session, "after_soft_rollback", _rolled_back)
event.listen(Session, "after_commit", _committed)


# ----------------------------------------------------------------------------- one unit of work per request
class RequestUnit:
    """One request's unit of work: everything the request does commits once, at its end, or not at all.

    Who is asking (a session's activity, a token's use, a refused token) is written before the action
    begins; the action (``start_action``) is a savepoint, so a refusal undoes the action alone and those
    facts, with any security event the action recorded, still commit. Operations inside the request run as
    savepoints of it (``run_in_transaction``), so a version conflict retries one operation on fresh data.

    When nothing has been written to the database by the time the action begins (who asked is still pending in
    the session: a token's use, its audit event), the action needs no SAVEPOINT: what came before it is kept
    aside (as a read keeps it, ``_Carried``), and undoing the action is rolling the transaction back and making
    those changes again. The first operation runs the same way. A completion then sends no SAVEPOINT and no
    RELEASE (issue 20); an action begun after a write keeps its savepoint."""

    def __init__(self, session: Session, *, write: bool = True) -> None:
        self.session = session
        self.refused = False
        self._action: SessionTransaction | None = None
        #: A read (GET) begins without SQLite's write lock and takes it only to commit what it wrote (who asked,
        #: the view's audit events, a release marked read), in a short write transaction of its own.
        self.write = write
        #: A read's "who asked" as the action began: a savepoint would flush it, writing in the read (SQLite's
        #: write lock taken mid-request, or refused outright if another request has committed since it began).
        self._before_action: _Carried | None = None
        #: The session's write count as the action's savepoint began (see ``_action_untouched``).
        self._writes_at_action = 0
        self._running = False
        #: A writer's action begun without a savepoint (nothing written yet): undone by rolling the transaction
        #: back and making ``_before_action`` again.
        self._unsaved_action = False

    def start_action(self) -> None:
        if not self.write:
            if self._before_action is None:
                self._before_action = _carried(self.session)
            return
        if self._action is None and not self._unsaved_action and self.session.in_transaction():
            if _written(self.session):
                self._begin_action()
            else:
                self._before_action = _carried(self.session)
                self._unsaved_action = True

    def _begin_action(self) -> None:
        self._action = self.session.begin_nested()
        self._writes_at_action = self.session.info.get(_WRITES, 0)

    def _action_untouched(self) -> bool:
        """Whether the action's savepoint holds nothing yet (no write, nothing pending, nothing queued), so an
        operation may run in it directly: rolling it back then undoes that operation alone, as the operation's
        own savepoint would, and the request saves a SAVEPOINT and its RELEASE."""
        action, session = self._action, self.session
        if action is None or not action.is_active or session.get_nested_transaction() is not action:
            return False
        if session.info.get(_WRITES, 0) != self._writes_at_action or session.new or session.dirty or session.deleted:
            return False
        marks = session.info.get(_MARKS, {}).get(id(action), {})
        return all(len(session.info[key]) == marks.get(key, 0) for key in _QUEUES & session.info.keys())

    def refuse(self, *, earlier_steps_stand: bool = False) -> None:
        """Undo the action, keeping who asked and the security events queued with it; or, when the refusal
        says so, keep the steps the action completed before it (the refused step undid itself)."""
        self.refused = True
        if earlier_steps_stand:
            return
        self._unsaved_action = False
        if self._action is not None and self._action.is_active:
            self._action.rollback()
        else:  # a read's action, one without a savepoint, or none began (a public page: signing in): all goes
            _undo_to(self.session, self._before_action or _Carried([], [], {}))  # but who asked and security
        self._action = None
        self._before_action = None

    def commit_so_far(self) -> None:
        """Commit what the request has done so far (a contact, before its process's first steps run): it
        stands whatever follows. What the request does next is a new transaction, committed at its end: an action
        going on goes on in it with nothing written yet, so without a savepoint (undone, it leaves nothing of what
        follows the commit but the security events, as before)."""
        acting = self._action is not None or self._unsaved_action
        if self.session.in_transaction():
            self.session.commit()
        self._action = None
        if self.write:
            self._unsaved_action = acting
            self._before_action = _Carried([], [], {}) if acting else None

    def finish(self, *, keep: bool) -> None:
        """Commit (running the after-commit effects) or roll everything back. A request that wrote nothing
        ends its transaction without a commit: a read-only page costs no synced write."""
        if keep and wrote(self.session):  # (a refusal before any action keeps its security events queued alone)
            if self.write or self.session.info.get(_WROTE) or self.session.get_bind().dialect.name != "sqlite":
                self.session.commit()
            else:
                _commit_as_writer(self.session)
        else:
            self.session.rollback()

    def run(self, fn: Callable[..., T], *args: Any, retries: int, **kwargs: Any) -> T:
        def attempt() -> T:
            if not self._running and self._unsaved_action and not _written(self.session):
                return unsaved()
            if self._running or not self._action_untouched():
                with self.session.begin_nested():
                    return fn(self.session, *args, **kwargs)
            self._running = True
            try:
                result = fn(self.session, *args, **kwargs)
                self.session.flush()  # a version conflict shows here, to be retried, as at a savepoint's release
                return result
            except BaseException:
                if self._action is not None and self._action.is_active:
                    self._action.rollback()  # the operation's work goes, as its own savepoint's would
                    self._begin_action()
                raise
            finally:
                self._running = False

        def unsaved() -> T:
            """The operation in the transaction itself, nothing written before it: if it fails, the transaction
            is rolled back and what was pending as it began is made again, as its savepoint's rollback would."""
            before = _carried(self.session)
            self._running = True
            try:
                result = fn(self.session, *args, **kwargs)
                self.session.flush()
                return result
            except BaseException:
                _undo_to(self.session, before)
                raise
            finally:
                self._running = False

        def conflict(error: Exception) -> bool:
            if not isinstance(error, StaleDataError):
                return False  # the request holds SQLite's write lock from its start: never "locked" here
            self.session.expire_all()  # another request changed the case first: read it afresh
            return True

        return _retried(attempt, retries, conflict)


@dataclass(frozen=True)
class _Carried:
    """What a read has changed so far, to be carried into another transaction: changed attributes of loaded rows
    (by identity), new rows, and queued items (audit events, after-commit effects)."""

    changed: list[tuple[type, Any, dict[str, Any]]]
    added: list[Any]
    queues: dict[str, list[Any]]


def _written(session: Session) -> bool:
    """Whether the session's transaction has sent a write to the database (a flush or an ORM write)."""
    return bool(session.info.get(_WROTE))


def _carried(session: Session) -> _Carried:
    changed = []
    for row in session.dirty:
        state = inspect(row)
        changed.append((type(row), state.identity,
                        {attr.key: attr.value for attr in state.attrs if attr.history.has_changes()}))
    return _Carried(changed, list(session.new), {key: list(session.info.get(key, [])) for key in _QUEUES})


def _forget(session: Session) -> None:
    """Roll back and drop every queue, also when no transaction had begun (then no rollback event runs)."""
    session.rollback()
    for key in _QUEUES:
        session.info.pop(key, None)


def _reapply(session: Session, carried: _Carried) -> None:
    """Make ``carried``'s changes again, onto the rows as they are now (a row gone meanwhile is left alone)."""
    for model, identity, values in carried.changed:
        mapper: Mapper[Any] = inspect(model)
        if mapper.version_id_col is None and values.keys() <= set(mapper.column_attrs.keys()):
            # Plain columns (a token's last use, a release marked read): written by key, without reading the row
            # and what it loads with it again; a row gone meanwhile matches nothing.
            key_columns = dict(zip((mapper.get_property_by_column(column).key for column in mapper.primary_key),
                                   identity, strict=True))
            session.execute(update(model).filter_by(**key_columns).values(**values)
                            .execution_options(synchronize_session=False))
            continue
        row = session.get(model, identity)
        if row is None:
            continue
        for key, value in values.items():
            setattr(row, key, value)
    session.add_all(carried.added)
    for key, items in carried.queues.items():
        queued(session, key).extend(items)


def _undo_to(session: Session, before: _Carried) -> None:
    """Roll the transaction back to ``before`` (what was pending when it was taken): everything since goes but
    the queued items marked ``kept_on_rollback`` (security events), as a savepoint's rollback keeps them."""
    kept = {key: [item for item in session.info.get(key, ())
                  if getattr(item, "kept_on_rollback", False) and item not in before.queues.get(key, ())]
            for key in _QUEUES}
    _forget(session)
    _reapply(session, before)
    for key, items in kept.items():
        queued(session, key).extend(items)


def _commit_as_writer(session: Session) -> None:
    """Commit a read's writes in a write transaction of their own (SQLite): the read's snapshot may be older than
    another request's commit, and SQLite refuses to upgrade a stale snapshot to a writer. What the read changed
    is carried over onto the rows as they are now; the read's own rows had nothing else to say."""
    if session.deleted:
        session.commit()  # no read deletes: nothing to carry over, so commit as it stands
        return
    carried = _carried(session)
    _forget(session)
    begin_write(session)
    _reapply(session, carried)
    session.commit()


_request_unit: ContextVar[RequestUnit | None] = ContextVar("mash_request_unit", default=None)


def open_request_unit(*, write: bool = True) -> RequestUnit:
    db = get_db()
    unit = RequestUnit(db.scoped() if write else db.read_scoped(), write=write)
    _request_unit.set(unit)
    return unit


def request_unit() -> RequestUnit | None:
    """The unit of work of the request being served on this thread, if any."""
    return _request_unit.get()


def commit_request_so_far() -> None:
    """Inside a request: commit what it has done so far (RequestUnit.commit_so_far). Elsewhere nothing is
    open between ``run_in_transaction`` calls, so there is nothing to do."""
    unit = _request_unit.get()
    if unit is not None:
        unit.commit_so_far()


def end_request_unit() -> RequestUnit | None:
    """Take the request's unit of work off the request, to finish it."""
    unit = _request_unit.get()
    _request_unit.set(None)
    return unit


def run_in_transaction(fn: Callable[..., T], *args: Any, retries: int = 8, **kwargs: Any) -> T:
    """Run ``fn(session, ...)`` as one atomic step. Inside a request it is a savepoint of the request's unit of
    work, committed with the request; elsewhere (the scheduler, the command line) a transaction of its own,
    committed here. A version conflict between two legitimate actions (two agencies returning on the same
    case at once) is retried, never shown to the user; the operation decides, on the fresh state, whether its
    action is still possible."""
    unit = request_unit()
    if unit is not None:
        return unit.run(fn, *args, retries=retries, **kwargs)
    db = get_db()
    if db.scoped.registry.has():
        db.scoped().commit()  # a thread's own reads end first, so they cannot hold SQLite's write lock

    def attempt() -> T:
        with db.unit_of_work() as session:
            return fn(session, *args, **kwargs)

    def conflict(error: Exception) -> bool:
        # SQLite: a reader's snapshot went stale before it could write; a new transaction reads afresh.
        return isinstance(error, StaleDataError) or any(word in str(error).lower() for word in ("locked", "busy"))

    return _retried(attempt, retries, conflict)


def _retried(attempt: Callable[[], T], retries: int, conflict: Callable[[Exception], bool]) -> T:
    """``attempt()``, tried again while it fails with a conflict (``conflict`` readies the next try); the last
    try's failure is raised."""
    for _ in range(retries - 1):
        try:
            return attempt()
        except (StaleDataError, OperationalError) as error:
            if not conflict(error):
                raise
    return attempt()
