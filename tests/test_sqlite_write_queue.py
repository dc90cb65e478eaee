"""SQLite's writers in one process take turns first come, first served (app/core/write_queue.py): in the order they
asked, the turn given back however the transaction ends, a wait bounded as SQLite's own and ending as it does."""
from __future__ import annotations

import gc
import sqlite3
import threading
import time

import pytest
from sqlalchemy import ForeignKey, event, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

import app.core.db as core_db
from app.audit.models import AuditEvent
from app.audit.operations import record
from app.core.actor import SYSTEM
from app.core.db import begin_write, end_request_unit, make_engine, open_request_unit, run_in_transaction
from app.core.write_queue import QueuedConnection, WriteQueue, write_queue
from tests.conftest import wait_for


class _Base(DeclarativeBase):
    pass


class Row(_Base):
    __tablename__ = "test_queue_row"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]


class Exploding(_Base):
    """A row whose INSERT fails inside the flush."""

    __tablename__ = "test_queue_exploding"
    id: Mapped[int] = mapped_column(primary_key=True)


class Child(_Base):
    __tablename__ = "test_queue_child"
    id: Mapped[int] = mapped_column(primary_key=True)
    row_id: Mapped[int] = mapped_column(ForeignKey("test_queue_row.id"))


@event.listens_for(Exploding, "before_insert")
def _explode(*_args: object) -> None:
    raise RuntimeError("forced failure inside a flush")


@pytest.fixture
def queue(db) -> WriteQueue:
    _Base.metadata.create_all(db.engine)
    found = write_queue(db.engine)
    assert found is not None
    return found


@pytest.fixture
def patient(monkeypatch):
    """Writers wait at most 5 s here (60 s in the app): long enough for a loaded machine, short for a failure."""
    monkeypatch.setattr(core_db, "SQLITE_BUSY_SECONDS", 5)


def _names(db) -> list[str]:
    with db.unit_of_work(write=False) as session:
        return list(session.scalars(select(Row.name).order_by(Row.id)))


def _sqlite_lock_free(db) -> bool:
    """Whether another connection, outside the app, can take SQLite's write lock at once."""
    other = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


def _free(db, queue: WriteQueue) -> bool:
    return queue.holder is None and queue.waiting == 0 and _sqlite_lock_free(db)


def _writer(db, name: str, done: list[str], errors: list[BaseException]) -> threading.Thread:
    def write() -> None:
        try:
            with db.unit_of_work() as session:
                done.append(name)  # the turn has come: BEGIN IMMEDIATE ran
                session.add(Row(name=name))
        except BaseException as error:  # noqa: BLE001  (the test shows it)
            errors.append(error)

    thread = threading.Thread(target=write)
    thread.start()
    return thread


# ----------------------------------------------------------------------------- order
def test_writers_are_served_in_the_order_they_asked(db, queue, patient):
    done: list[str] = []
    errors: list[BaseException] = []
    threads = []
    with db.unit_of_work() as holder:
        holder.add(Row(name="holder"))
        for number in range(6):
            threads.append(_writer(db, f"w{number}", done, errors))
            assert wait_for(lambda n=number: queue.waiting == n + 1), "each writer queues before the next starts"
        assert done == []
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert done == [f"w{number}" for number in range(6)]
    assert _names(db) == ["holder", *done]
    assert _free(db, queue)


def test_the_turn_queue_alone_is_first_come_first_served():
    """Unit: the queue without a database; a second give_back of a turn does nothing."""
    queue = WriteQueue()
    connections = [sqlite3.connect(":memory:", factory=QueuedConnection, check_same_thread=False) for _ in range(7)]
    holder = queue.take(connections[0], timeout=1)
    assert holder is not None and queue.holder is holder
    served: list[str] = []
    lock = threading.Lock()

    def waiter(name: str, connection: QueuedConnection) -> None:
        turn = queue.take(connection, timeout=30)
        assert turn is not None
        with lock:
            served.append(name)
        queue.give_back(turn)

    threads = []
    for number in range(6):
        threads.append(threading.Thread(target=waiter, args=(f"w{number}", connections[number + 1])))
        threads[-1].start()
        assert wait_for(lambda n=number: queue.waiting == n + 1)
    queue.give_back(holder)
    queue.give_back(holder)  # twice: nothing more happens
    for thread in threads:
        thread.join(timeout=30)
    assert served == [f"w{number}" for number in range(6)]
    assert queue.holder is None and queue.waiting == 0


def test_a_reads_audit_write_queues_in_arrival_order_like_any_writer(db, queue, patient):
    """A GET writes its view's audit events in a short write transaction at its end: it takes its turn after the
    actions that asked before it (README, "Writers take turns on SQLite", for why it does not go first)."""
    done: list[str] = []
    errors: list[BaseException] = []

    def read() -> None:
        unit = open_request_unit(write=False)
        try:
            unit.session.execute(select(Row.id)).all()
            record(unit.session, SYSTEM, "test.viewed")
            unit.finish(keep=True)
            done.append("read")
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            end_request_unit()
            db.remove()

    with db.unit_of_work() as holder:
        record(holder, SYSTEM, "test.holder")
        action = _writer(db, "action", done, errors)
        assert wait_for(lambda: queue.waiting == 1)
        reader = threading.Thread(target=read)
        reader.start()
        assert wait_for(lambda: queue.waiting == 2), "the read queued for its audit write"
    reader.join(timeout=30)
    action.join(timeout=30)
    assert not errors
    assert done == ["action", "read"]
    with db.unit_of_work(write=False) as session:
        assert list(session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("test.%"))
                                    .order_by(AuditEvent.seq))) == ["test.holder", "test.viewed"]
    assert _free(db, queue)


def test_reads_do_not_take_a_turn(db, queue, monkeypatch):
    monkeypatch.setattr(core_db, "SQLITE_BUSY_SECONDS", 0.5)
    with db.unit_of_work() as holder:
        holder.add(Row(name="holder"))
        holder.flush()
        with db.unit_of_work(write=False) as reader:
            assert reader.scalars(select(Row.name)).all() == []  # its own snapshot, without waiting
        assert queue.waiting == 0
    assert _free(db, queue)


# ----------------------------------------------------------------------------- a bounded wait, SQLite's answer
def test_a_writer_waits_no_longer_than_sqlites_busy_timeout_and_is_told_the_database_is_locked(db, queue,
                                                                                             monkeypatch):
    monkeypatch.setattr(core_db, "SQLITE_BUSY_SECONDS", 0.5)
    with db.unit_of_work() as holder:
        holder.add(Row(name="holder"))
        turn = queue.holder
        started = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"), db.unit_of_work() as session:
            session.add(Row(name="too late"))
        assert 0.5 <= time.monotonic() - started < 30
        assert queue.holder is turn and queue.waiting == 0, "the writer left the queue; the holder keeps its turn"
    assert _names(db) == ["holder"]
    assert _free(db, queue)


def test_a_job_told_the_database_is_locked_is_retried_as_before(db, queue, monkeypatch):
    """Outside a request (the scheduler, the command line) "database is locked" is retried (run_in_transaction):
    a wait that ran out in the queue takes that path."""
    monkeypatch.setattr(core_db, "SQLITE_BUSY_SECONDS", 0.3)
    refused = []
    take = queue.take

    def counted(*args, **kwargs):
        turn = take(*args, **kwargs)
        if turn is None:
            refused.append(1)
        return turn

    monkeypatch.setattr(queue, "take", counted)
    release = threading.Event()

    def hold() -> None:
        with db.unit_of_work() as session:
            session.add(Row(name="holder"))
            release.wait(timeout=30)

    holder = threading.Thread(target=hold)
    holder.start()
    assert wait_for(lambda: queue.holder is not None)
    threading.Timer(1.0, release.set).start()
    run_in_transaction(lambda session: session.add(Row(name="job")), retries=40)
    holder.join(timeout=30)
    assert refused, "the job's first tries ran out of time in the queue"
    assert _names(db) == ["holder", "job"]
    assert _free(db, queue)


def test_a_request_that_waits_too_long_fails_as_a_locked_database_does(app, db, queue, api, monkeypatch):
    """In a request the wait ends as SQLite's busy handler ends it: a 500, nothing of the request kept."""
    app.config["PROPAGATE_EXCEPTIONS"] = False  # what the user sees, not the test client's re-raise
    client = api("mash-manager")
    monkeypatch.setattr(core_db, "SQLITE_BUSY_SECONDS", 0.3)
    before = _audit_count(db)
    with db.unit_of_work() as holder:
        holder.add(Row(name="holder"))
        response = client.post("/api/v1/contacts", json={})
    assert response.status_code == 500
    assert _audit_count(db) == before
    assert _free(db, queue)


def _audit_count(db) -> int:
    with db.unit_of_work(write=False) as session:
        return len(session.scalars(select(AuditEvent.seq)).all())


# ----------------------------------------------------------------------------- the turn given back on every path
def _held_by_a_write(db):
    session = db.session_factory()
    begin_write(session)
    session.add(Row(name="x"))
    session.flush()
    return session


def test_given_back_at_commit(db, queue):
    with db.unit_of_work() as session:
        session.add(Row(name="x"))
        session.flush()
        assert queue.holder is not None and not _sqlite_lock_free(db)
    assert _free(db, queue)


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_given_back_at_the_end_of_the_transaction_not_when_the_connection_is_returned(db, queue, end):
    with db.engine.connect() as connection:
        connection.execution_options(sqlite_write=True)
        connection.execute(text("INSERT INTO test_queue_row (name) VALUES ('x')"))
        assert queue.holder is not None
        getattr(connection, end)()
        assert _free(db, queue), "the connection is still checked out, its transaction over"
    assert _names(db) == (["x"] if end == "commit" else [])


def test_given_back_at_rollback(db, queue):
    session = _held_by_a_write(db)
    session.rollback()
    assert _free(db, queue)
    session.close()


def test_given_back_when_a_flush_fails(db, queue):
    def fail_in_a_flush() -> None:
        with db.unit_of_work() as session:
            session.add(Row(name="x"))
            session.flush()
            session.add(Exploding())
            session.flush()

    with pytest.raises(RuntimeError, match="forced failure inside a flush"):
        fail_in_a_flush()
    assert _free(db, queue)
    assert _names(db) == []


def test_kept_while_a_failed_savepoint_leaves_the_transaction_open_then_given_back_at_commit(db, queue):
    with db.unit_of_work() as session:
        session.add(Row(name="kept"))
        turn = queue.holder

        def fail_in_a_savepoint() -> None:
            with session.begin_nested():
                session.add(Exploding())
                session.flush()

        with pytest.raises(RuntimeError):
            fail_in_a_savepoint()
        assert queue.holder is turn and not _sqlite_lock_free(db), "the transaction is still open"
        session.add(Row(name="after"))
    assert _free(db, queue)
    assert _names(db) == ["kept", "after"]


def test_kept_while_a_failed_commit_leaves_the_transaction_open(db, queue):
    """A COMMIT SQLite refuses (a deferred foreign key) leaves the transaction open: the turn stays with it until the
    rollback."""
    raw = db.engine.raw_connection()
    dbapi = raw.dbapi_connection
    assert isinstance(dbapi, QueuedConnection)
    turn = queue.take(dbapi, timeout=5)
    dbapi.turn = turn
    dbapi.execute("BEGIN IMMEDIATE")
    turn.began = True
    dbapi.execute("PRAGMA defer_foreign_keys=ON")
    dbapi.execute("INSERT INTO test_queue_child (id, row_id) VALUES (1, 999)")
    with pytest.raises(sqlite3.IntegrityError):
        dbapi.commit()
    assert dbapi.in_transaction and queue.holder is turn
    dbapi.rollback()
    assert _free(db, queue)
    raw.close()


def test_given_back_when_a_session_commit_fails(db, queue):
    session = _held_by_a_write(db)
    session.execute(text("PRAGMA defer_foreign_keys=ON"))
    session.add(Child(id=1, row_id=999))
    with pytest.raises(IntegrityError):
        session.commit()
    session.close()
    assert _free(db, queue)


def test_given_back_when_a_session_closes_without_committing(db, queue):
    session = _held_by_a_write(db)
    session.close()
    assert _free(db, queue)
    assert _names(db) == []


def test_given_back_when_the_connection_is_invalidated_mid_transaction(db, queue, patient):
    session = _held_by_a_write(db)
    session.connection().invalidate()
    assert _free(db, queue)
    done: list[str] = []
    errors: list[BaseException] = []
    _writer(db, "next", done, errors).join(timeout=30)
    assert not errors and done == ["next"]
    session.close()


def test_given_back_when_a_connection_is_returned_to_the_pool_without_committing(db, queue):
    with db.engine.connect() as connection:
        connection.execution_options(sqlite_write=True)
        connection.execute(text("INSERT INTO test_queue_row (name) VALUES ('x')"))
        assert queue.holder is not None
    assert _free(db, queue)
    assert _names(db) == []


def test_given_back_when_a_forgotten_connection_is_collected(db, queue):
    """Nobody closes it: the pool's clean-up resets it when the garbage collector finds it."""
    connection = db.engine.connect()
    connection.execution_options(sqlite_write=True)
    connection.execute(text("INSERT INTO test_queue_row (name) VALUES ('x')"))
    assert queue.holder is not None
    del connection
    gc.collect()
    assert _free(db, queue)


def test_passed_on_when_sqlite_ended_the_transaction_behind_the_apps_back(db, queue, patient):
    """A transaction SQLite ended itself (as after some errors) while its session lives on: the next writer gets the
    turn when it next looks, instead of waiting out the limit."""
    session = _held_by_a_write(db)
    session.connection().connection.dbapi_connection.cursor().execute("ROLLBACK")  # not through commit/rollback
    done: list[str] = []
    errors: list[BaseException] = []
    _writer(db, "next", done, errors).join(timeout=30)
    assert not errors and done == ["next"]
    session.close()
    assert _free(db, queue)


def test_passed_on_when_the_holders_thread_ended_and_its_session_was_dropped(db, queue, patient):
    gc_was = gc.isenabled()
    gc.disable()  # the dropped session is found by the queue's look, not by a collection that happens to run
    try:
        def write_and_die() -> None:
            session = _held_by_a_write(db)
            session.info["cycle"] = session  # only the garbage collector can free it

        dying = threading.Thread(target=write_and_die)
        dying.start()
        dying.join()
        assert queue.holder is not None
        done: list[str] = []
        errors: list[BaseException] = []
        _writer(db, "next", done, errors).join(timeout=30)
    finally:
        if gc_was:
            gc.enable()
    assert not errors and done == ["next"]
    assert _free(db, queue)


def test_passed_on_when_the_holders_thread_ended_with_its_transaction_still_held(db, queue, monkeypatch):
    """A transaction leaked by a thread that ended still holds SQLite's lock: the turn does not stay with it. The next
    writer gets the turn, meets SQLite's own busy handler as it would with no queue ("database is locked"), and
    gives the turn back."""
    monkeypatch.setattr(core_db, "SQLITE_BUSY_SECONDS", 1.5)
    leaked = []
    dying = threading.Thread(target=lambda: leaked.append(_leak(db.engine)))
    dying.start()
    dying.join()
    leaked_turn = queue.holder
    assert leaked_turn is not None
    with db.engine.connect() as connection:
        connection.execution_options(sqlite_write=True)
        with pytest.raises(OperationalError, match="database is locked"):
            connection.execute(text("INSERT INTO test_queue_row (name) VALUES ('next')"))
    assert queue.holder is None and queue.waiting == 0, "the turn went on, and came back when BEGIN failed"
    assert not _sqlite_lock_free(db), "the leaked transaction still holds SQLite's lock"
    leaked[0].close()
    assert _free(db, queue)


def _leak(engine):
    connection = engine.connect()
    connection.execution_options(sqlite_write=True)
    connection.execute(text("INSERT INTO test_queue_row (name) VALUES ('leaked')"))
    return connection


def test_every_engine_on_one_database_file_shares_its_queue(db, queue):
    engine = make_engine(str(db.engine.url))
    try:
        assert write_queue(engine) is queue
    finally:
        engine.dispose()


# ----------------------------------------------------------------------------- where there is no queue
def test_postgresql_and_in_memory_sqlite_have_no_queue():
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    memory = make_engine("sqlite://")
    try:
        assert write_queue(engine) is None and write_queue(memory) is None
        assert not event.contains(engine.pool, "checkin", _checkin_listener())
    finally:
        engine.dispose()
        memory.dispose()


def _checkin_listener():
    from app.core.write_queue import given_back_at_checkin
    return given_back_at_checkin
