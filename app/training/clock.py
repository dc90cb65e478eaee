"""Moving the training sandbox's clock: from the API and from a run page, the same three things.

The clock moves first, outside any transaction (a retried transaction must never move it twice); the move
is audited; and the scheduler is woken once that is committed, so timers that fell due fire.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.audit.operations import record
from app.casework.scheduler import wake_scheduler
from app.core.actor import Actor
from app.core.db import after_commit, run_in_transaction
from app.deadlines.training_clock import set_training_clock


def move_clock(body: dict, actor: Actor, **details: object) -> datetime:
    """{"advance": "PT5H"} or {"set": "2027-01-04T09:00:00Z"}; ``details`` say where it was moved from."""
    moved = set_training_clock(body)
    run_in_transaction(_record_move, body, moved, actor, details)
    return moved


def _record_move(session: Session, body: dict, moved: datetime, actor: Actor, details: dict) -> None:
    record(session, actor, "clock.moved", summary=f"Training clock set to {moved.isoformat()}",
           details={**{key: body[key] for key in ("advance", "set") if key in body}, **details})
    after_commit(session, wake_scheduler)
