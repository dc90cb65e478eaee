"""The training sandbox has its own database and cannot be started on live data, nor live work on the sandbox's:
the settings (MASH_TRAINING_DATABASE_URL, never MASH_DATABASE_URL), the marker `mash init-db` writes under
MASH_TRAINING=1, and the one-line refusals of create_app, `mash serve` and the commands, both ways."""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from app import create_app
from app.cli import main
from app.core.config import PROJECT_ROOT, load_settings
from app.core.db import make_engine
from app.training.models import TrainingMarker
from app.training.sandbox import EMPTY, LIVE, TRAINING, WrongDatabase, database_mode
from tests.training.sandbox import live_database, mark_training

SETTINGS_ENV = ("MASH_TRAINING", "MASH_DATABASE_URL", "MASH_TRAINING_DATABASE_URL", "MASH_INSTANCE_PATH")


@pytest.fixture
def env(monkeypatch, tmp_path):
    """A clean environment: an instance folder of the test's own, no database settings."""
    for name in SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MASH_INSTANCE_PATH", str(tmp_path / "instance"))
    return monkeypatch


def mode_of(url: str) -> str:
    engine = make_engine(url)
    try:
        return database_mode(engine)
    finally:
        engine.dispose()


def mash(*args: str, env: dict[str, str]):
    from app.core.db import init_db

    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    init_db("sqlite://").dispose()  # let go of the command's database file
    return result


# ----------------------------------------------------------------------------- settings
def test_the_sandbox_never_reads_the_live_database_setting(env, tmp_path):
    env.setenv("MASH_DATABASE_URL", "postgresql://hub@db.example/mash_live")
    env.setenv("MASH_TRAINING", "1")
    sandbox = load_settings()
    assert sandbox.training
    assert sandbox.database_url == f"sqlite:///{tmp_path / 'instance' / 'training.db'}"
    env.setenv("MASH_TRAINING_DATABASE_URL", "postgresql://hub@db.example/mash_training")
    assert load_settings().database_url == "postgresql://hub@db.example/mash_training"


def test_live_work_never_reads_the_sandbox_setting(env, tmp_path):
    env.setenv("MASH_TRAINING_DATABASE_URL", "postgresql://hub@db.example/mash_training")
    assert load_settings().database_url == f"sqlite:///{tmp_path / 'instance' / 'mash.db'}"
    env.setenv("MASH_DATABASE_URL", "postgresql://hub@db.example/mash_live")
    live = load_settings()
    assert not live.training and live.database_url == "postgresql://hub@db.example/mash_live"


# ----------------------------------------------------------------------------- refusing the other mode's database
def one_line_naming(error: Exception, setting: str) -> str:
    message = str(error)
    assert "\n" not in message and setting in message, message
    return message


def test_the_sandbox_refuses_to_start_on_a_database_not_marked_as_training(settings):
    with pytest.raises(WrongDatabase) as refused:
        create_app(replace(settings, training=True))
    assert one_line_naming(refused.value, "MASH_TRAINING_DATABASE_URL").startswith("Training sandbox refused")


def test_live_work_refuses_to_start_on_a_training_database(settings):
    mark_training(settings.database_url)
    with pytest.raises(WrongDatabase) as refused:
        create_app(settings)
    assert one_line_naming(refused.value, "MASH_DATABASE_URL").startswith("Live service refused")
    assert create_app(replace(settings, training=True)).config["MASH_SETTINGS"].training


def test_each_mode_starts_on_its_own_database(settings, sqlite_template, tmp_path):
    mark_training(settings.database_url)
    assert mode_of(settings.database_url) == TRAINING
    live_url = live_database(sqlite_template, tmp_path / "live")
    assert mode_of(live_url) == LIVE
    assert not create_app(replace(settings, database_url=live_url)).config["MASH_SETTINGS"].training
    assert create_app(replace(settings, training=True)).config["MASH_SETTINGS"].training


# ----------------------------------------------------------------------------- the commands
def test_init_db_in_the_sandbox_marks_a_new_database_and_the_commands_then_use_it(env, tmp_path):
    url = f"sqlite:///{tmp_path / 'sandbox.db'}"
    sandbox = {"MASH_TRAINING": "1", "MASH_TRAINING_DATABASE_URL": url,
               "MASH_DATABASE_URL": f"sqlite:///{tmp_path / 'live.db'}"}
    made = mash("init-db", env=sandbox)
    assert made.exit_code == 0, made.output
    assert "Marked as the training sandbox's database" in made.output
    assert mode_of(url) == TRAINING
    assert not (tmp_path / "live.db").exists(), "the live database setting was never touched"
    again = mash("init-db", env=sandbox)
    assert again.exit_code == 0 and "Marked" not in again.output  # one marker, written once
    assert mash("user", "list", env=sandbox).exit_code == 0

    live = mash("user", "list", env={"MASH_DATABASE_URL": url})
    assert live.exit_code == 2
    assert live.output.strip().count("\n") == 0 and "MASH_DATABASE_URL" in live.output
    assert "is a training database" in live.output
    assert mash("init-db", env={"MASH_DATABASE_URL": url}).exit_code == 2  # live init-db leaves it alone too


def test_init_db_in_the_sandbox_never_adopts_a_live_database(env, tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    assert mash("init-db", env={"MASH_DATABASE_URL": url}).exit_code == 0
    assert mode_of(url) == LIVE
    refused = mash("init-db", env={"MASH_TRAINING": "1", "MASH_TRAINING_DATABASE_URL": url})
    assert refused.exit_code == 2
    assert refused.output.strip().count("\n") == 0 and "MASH_TRAINING_DATABASE_URL" in refused.output
    assert mode_of(url) == LIVE
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(TrainingMarker)) == 0
    finally:
        engine.dispose()


def test_a_sandbox_not_set_up_yet_says_to_run_init_db_first(env, tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    refused = mash("user", "list", env={"MASH_TRAINING": "1", "MASH_TRAINING_DATABASE_URL": url})
    assert refused.exit_code == 2 and "MASH_TRAINING=1 mash init-db" in refused.output
    assert mode_of(url) == EMPTY


def test_serve_refuses_before_any_worker_starts(env, tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr("app.web.server.run_server", lambda **kwargs: started.append(kwargs))
    url = f"sqlite:///{tmp_path / 'live.db'}"
    assert mash("init-db", env={"MASH_DATABASE_URL": url}).exit_code == 0
    refused = mash("serve", env={"MASH_TRAINING": "1", "MASH_TRAINING_DATABASE_URL": url})
    assert refused.exit_code == 2 and "Training sandbox refused" in refused.output
    assert started == []
    assert mash("serve", env={"MASH_DATABASE_URL": url}).exit_code == 0
    assert len(started) == 1


def test_make_training_sets_up_its_own_database_then_seeds_checks_and_serves(env, tmp_path, monkeypatch):
    """The Makefile's training target, command by command, on the sandbox's default database."""
    target = re.search(r"^training:.*?\n((?:\t.*\n)+)", (PROJECT_ROOT / "Makefile").read_text(), re.M)
    assert target is not None
    commands = [line.strip().lstrip("-") for line in target.group(1).splitlines()]
    assert [c.split("$(BIN)/mash ")[1].split(" --")[0] for c in commands] == [
        "init-db", "demo", "training check", "serve"]
    assert all(c.startswith("MASH_TRAINING=1 ") for c in commands)
    monkeypatch.setattr("app.web.server.run_server", lambda **kwargs: None)
    sandbox = {"MASH_TRAINING": "1", "MASH_DATABASE_URL": f"sqlite:///{tmp_path / 'live.db'}"}
    for command in commands:
        args = command.split("$(BIN)/mash ")[1].replace("$(PORT)", "5000").split()
        result = mash(*args, env=sandbox)
        assert result.exit_code == 0, f"{command}: {result.output}"
    assert mode_of(f"sqlite:///{tmp_path / 'instance' / 'training.db'}") == TRAINING
    assert not Path(tmp_path / "live.db").exists()
