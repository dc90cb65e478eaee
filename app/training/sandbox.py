"""Which database the app may start on: the training sandbox only on a database marked as training, live work
only on one that is not.

The marker is one row of ``training_marker``, written by ``mash init-db`` under MASH_TRAINING=1 on a database
that is new (no tables yet). A database that already holds anything unmarked is live (or unknown) and is never
adopted as a sandbox. Every way in checks: ``create_app``, ``mash serve`` and every command that opens the
database (app/cli.py). The refusal is one line naming the setting to fix.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.training.models import TrainingMarker

TRAINING, LIVE, EMPTY = "training", "live", "empty"
MARKER_TABLE = TrainingMarker.__tablename__


class WrongDatabase(RuntimeError):
    """The app was pointed at the other mode's database; the message says which setting to change."""


def database_mode(engine: Engine) -> str:
    """``training`` (marked), ``empty`` (no tables: a database about to be created) or ``live``."""
    tables = set(inspect(engine).get_table_names())
    if not tables:
        return EMPTY
    if MARKER_TABLE not in tables:
        return LIVE
    with Session(engine) as session:
        marked = session.scalar(select(TrainingMarker.id).limit(1)) is not None
    return TRAINING if marked else LIVE


def check_database(engine: Engine, settings: Settings, *, initialising: bool = False) -> None:
    """Refuse (WrongDatabase) a database of the other mode. ``initialising``: ``mash init-db`` may create a
    sandbox on an empty database (it marks it once migrated)."""
    mode = database_mode(engine)
    if settings.training:
        if mode == TRAINING or (mode == EMPTY and initialising):
            return
        if mode == EMPTY:
            raise WrongDatabase("Training sandbox refused: its database is not set up yet. Run "
                                "`MASH_TRAINING=1 mash init-db` first (MASH_TRAINING_DATABASE_URL says which "
                                "database; default instance/training.db).")
        raise WrongDatabase("Training sandbox refused: the database in MASH_TRAINING_DATABASE_URL is not a "
                            "training database. Set MASH_TRAINING_DATABASE_URL to the sandbox's own database "
                            "(default instance/training.db), or unset MASH_TRAINING to work live.")
    if mode == TRAINING:
        raise WrongDatabase("Live service refused: the database in MASH_DATABASE_URL is a training database. "
                            "Set MASH_DATABASE_URL to the live database, or set MASH_TRAINING=1 to run the "
                            "training sandbox.")


def mark_as_training(session: Session, at: datetime) -> bool:
    """Write the marker (once). True when this call wrote it."""
    if session.scalar(select(TrainingMarker.id).limit(1)) is not None:
        return False
    session.add(TrainingMarker(id=1, marked_at=at))
    session.flush()
    return True
