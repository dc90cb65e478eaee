"""Timers across restarts: SIGKILL the process running the deadline scheduler while timers fall due, restart
it, and check from the audit trail that every timer fired exactly once.

Shared by tests/deadlines/test_timers_across_restarts.py (a reduced run) and bench/timers_across_restarts.py
(10,000 timers). The scheduler runs where it runs in production: in the worker of `mash serve`, started in its
own process group so a kill takes the gunicorn master and its worker at once, like a power cut or the OOM killer.

Cases use the bench diagram (bench/timer_bench: start -> timer at the case's own `due_at` -> end) and are created
through the service layer by this process (`mash serve`, or `mash scheduler` with `web=False`, is already
running). Their due times are real wall-clock times (the server runs on the system clock), spread uniformly over
`spread` seconds from twice the creation time a rolled-back dry run predicts plus `lead_in` seconds, so every
timer is waiting before the first falls due. The first kill comes a seeded random gap after the first timer fired,
each later one the same gap after the previous restart took the scheduler lease (so it always hits a process that
holds the lease and has timers to fire), and the restart
follows a seeded random down time.

A SIGKILLed holder cannot release its lease: its successor waits for it to lapse (LEASE_TTL after its last
renewal). The bench waits for that, as production would; with `expire_dead_lease` the harness instead expires
the dead holder's lease once its whole process group is gone, so the reduced run in the suite stays short.
"""
from __future__ import annotations

import contextlib
import importlib
import os
import random
import signal
import subprocess
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.core.config import PROJECT_ROOT
from tests.postgres_server import free_port
from tests.server_processes import mash_command, process_group_members

TIMER_DIAGRAM_DIR = PROJECT_ROOT / "bench" / "timer_bench"
TIMER_PROCESS_ID = "timer_bench"
HOST = "127.0.0.1"
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only: never via a proxy


def wall_clock() -> datetime:
    return datetime.now(UTC)


# ----------------------------------------------------------------------------- the database
def prepare(database_url: str, instance: Path) -> int:
    """Migrate (a no-op on a migrated database), point this process at it, register the timer diagram."""
    from app.cli import migrate
    from app.core.config import load_settings
    from app.core.db import get_db, init_db
    from app.engine import ProcessBundle
    from app.process_models.registry import register_bundle

    importlib.import_module("app.models")  # every table, so foreign keys resolve
    instance.mkdir(parents=True, exist_ok=True)
    migrate(load_settings(database_url=database_url, instance_path=instance))
    init_db(database_url)
    bundle = ProcessBundle(bpmn={p.name: p.read_bytes() for p in sorted(TIMER_DIAGRAM_DIR.glob("*.bpmn"))}, forms={})
    with get_db().unit_of_work() as session:
        return register_bundle(session, bundle, created_by="restart-harness", process_id=TIMER_PROCESS_ID).id


def create_waiting_cases(version_id: int, due_times: list[datetime], batch: int,
                         progress: Callable[[int], None] | None = None) -> tuple[list[int], list[datetime]]:
    """One case per due time, `batch` per transaction, through `start_workflow`; returns the case ids and,
    per case, when its transaction committed (when its timer was armed)."""
    from app.core.db import get_db

    ids: list[int] = []
    armed: list[datetime] = []
    for first in range(0, len(due_times), batch):
        with get_db().unit_of_work() as session:
            cases = _start_cases(session, version_id, due_times[first:first + batch])
        committed = wall_clock()
        ids.extend(case.id for case in cases)
        armed.extend(committed for _ in cases)
        if progress:
            progress(len(ids))
    return ids, armed


class _DryRun(Exception):
    pass


def creation_rate(version_id: int, count: int) -> float:
    """Cases per second this machine creates now: `count` cases made in one transaction, then rolled back."""
    from app.core.db import get_db

    started = time.perf_counter()
    try:
        with get_db().unit_of_work() as session:
            _start_cases(session, version_id, [wall_clock() + timedelta(days=1)] * count)
            session.flush()
            raise _DryRun
    except _DryRun:
        pass
    return count / (time.perf_counter() - started)


def _start_cases(session, version_id: int, due_times: list[datetime]) -> list:
    from app.cases.models import Case
    from app.casework.starting import start_workflow
    from app.core.actor import SYSTEM
    from app.core.clock import now

    cases = [Case(status="open", received_at=now(), process_version_id=version_id) for _ in due_times]
    session.add_all(cases)
    session.flush()
    for case, due in zip(cases, due_times, strict=True):
        case.reference = f"TIMER-{case.id:07d}"
        start_workflow(session, case, {"due_at": due.isoformat()}, SYSTEM)
    return cases


def pending_timers(version_id: int) -> int:
    """Cases still waiting on their timer (a firing closes its case in the same transaction)."""
    from sqlalchemy import func, select

    from app.cases.models import Case
    from app.core.db import get_db

    with get_db().unit_of_work(write=False) as session:
        return session.scalar(select(func.count()).select_from(Case).where(
            Case.status == "open", Case.process_version_id == version_id))


@dataclass(frozen=True)
class Lease:
    holder: str
    acquired_at: datetime
    expires_at: datetime

    @property
    def pid(self) -> int | None:
        """The holder is `host:pid:nonce` for a scheduler that named itself (every one `mash serve` starts)."""
        parts = self.holder.split(":")
        return int(parts[-2]) if len(parts) >= 3 and parts[-2].isdigit() else None


def current_lease() -> Lease | None:
    from sqlalchemy import select

    from app.casework.scheduler import LEASE_NAME
    from app.core.db import get_db
    from app.deadlines.models import SchedulerLease

    with get_db().unit_of_work(write=False) as session:
        row = session.scalar(select(SchedulerLease).where(SchedulerLease.name == LEASE_NAME))
        return None if row is None else Lease(row.holder, row.acquired_at, row.expires_at)


def expire_lease_of(holder: str) -> None:
    """What a supervisor that saw the holder's processes die could do: end its lease now, not at its expiry."""
    from sqlalchemy import update

    from app.casework.scheduler import LEASE_NAME
    from app.core.db import get_db
    from app.deadlines.models import SchedulerLease

    with get_db().unit_of_work() as session:
        session.execute(update(SchedulerLease).where(SchedulerLease.name == LEASE_NAME, SchedulerLease.holder == holder)
                        .values(expires_at=wall_clock() - timedelta(seconds=1)))


def fired_events() -> list[tuple[int, str | None, dict]]:
    """(case id, task id, details) of every `timer.fired` audit event."""
    from sqlalchemy import select

    from app.audit.models import AuditEvent
    from app.core.db import get_db

    with get_db().unit_of_work(write=False) as session:
        query = select(AuditEvent.case_id, AuditEvent.task_id, AuditEvent.details).where(
            AuditEvent.action == "timer.fired")
        return [tuple(row) for row in session.execute(query)]


def timer_incidents() -> int:
    from sqlalchemy import func, select

    from app.core.db import get_db
    from app.incidents.models import TIMER, Incident

    with get_db().unit_of_work(write=False) as session:
        return session.scalar(select(func.count()).select_from(Incident).where(Incident.kind == TIMER))


# ----------------------------------------------------------------------------- the scheduler's process
class ServerProcess:
    """`mash serve` (gunicorn master + one worker running the deadline scheduler), or with `web=False` the
    scheduler alone (`mash scheduler`), in its own process group."""

    def __init__(self, database_url: str, instance: Path, log_path: Path, web: bool = True) -> None:
        self.env = {**os.environ, "MASH_DATABASE_URL": database_url, "MASH_INSTANCE_PATH": str(instance)}
        for key in ("MASH_TRAINING", "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
            self.env.pop(key, None)
        self.web = web
        self.port = free_port()
        command = ["serve", "--host", HOST, "--port", str(self.port), "--workers", "1", "--threads", "2"] if web \
            else ["scheduler"]
        self._log = open(log_path, "ab")  # noqa: SIM115  (the process's output for its whole life; closed in stop)
        self.started_at = wall_clock()
        self.process = subprocess.Popen(
            [*mash_command(), *command], cwd=PROJECT_ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)
        self.pgid = self.process.pid

    def wait_until_serving(self, timeout: float = 90) -> datetime:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"mash serve exited ({self.process.returncode}); see {self._log.name}")
            try:
                with _OPENER.open(f"http://{HOST}:{self.port}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return wall_clock()
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"mash serve did not answer /healthz within {timeout:.0f} s; see {self._log.name}")
            time.sleep(0.05)

    def owns(self, pid: int | None) -> bool:
        return pid is not None and pid in process_group_members(self.pgid)

    def kill(self) -> datetime:
        """SIGKILL the whole group (no shutdown hook runs, the lease is not released); return once all are gone."""
        killed_at = wall_clock()
        os.killpg(self.pgid, signal.SIGKILL)
        self.process.wait()
        deadline = time.monotonic() + 30
        while process_group_members(self.pgid):
            if time.monotonic() > deadline:
                raise RuntimeError(f"process group {self.pgid} survived SIGKILL")
            time.sleep(0.01)
        self._log.close()
        return killed_at

    def stop(self) -> None:
        """Graceful stop at the end of a run (SIGTERM to the group, SIGKILL if it hangs)."""
        if self.process.poll() is None:
            os.killpg(self.pgid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
        if process_group_members(self.pgid):
            os.killpg(self.pgid, signal.SIGKILL)
            self.process.wait()
        self._log.close()


# ----------------------------------------------------------------------------- one run
@dataclass
class Cycle:
    """One SIGKILL and restart: wall-clock moments, the lease before and after, and what was still pending."""
    dead_holder: str
    dead_lease_expires_at: datetime
    killed_at: datetime
    pending_at_kill: int
    restarted_at: datetime
    serving_at: datetime | None = None
    new_holder: str | None = None
    resumed_at: datetime | None = None  # when the restarted process took the lease (the row's acquired_at)


@dataclass
class Run:
    version_id: int
    case_ids: list[int]
    due_times: dict[int, datetime]
    armed_at: dict[int, datetime]
    first_due: datetime
    last_due: datetime
    create_seconds: float
    first_start: datetime
    first_serving: datetime | None
    first_lease: datetime
    first_due_in: float  # seconds from the start of creation to the first due time
    cycles: list[Cycle] = field(default_factory=list)
    finished_at: datetime | None = None
    timed_out: bool = False
    log_dir: Path | None = None


def run(database_url: str, workdir: Path, *, cases: int, spread: float, lead_in: float, kills: int, seed: int,
        gap: tuple[float, float], down: tuple[float, float], expire_dead_lease: bool, batch: int = 500,
        timeout: float = 300, web: bool = True, say: Callable[[str], None] = lambda message: None) -> Run:
    """Create `cases` waiting timers, start `mash serve` (`mash scheduler` if not `web`), SIGKILL and restart
    it `kills` times while they fall due, then wait until none is pending (or `timeout` seconds after the last
    due time)."""
    rng = random.Random(seed)
    instance = workdir / "instance"
    version_id = prepare(database_url, instance)
    server = ServerProcess(database_url, instance, workdir / "server-0.log", web)
    try:
        first_serving = server.wait_until_serving() if web else None
        first_lease = _wait_for_lease(server, None, timeout=60)
        say(f"scheduler holds the lease {(first_lease.acquired_at - server.started_at).total_seconds():.1f} s "
            "after its process started")

        # A timer already due when its case is created fires at once, before any scheduler could be killed:
        # give creation twice the time this machine needs for it now, plus `lead_in`, so every timer waits.
        rate = creation_rate(version_id, min(batch, 100))
        first_due_in = CREATION_SAFETY * cases / rate + lead_in
        say(f"creating {cases} cases at about {rate:.0f}/s; the first timer falls due in {first_due_in:.0f} s")
        base = wall_clock() + timedelta(seconds=first_due_in)
        due_list = [base + timedelta(seconds=rng.uniform(0, spread)) for _ in range(cases)]
        started = time.perf_counter()
        ids, armed = create_waiting_cases(version_id, due_list, batch, progress=lambda n: say(f"created {n}/{cases}"))
        result = Run(version_id=version_id, case_ids=ids, due_times=dict(zip(ids, due_list, strict=True)),
                     armed_at=dict(zip(ids, armed, strict=True)), first_due=min(due_list), last_due=max(due_list),
                     create_seconds=time.perf_counter() - started, first_start=server.started_at,
                     first_serving=first_serving, first_lease=first_lease.acquired_at, first_due_in=first_due_in,
                     log_dir=workdir)

        # The first kill comes a gap after the first scheduler has fired something (on a loaded machine its first
        # poll after the first due time can be seconds late), so it always interrupts a scheduler at work.
        _sleep_until(result.first_due)
        _wait_until_fired(version_id, len(ids), timeout=LEASE_WAIT_LIMIT)
        kill_at = wall_clock() + timedelta(seconds=rng.uniform(*gap))
        for number in range(1, kills + 1):
            _sleep_until(kill_at)
            lease = current_lease()
            if lease is None or not server.owns(lease.pid):
                raise RuntimeError(f"before kill {number}, the lease is not held by the running server: {lease}")
            killed_at = server.kill()
            lease = current_lease()  # as the dead holder left it (it may have renewed since the look above)
            pending = pending_timers(version_id)
            say(f"kill {number}: SIGKILL at +{(killed_at - result.first_due).total_seconds():.1f} s, "
                f"{pending} timers pending")
            if expire_dead_lease:
                expire_lease_of(lease.holder)
            time.sleep(rng.uniform(*down))
            server = ServerProcess(database_url, instance, workdir / f"server-{number}.log", web)
            cycle = Cycle(dead_holder=lease.holder, dead_lease_expires_at=lease.expires_at, killed_at=killed_at,
                          pending_at_kill=pending, restarted_at=server.started_at)
            result.cycles.append(cycle)
            cycle.serving_at = server.wait_until_serving() if web else None
            taken = _wait_for_lease(server, lease.holder, timeout=LEASE_WAIT_LIMIT)
            cycle.new_holder, cycle.resumed_at = taken.holder, taken.acquired_at
            say(f"restart {number}: lease taken {(cycle.resumed_at - killed_at).total_seconds():.1f} s after the kill")
            kill_at = wall_clock() + timedelta(seconds=rng.uniform(*gap))

        deadline = result.last_due + timedelta(seconds=timeout)
        while (pending := pending_timers(version_id)) and wall_clock() < deadline:
            say(f"{pending} timers pending")
            time.sleep(0.5)
        result.finished_at = wall_clock()
        result.timed_out = bool(pending)
    finally:
        server.stop()
    return result


def _wait_until_fired(version_id: int, created: int, timeout: float) -> None:
    """Wait until at least one of the ``created`` timers has fired."""
    deadline = time.monotonic() + timeout
    while pending_timers(version_id) >= created:
        if time.monotonic() > deadline:
            raise RuntimeError(f"no timer fired within {timeout} s of the first due time")
        time.sleep(0.05)


#: Creation gets this many times as long as a dry run says it needs (the machine may slow down meanwhile).
CREATION_SAFETY = 2.0
#: How long a restarted scheduler may take to hold the lease: the dead holder's lease lapsing (LEASE_TTL),
#: the scheduler's sleep between tries, and a slow boot on a loaded machine.
LEASE_WAIT_LIMIT = 90


def _wait_for_lease(server: ServerProcess, previous_holder: str | None, timeout: float) -> Lease:
    """Wait until this server's scheduler holds the lease (taken from `previous_holder`)."""
    deadline = time.monotonic() + timeout
    while True:
        lease = current_lease()
        if lease is not None and lease.holder != previous_holder and server.owns(lease.pid):
            return lease
        if server.process.poll() is not None:
            raise RuntimeError(f"mash serve exited ({server.process.returncode}) before taking the lease")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the restarted scheduler did not take the lease within {timeout:.0f} s: {lease}")
        time.sleep(0.05)


def _sleep_until(moment: datetime) -> None:
    delay = (moment - wall_clock()).total_seconds()
    if delay > 0:
        time.sleep(delay)


# ----------------------------------------------------------------------------- the checks
@dataclass
class Verdict:
    fired: int
    missed: list[int]
    twice: dict[int, int]  # case id -> extra firings
    early: int
    wrong_due: int
    unknown: int  # timer.fired events for cases this run did not create
    lateness_ms: list[float]  # fired_at - due_at (or - armed_at if armed after due), every firing
    dead_lateness_ms: list[float]  # timers that fell due between a kill and the restarted scheduler taking the lease
    live_lateness_ms: list[float]  # the others
    armed_late: int  # timers armed after they were due (creation overran the time it was given): fired at once

    @property
    def correct(self) -> bool:
        return not (self.missed or self.twice or self.early or self.wrong_due or self.unknown)


def check(result: Run, events: list[tuple[int, str | None, dict]] | None = None) -> Verdict:
    """Read the audit trail (or the `events` given) and check every timer fired exactly once, not early."""
    events = fired_events() if events is None else events
    mine = set(result.case_ids)
    per_case = Counter(case_id for case_id, _task, _details in events)
    per_timer = Counter((case_id, task_id) for case_id, task_id, _details in events)
    twice = {case_id: count - 1 for case_id, count in per_case.items() if count > 1}
    twice.update({case_id: count - 1 for (case_id, _task), count in per_timer.items() if count > 1})

    def armed_after_due(case_id: int) -> bool:
        return result.armed_at[case_id] > result.due_times[case_id]

    dead_windows = [(c.killed_at, c.resumed_at or result.finished_at) for c in result.cycles]
    lateness, dead, live, early, wrong_due = [], [], [], 0, 0
    for case_id, _task, details in events:
        if case_id not in mine:
            continue
        due = datetime.fromisoformat(details["due_at"])
        fired = datetime.fromisoformat(details["fired_at"])
        if abs((due - result.due_times[case_id]).total_seconds()) > 1e-6:
            wrong_due += 1
        early += fired < due
        ready = max(due, result.armed_at[case_id])
        late = (fired - ready).total_seconds() * 1000
        lateness.append(late)
        (dead if any(start <= ready < end for start, end in dead_windows) else live).append(late)
    return Verdict(fired=sum(per_case[case_id] for case_id in mine),
                   missed=[case_id for case_id in result.case_ids if case_id not in per_case],
                   twice=twice, early=early, wrong_due=wrong_due, unknown=sum(1 for c in per_case if c not in mine),
                   lateness_ms=lateness, dead_lateness_ms=dead, live_lateness_ms=live,
                   armed_late=sum(1 for case_id in result.case_ids if armed_after_due(case_id)))


def resume_figures(result: Run, events: list[tuple[int, str | None, dict]]) -> list[dict]:
    """Per kill, in seconds after the kill: restart, serving, lease taken, first firing; and how long the dead
    holder's lease still had to run when it was killed."""
    fired_at = sorted(datetime.fromisoformat(details["fired_at"]) for _c, _t, details in events)
    rows = []
    for cycle in result.cycles:
        after = next((at for at in fired_at if at > cycle.killed_at), None)
        before = max((at for at in fired_at if at <= cycle.killed_at), default=None)
        rows.append({"pending": cycle.pending_at_kill,
                     "last_fired_before": _since(cycle.killed_at, before),
                     "lease_left": _since(cycle.killed_at, cycle.dead_lease_expires_at),
                     "restarted": _since(cycle.killed_at, cycle.restarted_at),
                     "serving": _since(cycle.killed_at, cycle.serving_at),
                     "lease_taken": _since(cycle.killed_at, cycle.resumed_at),
                     "first_fired": _since(cycle.killed_at, after)})
    return rows


def _since(kill: datetime, moment: datetime | None) -> float | None:
    """Seconds from the kill to ``moment``."""
    return None if moment is None else (moment - kill).total_seconds()
