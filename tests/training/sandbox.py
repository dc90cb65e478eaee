"""Test helpers for the training sandbox's own database: mark a test's database as training, as
`MASH_TRAINING=1 mash init-db` does, or give a test a live database of its own beside it."""
from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from app.core.clock import now
from app.core.config import Settings
from app.core.db import make_engine
from app.training.sandbox import mark_as_training


def mark_training(url: str) -> None:
    """Write the training marker into the database at ``url`` (what init-db does under MASH_TRAINING=1)."""
    from sqlalchemy.orm import Session

    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            mark_as_training(session, now())
    finally:
        engine.dispose()


def training_settings(settings: Settings) -> Settings:
    """The test's settings in the training sandbox, on its database marked as training."""
    mark_training(settings.database_url)
    return replace(settings, training=True)


def live_database(template: Path, folder: Path) -> str:
    """A fresh live database (a copy of the session's migrated template), for a live app beside a sandbox."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "live.db"
    shutil.copy(template, path)
    return f"sqlite:///{path}"
