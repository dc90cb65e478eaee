"""`mash user add|list|set-roles|deactivate|reactivate|reset-password`: the same operations from a terminal.
A generated one-time password is printed once and goes nowhere else (no log, no audit event)."""
from __future__ import annotations

import logging

from click.testing import CliRunner
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import User
from app.cli import main
from tests.conftest import ApiClient
from tests.users.conftest import sign_in


def mash(database_url: str, tmp_path, *args: str, stdin: str | None = None):
    env = {"MASH_DATABASE_URL": database_url, "MASH_INSTANCE_PATH": str(tmp_path / "cli-instance")}
    return CliRunner().invoke(main, list(args), env=env, input=stdin, catch_exceptions=False)


def user(db, username: str) -> User:
    with db.unit_of_work(write=False) as session:
        return session.scalar(select(User).where(User.username == username))


def audit_text(db) -> str:
    with db.unit_of_work(write=False) as session:
        return " ".join(f"{e.username} {e.action} {e.summary} {e.details}" for e in session.scalars(select(AuditEvent)))


def test_add_prints_the_one_time_password_once_and_logs_it_nowhere(app, db, database_url, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    added = mash(database_url, tmp_path, "user", "add", "s.begum", "--name", "Sana Begum",
                 "--email", "sana.begum@council.example.gov.uk", "--agency", "Children's social care",
                 "--role", "social-worker", "--role", "referrer", "--as", "admin")
    assert added.exit_code == 0, added.output
    lines = added.output.splitlines()
    assert lines[0] == "Added s.begum (referrer, social-worker)."
    one_time = lines[-1]
    assert added.output.count(one_time) == 1 and len(one_time) >= 12
    assert one_time not in caplog.text and "sana.begum@" not in caplog.text
    assert one_time not in audit_text(db) and "sana.begum@" not in audit_text(db) and "Sana" not in audit_text(db)
    assert sign_in(app.test_client(), "s.begum", one_time).headers["Location"].endswith("/login/new-password")
    assert user(db, "s.begum").email == "sana.begum@council.example.gov.uk"


def test_add_with_a_password_from_standard_input_checks_the_rules(app, database_url, tmp_path):
    weak = mash(database_url, tmp_path, "user", "add", "t.ng", "--name", "Tom Ng", "--email", "t@example.org",
                "--agency", "Police", "--role", "police", "--password-stdin", stdin="password1234\n")
    assert weak.exit_code == 1 and "most commonly used passwords" in weak.output
    good = mash(database_url, tmp_path, "user", "add", "t.ng", "--name", "Tom Ng", "--email", "t@example.org",
                "--agency", "Police", "--role", "police", "--password-stdin", stdin="quarry violet anchor 7\n")
    assert good.exit_code == 0, good.output
    assert "quarry violet anchor 7" not in good.output
    assert sign_in(app.test_client(), "t.ng", "quarry violet anchor 7").headers["Location"].endswith(
        "/login/new-password")


def test_list_set_roles_deactivate_reactivate_and_reset(app, db, database_url, tmp_path, web):
    listed = mash(database_url, tmp_path, "user", "list")
    assert listed.exit_code == 0
    police_line = next(line for line in listed.output.splitlines() if line.startswith("police\t"))
    assert police_line.split("\t")[2:] == ["police", "last sign-in never", "active"]
    assert "@" not in listed.output, "no e-mail addresses in a terminal's scrollback"

    roles = mash(database_url, tmp_path, "user", "set-roles", "police", "police", "referrer")
    assert roles.exit_code == 0 and roles.output.strip() == "police now holds police, referrer."
    assert user(db, "police").role_names == {"police", "referrer"}
    unknown = mash(database_url, tmp_path, "user", "set-roles", "police", "wizard")
    assert unknown.exit_code == 1 and "no role called wizard" in unknown.output

    signed_in = web("police")
    token = ApiClient(app, "police")
    gone = mash(database_url, tmp_path, "user", "deactivate", "police")
    assert gone.exit_code == 0 and "deactivated" in gone.output
    assert "/login" in signed_in.get("/inbox").headers["Location"]
    assert token.get("/api/v1/tasks").status_code == 401
    assert mash(database_url, tmp_path, "user", "list").output.count("\tdeactivated") == 1

    assert mash(database_url, tmp_path, "user", "reactivate", "police").exit_code == 0
    assert user(db, "police").is_active_user is True
    reset = mash(database_url, tmp_path, "user", "reset-password", "police")
    assert reset.exit_code == 0
    one_time = reset.output.splitlines()[-1]
    assert sign_in(app.test_client(), "police", one_time).headers["Location"].endswith("/login/new-password")
    assert mash(database_url, tmp_path, "user", "deactivate", "nobody").exit_code == 1


def test_only_an_admin_may_be_named_as_the_one_doing_it(database_url, tmp_path):
    refused = mash(database_url, tmp_path, "user", "deactivate", "health", "--as", "police")
    assert refused.exit_code == 1 and "police is not an admin user" in refused.output
