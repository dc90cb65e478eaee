"""The audit trail is append-only and hash-chained: `mash audit verify` passes on an honest trail and
names the first bad entry when a row was altered or removed, even by someone who bypassed the
database's own refusal."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from app.audit.chain import verify
from app.audit.models import AuditEvent
from app.audit.operations import record
from app.core.actor import SYSTEM
from tests import factories as f
from tests.api.test_referral_walks import complete, report

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


def mash_audit_verify(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MASH_DATABASE_URL": database_url}
    return subprocess.run([str(Path(sys.executable).parent / "mash"), "audit", "verify", *args], env=env,
                           capture_output=True, text=True, timeout=120)


def a_worked_case(api) -> int:
    case_id = report(api)
    complete(api, case_id, "screening", "mash-manager", f.screening(rag="amber", agencies=["police"]))
    api("mash-manager").get(f"/api/v1/cases/{case_id}")
    return case_id


def drop_append_only_triggers(db) -> None:
    """What an administrator with full rights could do before tampering."""
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP TRIGGER audit_event_no_change ON audit_event"))
        else:
            connection.execute(text("DROP TRIGGER audit_event_no_update"))
            connection.execute(text("DROP TRIGGER audit_event_no_delete"))


def middle_entry(db, case_id: int) -> AuditEvent:
    with db.unit_of_work(write=False) as session:
        rows = list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq)))
    assert len(rows) >= 3
    return rows[len(rows) // 2]


@BOTH
def test_an_honest_trail_verifies_and_every_entry_is_chained(api, db, database_url):
    a_worked_case(api)
    with db.unit_of_work(write=False) as session:
        result = verify(session)
        seqs = list(session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)))
    assert result.ok, result.first_break
    assert seqs == list(range(1, len(seqs) + 1)) and result.entries == len(seqs) == result.head_seq
    run = mash_audit_verify(database_url)
    assert run.returncode == 0, run.stderr
    assert f"{len(seqs)} entries" in run.stdout


@BOTH
def test_the_database_refuses_to_change_or_remove_an_audit_row(api, db):
    case_id = a_worked_case(api)
    entry = middle_entry(db, case_id)
    # The test's own statements about one row, by its integer id.
    for statement in (f"UPDATE audit_event SET summary = 'nothing to see' WHERE id = {entry.id}",  # noqa: S608
                      f"DELETE FROM audit_event WHERE id = {entry.id}"):  # noqa: S608
        with pytest.raises(DatabaseError, match="append-only"), db.engine.begin() as connection:
            connection.execute(text(statement))


@BOTH
def test_verify_names_an_edited_row(api, db, database_url):
    case_id = a_worked_case(api)
    entry = middle_entry(db, case_id)
    drop_append_only_triggers(db)
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE audit_event SET username = 'someone-else' WHERE id = :id"), {"id": entry.id})
    run = mash_audit_verify(database_url)
    assert run.returncode == 1
    assert f"entry {entry.seq} (row id {entry.id}): altered" in run.stderr


@BOTH
def test_verify_names_a_deleted_row(api, db, database_url):
    case_id = a_worked_case(api)
    entry = middle_entry(db, case_id)
    drop_append_only_triggers(db)
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": entry.id})
    run = mash_audit_verify(database_url)
    assert run.returncode == 1
    assert f"entry {entry.seq}: missing" in run.stderr


def test_removing_the_newest_entries_is_caught_by_the_head(api, db, database_url):
    a_worked_case(api)
    drop_append_only_triggers(db)
    with db.engine.begin() as connection:
        last = connection.execute(text("SELECT max(seq) FROM audit_event")).scalar_one()
        connection.execute(text("DELETE FROM audit_event WHERE seq >= :seq"), {"seq": last - 1})
    run = mash_audit_verify(database_url)
    assert run.returncode == 1
    assert f"the chain ends at entry {last - 2} but the head records entry {last}" in run.stderr


def test_a_trail_rewritten_from_scratch_misses_the_anchor(api, db, database_url):
    """Someone who edits a row and recomputes every hash after it, head included, fools the chain;
    an anchor printed earlier and kept outside the database does not."""
    from app.audit.chain import hash_of

    a_worked_case(api)
    first = mash_audit_verify(database_url)
    anchor = first.stdout.split("Anchor: ")[1].split()[0]
    drop_append_only_triggers(db)
    with db.unit_of_work() as session:
        rows = list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
        rows[1].summary = "rewritten"
        prev = rows[0].hash
        for row in rows[1:]:
            row.prev_hash, row.hash = prev, hash_of(row, prev)
            prev = row.hash
        session.execute(text("UPDATE audit_chain_head SET hash = :h"), {"h": prev})
    assert mash_audit_verify(database_url).returncode == 0  # the chain alone cannot tell
    run = mash_audit_verify(database_url, "--anchor", anchor)
    assert run.returncode == 1
    assert "rewritten" in run.stderr


def test_a_rolled_back_action_leaves_no_audit_entry(db):
    with pytest.raises(RuntimeError), db.unit_of_work() as session:  # noqa: PT012  (the crash is inside the unit of work)
        record(session, SYSTEM, "test.rolled-back")
        raise RuntimeError("crash mid-request")
    with db.unit_of_work() as session:
        record(session, SYSTEM, "test.committed")
    with db.unit_of_work(write=False) as session:
        actions = list(session.scalars(select(AuditEvent.action)))
        assert "test.rolled-back" not in actions and "test.committed" in actions
        assert verify(session).ok


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_concurrent_writers_join_the_chain_one_at_a_time(db):
    """Eight workers committing at once still make one unbroken chain (the head row serialises them)."""
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(15):
                with db.unit_of_work() as session:
                    record(session, SYSTEM, "test.concurrent", details={"worker": n, "i": i})
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with db.unit_of_work(write=False) as session:
        result = verify(session)
        count = session.scalar(select(func.count()).where(AuditEvent.action == "test.concurrent"))
    assert result.ok, result.first_break
    assert count == 120


@BOTH
def test_the_head_is_moved_in_one_statement_when_this_process_moved_it_last_and_read_when_another_did(db):
    """The events are chained on the head as this process last left it, and one UPDATE moves the head only if
    it is still there; when another writer moved it (here: the guess put back one entry, as if another process
    had written that entry), nothing is written on the guess and the head is read, locked and chained on."""
    from sqlalchemy import event

    from app.audit import chain

    sent: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda _c, _cu, statement, *_: sent.append(statement))
    with db.unit_of_work() as session:
        record(session, SYSTEM, "test.first")
    key = str(db.engine.url)
    before = chain._LAST_HEAD[key]
    sent.clear()
    with db.unit_of_work() as session:
        record(session, SYSTEM, "test.second")
    heads = [s.split()[0] for s in sent if "audit_chain_head" in s]
    assert heads == ["UPDATE"]  # no read of the head: it was where this process left it
    chain._LAST_HEAD[key] = before  # another writer's entry since this process last moved the head
    sent.clear()
    with db.unit_of_work() as session:
        record(session, SYSTEM, "test.third")
    heads = [s.split()[0] for s in sent if "audit_chain_head" in s]
    assert heads == ["UPDATE", "SELECT", "UPDATE"]  # the guess missed: read, locked, moved
    with db.unit_of_work(write=False) as session:
        rows = list(session.scalars(select(AuditEvent).where(AuditEvent.action.like("test.%"))
                                    .order_by(AuditEvent.seq)))
        assert [r.action for r in rows] == ["test.first", "test.second", "test.third"]
        assert [r.seq for r in rows] == [rows[0].seq, rows[0].seq + 1, rows[0].seq + 2]
        assert rows[2].prev_hash == rows[1].hash and rows[1].prev_hash == rows[0].hash
        result = verify(session)
        assert result.ok, result.first_break
        assert (result.head_seq, result.head_hash) == (rows[2].seq, rows[2].hash)
