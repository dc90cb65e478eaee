"""A scenario run: which scenario a trainer started, on which contact, and how far its scripted clock went."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime


class TrainingRun(Base):
    """One run of a scenario. Where the case stands is read from the case itself (trainees may do steps from
    their own inboxes); the run remembers only what the case cannot tell: the scripted clock moves already
    made, so pressing "Do the next step" again after a refusal never moves the clock twice."""

    __tablename__ = "training_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scenario_id: Mapped[str] = mapped_column(String(100), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mash_case.id"))
    #: Contacts the scenario received first (a child already open to the hub); closed with the run on reset.
    earlier_case_ids: Mapped[list] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_by: Mapped[str] = mapped_column(String(80))
    #: Number of scripted steps whose clock move has been made (step n's move is made before step n).
    clock_moves_made: Mapped[int] = mapped_column(Integer, default=0)
    reset_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TrainingMarker(Base):
    """The one row that says "this database is the training sandbox's", written by ``mash init-db`` under
    MASH_TRAINING=1 (app/training/sandbox.py). The sandbox will not start on a database without it, and live
    work will not start on a database with it: nobody practises on real cases or works real cases in a sandbox."""

    __tablename__ = "training_marker"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime())
