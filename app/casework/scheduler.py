"""Sleep until the earliest due timer in the database, fire what is due, repeat.

Due times live in an indexed column (``mash_case.next_timer_due``), so a restart loses nothing and
waking costs one index lookup, not a poll of every case. Several web processes may each run a
scheduler; the one holding the lease (a row in ``scheduler_lease``) runs the clock's jobs, and on SQLite it
alone fires (on PostgreSQL every scheduler may: ``shares_firing``). Due cases fire in batches, one
transaction per batch, with a savepoint per case once one of the batch fails (see ``fire_due``); the claim
locks its rows on PostgreSQL and the case row's optimistic lock stays, so a timer cannot fire twice even when
schedulers overlap. A firing that fails is retried with back-off, then raised as an incident (app.incidents)
that managers see on the SLA wall and retry from there.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.cases.models import Case
from app.casework.alerts import clock_alerts_waiting, prefetch_breach_markers, send_clock_alerts
from app.casework.starting import start_stranded
from app.casework.timers import fire_due_timers
from app.core.actor import SYSTEM
from app.core.clock import now
from app.core.config import timer_batch, timers_shared
from app.core.db import get_db, run_in_transaction
from app.deadlines.models import SchedulerLease
from app.deadlines.tracking import defer_projection, prefetch_deadlines, write_projection
from app.inbox.operations import prefetch_open_tasks
from app.incidents.operations import count_timer_failure, resolve_timer_incident
from app.incidents.queries import cases_with_open_timer_incidents
from app.notifications.sending import drain as send_notifications
from app.rota.escalation import escalate_due

log = logging.getLogger(__name__)

LEASE_NAME = "deadlines"
LEASE_TTL = timedelta(seconds=15)
#: The longest sleep: picks up timers armed by other processes, renews the lease, lets a standby take over.
MAX_SLEEP = timedelta(seconds=2)
#: A holder renews its lease at most this often: under a steady stream of timers the scheduler ticks many times
#: a second, and a renewal is a write (a synced commit). Far inside LEASE_TTL, so the lease never lapses.
RENEW_EVERY = timedelta(seconds=1)
#: A failing firing is tried this many times, waiting RETRY_DELAYS between tries, then raised as an incident.
MAX_ATTEMPTS = 3
RETRY_DELAYS = (timedelta(seconds=5), timedelta(seconds=30))
#: A batch stops taking more cases after this long (real time), so a slow diagram never holds the write lock
#: for a whole batch; the cases left go in the next one.
BATCH_SECONDS = 0.25
JOB_ID = "mash-deadlines"
#: Notifications are sent by every worker (each message is claimed first), on their own job so a slow relay
#: never holds up a timer.
NOTIFICATIONS_JOB_ID = "mash-notifications"
NOTIFICATIONS_EVERY = timedelta(seconds=5)


def _wall_clock() -> datetime:
    """Leases are about processes staying alive, so they run on real time, not the hub's (movable) clock."""
    return datetime.now(UTC)


# ----------------------------------------------------------------------------- the lease
def acquire_lease(holder: str, ttl: timedelta = LEASE_TTL) -> bool:
    """Take or renew the lease; True while this holder may fire timers."""
    current = _wall_clock()
    try:
        with get_db().unit_of_work() as session:
            lease = session.execute(select(SchedulerLease).where(SchedulerLease.name == LEASE_NAME)
                                    .with_for_update()).scalar_one_or_none()
            if lease is None:
                session.add(SchedulerLease(name=LEASE_NAME, holder=holder, expires_at=current + ttl,
                                           acquired_at=current))
                return True
            if lease.holder != holder and lease.expires_at > current:
                return False
            if lease.holder != holder:
                lease.holder, lease.acquired_at = holder, current
            lease.expires_at = current + ttl
            return True
    except IntegrityError:
        return False  # another process created the lease row first


def release_lease(holder: str) -> None:
    with get_db().unit_of_work() as session:
        session.execute(update(SchedulerLease).where(SchedulerLease.name == LEASE_NAME,
                                                     SchedulerLease.holder == holder)
                        .values(expires_at=_wall_clock() - timedelta(seconds=1)))


# ----------------------------------------------------------------------------- firing
def due_case_ids(limit: int = 100) -> list[int]:
    with get_db().reading() as session:
        return list(session.scalars(select(Case.id).where(Case.status == "open", Case.next_timer_due <= now())
                                    .order_by(Case.next_timer_due).limit(limit)))


def next_due() -> datetime | None:
    with get_db().reading() as session:
        return session.scalar(select(func.min(Case.next_timer_due)).where(Case.status == "open"))


def fire_due(should_continue: Callable[[], bool] = lambda: True, batch_size: int | None = None) -> int:
    """Fire every case whose next timer is due; returns timers fired.

    Due cases are claimed a batch at a time (MASH_TIMER_BATCH) and fired in one transaction per batch (a fast
    pass without savepoints; after a failure, the batch again with a savepoint per case: ``_fire_batch``): a
    case's firing commits with its audit events or not at all, a case that fails rolls back alone while the
    others commit, and a crash before the commit leaves the whole batch due, to fire on the next pass. One
    synced commit per batch instead of per case, and the batch's reads and SLA wall writes done once for all
    its cases, are what let a burst drain.
    ``should_continue`` is asked between batches (never inside one: it may renew the lease, a write of its
    own that SQLite's lock, held by the batch, would make wait)."""
    size = batch_size or timer_batch()
    fired = 0
    tried: set[int] = set()
    while should_continue():
        if not any(case_id not in tried for case_id in due_case_ids(size)):
            return fired  # looked for in a read first: an idle tick takes no write lock
        batch = _Batch()
        try:
            try:
                fired += run_in_transaction(_fire_batch, size, tried, batch, None)
            except _CaseFailed as failed:
                # A case failed in the fast pass: nothing of it stands (the whole transaction rolled back). The
                # same cases again, each in a savepoint, the failed one counted without being tried again.
                fired += run_in_transaction(_fire_batch, size, tried, batch, {failed.case_id: failed.error})
        except Exception:  # noqa: BLE001 - the batch's commit failed: nothing of it stands; fire one by one
            log.warning("a batch of %s timer firings failed as a whole; firing them one by one", len(batch.cases))
            batch.failed.clear()
            fired += _fire_one_by_one(batch.cases, should_continue)
        if not batch.cases:
            return fired
        tried.update(batch.cases)
        for case_id, error in batch.failed:
            _record_failure(case_id, error)
    return fired


@dataclass
class _Batch:
    """What one batch claimed (in the order tried) and which of those failed; filled as it goes, so the caller
    knows even when the batch's transaction as a whole fails."""

    cases: list[int] = field(default_factory=list)
    failed: list[tuple[int, Exception]] = field(default_factory=list)


class _CaseFailed(Exception):
    """A firing failed in a batch's fast pass (no savepoints): the batch is rolled back and fired again with one."""

    def __init__(self, case_id: int, error: Exception) -> None:
        super().__init__(case_id)
        self.case_id, self.error = case_id, error


def _fire_batch(session: Session, size: int, tried: set[int], batch: _Batch,
                failed_first: dict[int, Exception] | None) -> int:
    """Claim up to ``size`` due cases and fire them; returns timers fired. Runs as one transaction
    (``run_in_transaction``), which may try it again from the start after a conflict.

    The cases' deadline rows, inbox rows and breach markers are read for the whole batch in three queries, and
    their SLA wall rows written in two statements at the end. The fast pass (``failed_first`` None) fires the
    cases one after another with no savepoint, so their rows are written together at the commit; the first
    failure raises ``_CaseFailed``, which rolls the whole batch back to be fired again case by case in
    savepoints (``failed_first``: the case that failed, with its error, counted without a second try; a case
    that fails then rolls back alone and is counted). A failure is rare (a broken diagram), so a batch costs
    its savepoints only when it has one."""
    savepoints = failed_first is not None
    batch.cases.clear()
    batch.failed.clear()
    fired = 0
    cases = [case for case in claim_due(session, size) if case.id not in tried]
    case_ids = [case.id for case in cases]
    failing = cases_with_open_timer_incidents(session, case_ids) if cases else set()
    if cases:
        prefetch_deadlines(session, case_ids)
        prefetch_open_tasks(session, case_ids)
        prefetch_breach_markers(session, case_ids)
    if not savepoints:
        defer_projection(session)
    started = time.perf_counter()
    for case in cases:
        if batch.cases and time.perf_counter() - started >= BATCH_SECONDS:
            break  # a slow diagram does not hold the write lock for a whole batch; the rest go next
        batch.cases.append(case.id)
        if not savepoints:
            try:
                fired += fire_due_timers(session, case.id, SYSTEM)
                if case.id in failing:
                    resolve_timer_incident(session, case.id, SYSTEM)
            except Exception as error:
                raise _CaseFailed(case.id, error) from error
            continue
        try:
            if failed_first and case.id in failed_first:
                raise failed_first[case.id]
            with session.begin_nested():
                fired += fire_due_timers(session, case.id, SYSTEM)
                if case.id in failing:
                    resolve_timer_incident(session, case.id, SYSTEM)
        except Exception as error:  # noqa: BLE001 - one broken case must not stop the others
            _log_failure(case.id, error)
            try:
                with session.begin_nested():  # counted in the batch, under the claim's lock: counted once
                    _store_failure(session, case.id, error)
            except Exception:  # noqa: BLE001 - counted after the commit instead
                batch.failed.append((case.id, error))
    if not savepoints:
        write_projection(session)
    return fired


def claim_due(session: Session, limit: int) -> list[Case]:
    """The open cases whose next timer is due, earliest first, loaded whole for firing (the firing reads them
    from the session instead of asking again). On PostgreSQL the rows are locked for the batch and rows another
    scheduler has locked are skipped, so several schedulers share a burst; SQLite's write lock, taken when the
    batch began, already keeps every other writer out."""
    return list(session.scalars(select(Case).where(Case.status == "open", Case.next_timer_due <= now())
                                .order_by(Case.next_timer_due).limit(limit)
                                .with_for_update(skip_locked=True)))


def _fire_one_by_one(case_ids: list[int], should_continue: Callable[[], bool]) -> int:
    """The slow, sure path: each case in a transaction of its own (after a batch failed as a whole)."""
    fired = 0
    for case_id in case_ids:
        if not should_continue():
            break
        try:
            fired += run_in_transaction(_fire_one, case_id)
        except Exception as error:  # noqa: BLE001 - one broken case must not stop the others
            _record_failure(case_id, error, logged=False)
    return fired


def _fire_one(session: Session, case_id: int) -> int:
    fired = fire_due_timers(session, case_id, SYSTEM)
    resolve_timer_incident(session, case_id, SYSTEM)
    return fired


def send_alerts_due() -> int:
    """Deadlines now at risk and handovers waiting since the hub opened: alerts the clock alone brings, each
    once (app.casework.alerts marks them), in one transaction after the firings that may have opened them. Looked
    for in a read first: an idle tick takes no write lock."""
    at = now()
    with get_db().reading() as session:
        if not clock_alerts_waiting(session, at):
            return 0
    return run_in_transaction(send_clock_alerts, at)


def _log_failure(case_id: int, error: Exception) -> None:
    # Log the case id and the kind of failure only: messages can quote case data.
    log.warning("firing due timers failed for case id %s (%s)", case_id, type(error).__name__)


def _store_failure(session: Session, case_id: int, error: Exception) -> None:
    """Count the failure and push the case's next try back; after MAX_ATTEMPTS raise an incident."""
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    incident = count_timer_failure(session, case_id, message, getattr(error, "element_id", None),
                                   raise_after=MAX_ATTEMPTS, actor=SYSTEM)
    case = session.get_one(Case, case_id)
    if incident.attempts >= MAX_ATTEMPTS:
        # Stop trying: the case waits for a manager to retry it from the SLA wall.
        case.next_timer_due = None
    else:
        case.next_timer_due = now() + RETRY_DELAYS[min(incident.attempts - 1, len(RETRY_DELAYS) - 1)]


def _record_failure(case_id: int, error: Exception, *, logged: bool = True) -> None:
    """``_store_failure`` in a transaction of its own (a firing outside a batch, or a batch that could not)."""
    if not logged:
        _log_failure(case_id, error)
    try:
        run_in_transaction(_store_failure, case_id, error)
    except Exception:
        log.exception("could not record a timer failure for case id %s", case_id)


def shares_firing() -> bool:
    """With MASH_TIMERS_SHARED=1 on PostgreSQL every scheduler fires due timers, the lease holder and the
    standbys alike: a claim skips the rows another batch holds, so a burst is shared out and no case fires
    twice. The lease still decides who runs the clock's other jobs (stranded contacts, alerts, duty
    escalation). Off by default (the lease holder alone fires); on SQLite one writer at a time can write
    anyway, so only the lease holder fires."""
    return timers_shared() and get_db().engine.dialect.name == "postgresql"


# ----------------------------------------------------------------------------- the scheduler
_running_scheduler: DeadlineScheduler | None = None


def wake_scheduler() -> bool:
    """Wake this process's scheduler, if it runs one (the training clock moved)."""
    scheduler = _running_scheduler
    if scheduler is None:
        return False
    scheduler.wake()
    return True


class DeadlineScheduler:
    """One per web process; the lease decides which one fires."""

    def __init__(self, holder: str | None = None) -> None:
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._scheduler = BackgroundScheduler(job_defaults={"coalesce": True, "max_instances": 1,
                                                            "misfire_grace_time": None})
        self._lock = threading.Lock()
        self._running = False
        self.is_leader = False
        self._renewed_at = _wall_clock()

    def start(self) -> None:
        global _running_scheduler
        self._running = True
        self._scheduler.start()
        _running_scheduler = self
        self._schedule(now())
        self._scheduler.add_job(send_notifications, "interval", seconds=NOTIFICATIONS_EVERY.total_seconds(),
                                args=[self.holder], id=NOTIFICATIONS_JOB_ID, replace_existing=True)

    def shutdown(self) -> None:
        global _running_scheduler
        if _running_scheduler is self:
            _running_scheduler = None
        self._running = False
        self._scheduler.shutdown(wait=True)
        if self.is_leader:
            try:
                release_lease(self.holder)
            except Exception:
                log.exception("could not release the scheduler lease")
        self.is_leader = False

    def wake(self) -> None:
        """Run now (e.g. after the training clock moved or a timer was armed in this process)."""
        self._schedule(now())

    def _tick(self) -> None:
        if not self._running:
            return
        try:
            current = _wall_clock()
            if not self.is_leader or current - self._renewed_at >= RENEW_EVERY:
                self.is_leader = acquire_lease(self.holder)
                self._renewed_at = current
            if self.is_leader:
                start_stranded(now())  # contacts a stopped request stored but never started
                fire_due(self._keep_firing)
                send_alerts_due()
                escalate_due()  # urgent tasks unclaimed too long go to the person on duty (app/rota)
            elif shares_firing():
                fire_due(lambda: self._running)  # a standby helps drain a burst; the rest stays the leader's
        except Exception:
            log.exception("deadline tick failed")
        if not self._running:
            return
        current = now()
        wake_at = current + MAX_SLEEP
        if self.is_leader or shares_firing():
            try:
                upcoming = next_due()
            except Exception:  # noqa: BLE001
                upcoming = None
            if upcoming is not None:
                # Still due after a round means it is being retried later or fires on the next pass:
                # a short pause instead of a spin.
                wake_at = min(max(upcoming, current + timedelta(milliseconds=20)), wake_at)
        self._schedule(wake_at)

    def _keep_firing(self) -> bool:
        """Between batches: go on while running and still the lease holder. A long pass (a backlog after an
        outage) renews the lease as it goes, so it never lapses under a holder that is still firing."""
        if not self._running:
            return False
        current = _wall_clock()
        if current - self._renewed_at >= MAX_SLEEP:
            self.is_leader = acquire_lease(self.holder)
            self._renewed_at = current
        return self.is_leader

    def _schedule(self, at: datetime) -> None:
        # APScheduler runs on the real clock; translate our (possibly moved) clock's instant into a delay.
        # SpiffWorkflow fires strictly after the due instant, hence the extra millisecond.
        delay = max((at - now()).total_seconds(), 0) + 0.001
        run_date = datetime.now().astimezone() + timedelta(seconds=delay)
        with self._lock:
            if self._running:
                self._scheduler.add_job(self._tick, "date", run_date=run_date, id=JOB_ID, replace_existing=True)
