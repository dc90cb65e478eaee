"""Database engine and sessions: one unit of work per request or job, committed at the boundary."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import DateTime, Float, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC on every backend (SQLite stores naive text; we never hand out naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class hours_between(FunctionElement):  # noqa: N801  (used like a SQL function)
    """Hours from one timestamp column to another, worked out by the database: a report over tens of
    thousands of rows then reads one number per row instead of two timestamps to convert in Python."""

    type = Float()
    inherit_cache = True


@compiles(hours_between, "sqlite")
def _hours_between_sqlite(element, compiler, **kw):
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 24.0)"


@compiles(hours_between, "postgresql")
def _hours_between_postgresql(element, compiler, **kw):
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 3600.0)"


def make_engine(url: str) -> Engine:
    """``hide_parameters``: a database error's message must not carry the personal data it was writing."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # Let SQLAlchemy open transactions itself so BEGIN IMMEDIATE can serialise writers.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            write = conn.get_execution_options().get("sqlite_write")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

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

    @property
    def session(self) -> Session:
        return self.scoped()

    def remove(self) -> None:
        self.scoped.remove()

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
        self.scoped.remove()
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


def run_in_transaction(fn, *args, retries: int = 8, **kwargs):
    """Run ``fn(session, ...)`` as one unit of work. A version conflict between two legitimate actions
    (two agencies returning on the same case at once) is retried here, never shown to the user; the
    operation itself decides, on the fresh state, whether its action is still possible."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm.exc import StaleDataError

    db = get_db()
    # End the request session's transaction so reads after the operation see what it committed.
    db.scoped().commit()
    for attempt in range(retries):
        try:
            with db.unit_of_work() as session:
                return fn(session, *args, **kwargs)
        except StaleDataError:
            if attempt == retries - 1:
                raise
        except OperationalError as error:
            # SQLite: a reader's snapshot went stale before it could write; retry on fresh data.
            if ("locked" not in str(error).lower() and "busy" not in str(error).lower()) or attempt == retries - 1:
                raise
