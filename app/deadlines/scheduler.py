"""Sleep until the earliest due timer in the database, fire it in its own transaction, repeat.

Due times live in an indexed column (``mash_case.next_timer_due``), so a restart loses nothing and
waking costs one index lookup, not a poll of every case. A cap on the sleep picks up timers armed
by other processes.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select

from app.cases.models import Case
from app.cases.operations import fire_due_timers
from app.core.actor import SYSTEM
from app.core.clock import now
from app.core.db import get_db, run_in_transaction

log = logging.getLogger(__name__)

MAX_SLEEP = timedelta(seconds=5)
JOB_ID = "mash-deadlines"


def due_case_ids(limit: int = 100) -> list[int]:
    with get_db().unit_of_work(write=False) as session:
        return list(session.scalars(select(Case.id).where(Case.status == "open", Case.next_timer_due <= now())
                                    .order_by(Case.next_timer_due).limit(limit)))


def next_due() -> datetime | None:
    with get_db().unit_of_work(write=False) as session:
        return session.scalar(select(func.min(Case.next_timer_due)).where(Case.status == "open"))


def fire_due() -> int:
    """Fire every case whose next timer is due. Each case is its own transaction."""
    fired = 0
    failed: set[int] = set()
    while True:
        batch = [case_id for case_id in due_case_ids() if case_id not in failed]
        if not batch:
            return fired
        for case_id in batch:
            try:
                fired += run_in_transaction(fire_due_timers, case_id, SYSTEM)
            except Exception:  # noqa: BLE001 - one broken case must not stop the others
                log.exception("firing due timers failed for case id %s", case_id)
                failed.add(case_id)


class DeadlineScheduler:
    def __init__(self) -> None:
        self._scheduler = BackgroundScheduler(job_defaults={"coalesce": True, "max_instances": 1,
                                                            "misfire_grace_time": None})
        self._lock = threading.Lock()

    def start(self) -> None:
        self._scheduler.start()
        self._schedule(now())

    def shutdown(self) -> None:
        self._scheduler.shutdown(wait=False)

    def wake(self) -> None:
        """Run now (e.g. after the training clock moved)."""
        self._schedule(now())

    def _tick(self) -> None:
        try:
            fire_due()
        except Exception:  # noqa: BLE001
            log.exception("deadline tick failed")
        upcoming = next_due()
        current = now()
        wake_at = current + MAX_SLEEP if upcoming is None else min(max(upcoming, current), current + MAX_SLEEP)
        self._schedule(wake_at)

    def _schedule(self, at: datetime) -> None:
        # APScheduler runs on the real clock; translate our (possibly moved) clock's instant into a delay.
        delay = max((at - now()).total_seconds(), 0) + 0.001
        run_date = datetime.now().astimezone() + timedelta(seconds=delay)
        with self._lock:
            self._scheduler.add_job(self._tick, "date", run_date=run_date, id=JOB_ID, replace_existing=True)
