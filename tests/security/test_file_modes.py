"""Files that hold children's records or the key that signs sessions are readable by the hub's own account
only, from the first byte: the instance folder is 0700, and the SQLite database, its WAL and shared-memory
files, backups and instance/secret_key are 0600 when created (never written and then chmod-ed, which leaves
a moment when others can open them). The umask is set to the common 022 so that a file made with defaults
would be 0644 and fail."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from app.cli import main
from app.core.config import load_settings
from app.core.db import Database
from app.ops.backup import make_backup, restore_backup


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def common_umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def no_chmod(monkeypatch):
    """Anything that tightens a file after creating it fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"chmod after creation: {args}")
    monkeypatch.setattr(os, "chmod", refuse)
    monkeypatch.setattr(os, "fchmod", refuse)


def test_the_secret_key_and_the_instance_folder_are_private_when_first_made(tmp_path, monkeypatch, common_umask,
                                                                           no_chmod):
    monkeypatch.delenv("MASH_SECRET_KEY", raising=False)
    instance = tmp_path / "instance"
    monkeypatch.setenv("MASH_INSTANCE_PATH", str(instance))
    settings = load_settings()
    assert mode(instance) == 0o700
    key = instance / "secret_key"
    assert mode(key) == 0o600
    assert len(settings.secret_key) == 64
    # Made once: the next start reads the same key.
    assert load_settings().secret_key == settings.secret_key


def test_init_db_makes_a_private_database_and_its_wal_files_are_private_too(tmp_path, monkeypatch, common_umask):
    monkeypatch.delenv("MASH_SECRET_KEY", raising=False)
    instance = tmp_path / "instance"
    database = instance / "mash.db"
    url = f"sqlite:///{database}"
    result = CliRunner().invoke(main, ["init-db"], env={"MASH_INSTANCE_PATH": str(instance),
                                                        "MASH_DATABASE_URL": url}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert mode(instance) == 0o700
    assert mode(instance / "secret_key") == 0o600
    assert mode(database) == 0o600
    db = Database(url)
    try:
        with db.unit_of_work() as session:
            session.execute(text("CREATE TABLE scratch (x INTEGER)"))
        # The files SQLite keeps beside a WAL database while a connection is open.
        with db.engine.connect() as connection:
            connection.execute(text("SELECT count(*) FROM scratch"))
            for suffix in ("-wal", "-shm"):
                beside = Path(f"{database}{suffix}")
                assert beside.exists() and mode(beside) == 0o600, suffix
    finally:
        db.dispose()


def test_a_database_opened_for_the_first_time_is_created_private(tmp_path, common_umask, no_chmod):
    database = tmp_path / "fresh.db"
    db = Database(f"sqlite:///{database}")
    try:
        with db.unit_of_work() as session:
            session.execute(text("CREATE TABLE scratch (x INTEGER)"))
        assert mode(database) == 0o600
        assert mode(Path(f"{database}-wal")) == 0o600
    finally:
        db.dispose()


def test_a_backup_and_a_database_restored_into_a_new_file_are_private(database_url, tmp_path, common_umask, app,
                                                                      no_chmod):
    backup = make_backup(database_url, tmp_path / "nightly.db")
    assert mode(backup.path) == 0o600
    fresh = tmp_path / "elsewhere" / "restored.db"
    fresh.parent.mkdir()
    restore_backup(f"sqlite:///{fresh}", backup.path)
    assert mode(fresh) == 0o600
