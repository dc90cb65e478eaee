"""Back up, carry on working, restore: the hub is back where the backup was and carries on from there,
on SQLite and PostgreSQL."""
from __future__ import annotations

import sqlite3
import stat

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from app.audit.models import AuditEvent
from app.ops.backup import libpq_connection
from tests import factories as f
from tests.api.test_referral_walks import complete, report
from tests.retention.walks import ZEPHYRINE, mash, report_about

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
USERS = ("referrer", "mash-manager", "police", "health", "business-support")


def case_state(api, case_id: int) -> dict:
    case = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()
    return {"status": case["status"], "open_tasks": sorted(t["name"] for t in case["open_tasks"]),
            "agency_returns": sorted(r["agency"] for r in case["agency_returns"])}


def backup_events(db) -> list[AuditEvent]:
    with db.unit_of_work(write=False) as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action.like("backup.%"))
                                    .order_by(AuditEvent.seq)))


@BOTH
def test_a_restored_database_is_the_backup_and_its_case_walks_to_closure(api, db, database_url, tmp_path):
    for username in USERS:  # tokens minted before the backup, so they survive the restore
        api(username)
    case_id = report_about(api, ZEPHYRINE)
    complete(api, case_id, "screening", "mash-manager", f.screening("amber", ["police", "health"]))
    at_backup = case_state(api, case_id)
    assert len(at_backup["open_tasks"]) == 2 and at_backup["agency_returns"] == []
    backup = tmp_path / "hub.backup"

    made = mash(database_url, tmp_path, "backup", str(backup))
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert not (tmp_path / "hub.backup-wal").exists()  # one self-contained file
    assert f"{backup} ({backup.stat().st_size:,} bytes" in made.output and "audit chain head" in made.output
    [event] = backup_events(db)
    assert event.action == "backup.made" and event.details["bytes"] == backup.stat().st_size

    complete(api, case_id, "police_check", "police", f.agency_return())
    later = report(api)
    assert case_state(api, case_id) != at_backup

    restored = mash(database_url, tmp_path, "restore", str(backup), "--yes")
    assert restored.exit_code == 0, restored.output
    assert "Audit trail intact." in restored.output
    for text in ZEPHYRINE.personal_strings():
        assert text not in made.output + restored.output

    assert api("mash-manager").get(f"/api/v1/cases/{later}").status_code == 404
    assert case_state(api, case_id) == at_backup
    # The backup was made after its own contents were read, so only the restore is on the restored trail.
    assert [e.action for e in backup_events(db)] == ["backup.restored"]

    complete(api, case_id, "police_check", "police", f.agency_return())
    complete(api, case_id, "health_check", "health", f.agency_return())
    complete(api, case_id, "mash_review", "mash-manager", f.review())
    complete(api, case_id, "decision", "mash-manager", f.decision("nfa"))
    closed = complete(api, case_id, "feedback_to_referrer", "business-support", f.feedback())
    assert closed["status"] == "closed"
    assert report(api) > case_id

    verified = mash(database_url, tmp_path, "audit", "verify")
    assert verified.exit_code == 0, verified.output


@BOTH
def test_a_backup_never_overwrites_and_a_restore_needs_yes_and_a_backup(api, database_url, tmp_path):
    taken = tmp_path / "taken.backup"
    taken.write_bytes(b"something precious")
    refused = mash(database_url, tmp_path, "backup", str(taken))
    assert refused.exit_code == 2 and "never overwritten" in refused.output
    assert taken.read_bytes() == b"something precious"

    backup = tmp_path / "hub.backup"
    assert mash(database_url, tmp_path, "backup", str(backup)).exit_code == 0
    case_id = report(api)
    unconfirmed = mash(database_url, tmp_path, "restore", str(backup))
    assert unconfirmed.exit_code == 2 and "--yes" in unconfirmed.output

    not_a_backup = mash(database_url, tmp_path, "restore", str(taken), "--yes")
    assert not_a_backup.exit_code == 2 and "is not a backup made by `mash backup`" in not_a_backup.output

    other_kind = tmp_path / "other-kind.backup"
    if database_url.startswith("sqlite"):
        other_kind.write_bytes(b"PGDMP\x01\x0e\x00" + bytes(100))
        expected = "is a PostgreSQL backup but this hub's database is SQLite"
    else:
        sqlite3.connect(other_kind).execute("CREATE TABLE t (x)").connection.close()
        expected = "is a SQLite backup but this hub's database is PostgreSQL"
    wrong = mash(database_url, tmp_path, "restore", str(other_kind), "--yes")
    assert wrong.exit_code == 2 and expected in wrong.output
    assert api("mash-manager").get(f"/api/v1/cases/{case_id}").status_code == 200


def test_a_database_of_another_application_is_refused(api, database_url, tmp_path):
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE alembic_version (version_num text)").connection.close()
    case_id = report(api)
    refused = mash(database_url, tmp_path, "restore", str(other), "--yes")
    assert refused.exit_code == 2 and "is not a MASH database backup (no audit_chain_head, audit_event table)" \
        in refused.output
    assert api("mash-manager").get(f"/api/v1/cases/{case_id}").status_code == 200


def test_a_backup_whose_audit_trail_was_altered_restores_but_says_so(api, database_url, tmp_path):
    report(api)
    backup = tmp_path / "hub.backup"
    assert mash(database_url, tmp_path, "backup", str(backup)).exit_code == 0
    tampered = sqlite3.connect(backup)
    tampered.execute("DROP TRIGGER audit_event_no_update")
    tampered.execute("UPDATE audit_event SET summary = 'nothing to see' WHERE seq = 2")
    tampered.commit()
    tampered.close()
    restored = mash(database_url, tmp_path, "restore", str(backup), "--yes")
    assert restored.exit_code == 1
    assert "Audit trail broken at entry 2" in restored.output


def test_the_database_password_goes_to_pg_dump_through_the_environment_only():
    conninfo, env = libpq_connection(make_url("postgresql+psycopg://hub:s3cret'pw@db.example:5433/mash?sslmode=require"))
    assert "s3cret" not in conninfo and env["PGPASSWORD"] == "s3cret'pw"
    assert conninfo == "host='db.example' port='5433' user='hub' dbname='mash' sslmode='require'"
