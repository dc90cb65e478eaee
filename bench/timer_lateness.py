"""Timer lateness of the real deadline scheduler: N waiting cases, timers spread over the next minutes.

For each backend: a fresh database (SQLite in a temp dir; PostgreSQL on a throwaway server, durable commits),
migrated with Alembic, plus a tiny bench diagram (bench/timer_bench/timer_bench.bpmn: start -> intermediate
timer whose timeDate is the case's own `due_at` -> end). N cases are created through the service layer
(`start_workflow`, batches per transaction) with due times drawn uniformly over `--spread` seconds.

Due times are set relative to when creation ENDS: they start a day ahead, and once every case is stored the
hub's injectable clock (the one the training sandbox moves) is moved forward so that the first timer is due
`--lead` seconds after the scheduler starts. Lateness and due times are both read on that same clock, so the
shift does not bias lateness; nothing is already due when the scheduler starts (the count is printed).
On PostgreSQL a `VACUUM (ANALYZE)` runs between the bulk load and the firing phase (`--no-settle` skips it), else
autovacuum of the fresh rows slows the first firings; the server's own work during the phase is printed.

Then `DeadlineScheduler().start()` runs in this process until every timer has fired (or `--timeout` seconds after
the last due time), and the process CPU is sampled over an `--idle` window with nothing left to fire.

Lateness per timer = fired_at - due_at from its `timer.fired` audit event (fired_at is taken inside the firing
transaction, before its commit). Prints figures, never asserts timing; exits 1 if a timer was missed, fired
twice, fired before it was due or carried another due time than the one set, or if the audit chain does not
verify (correctness).

The scheduler's steps are timed by wrapping its functions from outside (no app change), and printed as a
breakdown per firing; `--profile` adds cProfile of the ticks (slow: it roughly doubles the cost per firing).

    .venv/bin/python bench/timer_lateness.py [--backend sqlite|postgresql|both] [--cases 10000] [--spread 120]
                                             [--idle 20] [--profile] [--burst] [--rate 400]

`--burst`: every timer due at the same instant; prints the drain time (first due -> last firing), the target
N/500 s and firings/s to drain. `--rate R`: sustained, R timers/s due uniformly over `--spread` seconds.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import logging
import os
import pstats
import random
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from benchlib import percentile, use_project_venv  # bench/ is on sys.path when a script runs

use_project_venv()

from tests.postgres_server import ThrowawayPostgres, postgres_bin  # noqa: E402

BUNDLE_DIR = Path(__file__).resolve().parent / "timer_bench"
PROCESS_ID = "timer_bench"


# ----------------------------------------------------------------------------- instrumentation
#: (module or class, attribute, label, depth): what is timed per call, by wrapping (no app change). Nested
#: labels are inside their parent; `(rest)` rows are the parent minus its timed children. A name this version
#: of the app does not have is skipped (and listed under the breakdown), so the bench survives refactorings.
TIMED = (
    ("app.casework.scheduler", "acquire_lease", "acquire_lease", 1),
    ("app.casework.scheduler", "due_case_ids", "due_case_ids (query)", 1),
    ("app.casework.scheduler", "run_in_transaction", "firing transaction", 1),
    ("app.casework.scheduler", "_fire_batch", "firing batch (operation)", 2),
    ("app.casework.scheduler", "claim_due", "claim_due (query)", 3),
    ("app.casework.scheduler", "cases_with_open_timer_incidents", "open incidents (query)", 3),
    ("app.casework.scheduler", "fire_due_timers", "fire_due_timers (operation)", 2),
    ("app.casework.timers", "version_by_id", "version_by_id", 3),
    ("app.casework.timers", "compiled_by_id", "compiled_by_id", 3),
    ("app.engine.runtime:CaseWorkflow", "restore", "CaseWorkflow.restore", 3),
    ("app.engine.runtime:CaseWorkflow", "fire_due_timers", "engine step", 3),
    ("app.casework.timers", "record", "audit timer.fired", 3),
    ("app.casework.timers", "record_progress", "record_progress", 3),
    ("app.casework.progress", "sync_deadlines", "sync_deadlines", 4),
    ("app.casework.progress", "task_due_times", "task_due_times", 4),
    ("app.casework.progress", "sync_open_tasks", "sync_open_tasks", 4),
    ("app.engine.runtime:CaseWorkflow", "serialize", "CaseWorkflow.serialize", 4),
    ("app.casework.progress", "record", "audit step/close events", 4),
    ("app.casework.scheduler", "_cases_with_open_incidents", "_cases_with_open_incidents", 1),
    ("app.casework.scheduler", "_resolve_after_success", "_resolve_after_success", 1),
    ("app.casework.scheduler", "next_due", "next_due (query)", 1),
    ("app.casework.scheduler", "start_stranded", "start_stranded", 1),
    ("app.casework.scheduler", "send_alerts_due", "send_alerts_due", 1),
    ("app.casework.scheduler", "escalate_due", "escalate_due", 1),
)
#: How the breakdown is printed: (label, depth, children whose time is subtracted for a "(rest)" row).
BREAKDOWN = (
    ("tick (whole)", 0, ("acquire_lease", "due_case_ids (query)", "_cases_with_open_incidents", "firing transaction",
                         "_resolve_after_success", "next_due (query)", "start_stranded", "send_alerts_due",
                         "escalate_due")),
    ("acquire_lease", 1, ()),
    ("due_case_ids (query)", 1, ()),
    ("_cases_with_open_incidents", 1, ()),
    ("firing transaction", 1, ("fire_due_timers (operation)",)),
    ("firing batch (operation)", 2, ("claim_due (query)", "open incidents (query)", "fire_due_timers (operation)")),
    ("claim_due (query)", 3, ()),
    ("open incidents (query)", 3, ()),
    ("fire_due_timers (operation)", 2, ("version_by_id", "compiled_by_id", "CaseWorkflow.restore", "engine step",
                                        "audit timer.fired", "record_progress")),
    ("version_by_id", 3, ()),
    ("compiled_by_id", 3, ()),
    ("CaseWorkflow.restore", 3, ()),
    ("engine step", 3, ()),
    ("audit timer.fired", 3, ()),
    ("record_progress", 3, ("sync_deadlines", "task_due_times", "sync_open_tasks", "CaseWorkflow.serialize",
                            "audit step/close events")),
    ("sync_deadlines", 4, ()),
    ("task_due_times", 4, ()),
    ("sync_open_tasks", 4, ()),
    ("CaseWorkflow.serialize", 4, ()),
    ("audit step/close events", 4, ()),
    ("_resolve_after_success", 1, ()),
    ("next_due (query)", 1, ()),
    ("start_stranded", 1, ()),
    ("send_alerts_due", 1, ()),
    ("escalate_due", 1, ()),
)
REST_LABELS = {"tick (whole)": "(APScheduler, loop, lease bookkeeping)", "firing transaction": "(BEGIN + COMMIT)",
               "firing batch (operation)": "(savepoints, flushes)",
               "fire_due_timers (operation)": "(session.get case, rest)", "record_progress": "(rest: ORM, flush)"}


def _resolve(target: str):
    import importlib

    module_name, _, class_name = target.partition(":")
    owner = importlib.import_module(module_name)
    return getattr(owner, class_name) if class_name else owner


class Instruments:
    """Counts ticks and SQL statements, times the scheduler's steps; all by wrapping, no app change."""

    def __init__(self, engine, profile: bool) -> None:
        from sqlalchemy import event

        self.ticks = 0
        self.statements = 0
        self.commits = 0
        self.calls: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()
        self.profiler = cProfile.Profile() if profile else None
        #: (perf_counter at start, seconds) of each firing transaction: does a firing cost more early on?
        self.firings: list[tuple[float, float]] = []
        self._lock = threading.Lock()
        self._engine = engine
        self._originals: list[tuple[object, str, object]] = []
        self.missing: list[str] = []
        event.listen(engine, "before_cursor_execute", self._on_statement)
        event.listen(engine, "commit", self._on_commit)

    def _on_statement(self, *_args) -> None:
        if threading.current_thread() is threading.main_thread():
            return  # the bench's own progress poll: not the scheduler's
        with self._lock:
            self.statements += 1

    def _on_commit(self, *_args) -> None:
        """Every commit on the scheduler's threads (firing batches, lease renewals, the clock's other jobs)."""
        if threading.current_thread() is threading.main_thread():
            return
        with self._lock:
            self.commits += 1

    def attach(self, scheduler) -> None:
        for target, attribute, label, _depth in TIMED:
            owner = _resolve(target)
            raw = owner.__dict__.get(attribute) if isinstance(owner, type) else getattr(owner, attribute, None)
            if raw is None:
                self.missing.append(f"{target.replace(':', '.')}.{attribute}")
                continue
            self._originals.append((owner, attribute, raw))
            if isinstance(raw, classmethod):
                setattr(owner, attribute, classmethod(self._timed(label, raw.__func__)))
            else:
                setattr(owner, attribute, self._timed(label, raw))
        tick = scheduler._tick  # the bound method; the instance attribute below shadows it for add_job

        def counted_tick() -> None:
            with self._lock:
                self.ticks += 1
            started = time.perf_counter()
            if self.profiler is not None:
                self.profiler.enable()
            try:
                tick()
            finally:
                if self.profiler is not None:
                    self.profiler.disable()
                self.seconds["tick (whole)"] += time.perf_counter() - started
                self.calls["tick (whole)"] += 1

        scheduler._tick = counted_tick

    def _timed(self, label: str, original):
        def wrapper(*args, **kwargs):
            name = label
            if label == "firing transaction" and getattr(args[0] if args else None, "_bench_label", None) not in \
                    ("fire_due_timers (operation)", "firing batch (operation)"):
                name = "other transactions (failures)"
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                self.seconds[name] += elapsed
                self.calls[name] += 1
                if name == "firing transaction":
                    self.firings.append((started, elapsed))
        wrapper.__name__ = getattr(original, "__name__", label)
        wrapper._bench_label = label
        return wrapper

    def detach(self) -> None:
        from sqlalchemy import event

        for owner, attribute, raw in reversed(self._originals):
            setattr(owner, attribute, raw)
        self._originals.clear()
        event.remove(self._engine, "before_cursor_execute", self._on_statement)
        event.remove(self._engine, "commit", self._on_commit)

    def snapshot(self) -> tuple[int, int]:
        with self._lock:
            return self.ticks, self.statements


# ----------------------------------------------------------------------------- one backend
def prepare_database(database_url: str, workdir: Path):
    import app.models  # noqa: F401  (every table)
    from app.cli import migrate
    from app.core.config import load_settings
    from app.core.db import get_db, init_db
    from app.engine import ProcessBundle
    from app.process_models.registry import register_bundle

    settings = load_settings(database_url=database_url, instance_path=workdir / "instance")
    (workdir / "instance").mkdir(parents=True, exist_ok=True)
    migrate(settings)
    init_db(database_url)
    bundle = ProcessBundle(bpmn={p.name: p.read_bytes() for p in sorted(BUNDLE_DIR.glob("*.bpmn"))}, forms={})
    with get_db().unit_of_work() as session:
        version = register_bundle(session, bundle, created_by="bench", process_id=PROCESS_ID)
        return version.id


def create_cases(version_id: int, due_times: list[datetime], batch: int) -> list[int]:
    from app.cases.models import Case
    from app.casework.starting import start_workflow
    from app.core.actor import SYSTEM
    from app.core.clock import now
    from app.core.db import get_db

    ids: list[int] = []
    for first in range(0, len(due_times), batch):
        with get_db().unit_of_work() as session:
            cases = []
            for due in due_times[first:first + batch]:
                case = Case(status="open", received_at=now(), process_version_id=version_id)
                session.add(case)
                cases.append((case, due))
            session.flush()
            for case, due in cases:
                case.reference = f"BENCH-{case.id:07d}"
                start_workflow(session, case, {"due_at": due.isoformat()}, SYSTEM)
        ids.extend(case.id for case, _ in cases)
        print(f"\r  created {len(ids)}/{len(due_times)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return ids


def count_open() -> int:
    """Bench cases not yet closed (a firing closes its case in the same transaction as its audit event).
    A count on the (status, received_at) index: cheaper than scanning the audit table every second."""
    from sqlalchemy import func, select

    from app.cases.models import Case
    from app.core.db import get_db

    with get_db().unit_of_work(write=False) as session:
        return session.scalar(select(func.count()).select_from(Case).where(Case.status == "open"))


def run_backend(label: str, database_url: str, workdir: Path, args) -> dict:
    from sqlalchemy import func, select

    from app.audit.chain import verify
    from app.audit.models import AuditEvent
    from app.cases.models import Case
    from app.casework.scheduler import DeadlineScheduler
    from app.core.clock import clock, now
    from app.core.db import get_db
    from app.incidents.models import Incident

    clock.reset()
    print(f"[{label}: migrate, register the bench diagram ...]", file=sys.stderr, flush=True)
    version_id = prepare_database(database_url, workdir)

    rng = random.Random(args.seed)
    base = now() + timedelta(days=1)  # far beyond any creation time; the clock is moved forward afterwards
    # A burst: every timer due at the same instant (--burst); otherwise uniform over the spread.
    offsets = [0.0 if args.burst else rng.uniform(0, args.spread) for _ in range(args.cases)]
    due_times = [base + timedelta(seconds=s) for s in offsets]

    print(f"[{label}: creating {args.cases} cases, {args.batch} per transaction ...]", file=sys.stderr, flush=True)
    started = time.perf_counter()
    ids = create_cases(version_id, due_times, args.batch)
    create_s = time.perf_counter() - started
    intended = dict(zip(ids, due_times, strict=True))  # one case per due time
    settle_s = None
    if get_db().engine.dialect.name == "postgresql" and not args.no_settle:
        # A live database is not 10,000 rows fresh from a bulk load: without this, autovacuum and autoanalyze
        # of the new rows run during the first seconds of the firing phase and slow those firings down.
        from sqlalchemy import text

        print(f"[{label}: VACUUM (ANALYZE) after the bulk load ...]", file=sys.stderr, flush=True)
        started = time.perf_counter()
        with get_db().engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM (ANALYZE)"))
        settle_s = time.perf_counter() - started

    # Move the hub's clock so the first timer is `lead` seconds away from now.
    first_due = min(due_times)
    clock.advance(first_due - timedelta(seconds=args.lead) - now())
    with get_db().unit_of_work(write=False) as session:
        already_due = session.scalar(select(func.count()).select_from(Case).where(
            Case.status == "open", Case.next_timer_due <= now()))
        armed = session.scalar(select(func.count()).select_from(Case).where(Case.next_timer_due.is_not(None)))
    last_due = max(due_times)

    scheduler = DeadlineScheduler(holder=f"bench:{os.getpid()}")
    instruments = Instruments(get_db().engine, args.profile)
    instruments.attach(scheduler)
    print(f"[{label}: scheduler running; timers due over {args.spread:.0f} s from +{args.lead:.0f} s ...]",
          file=sys.stderr, flush=True)
    pg_before = postgres_background() if get_db().engine.dialect.name == "postgresql" else None
    load_start = _load()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    phase_start = wall0
    scheduler.start()
    try:
        deadline = last_due + timedelta(seconds=args.timeout)
        while True:
            time.sleep(1.0)
            fired = args.cases - count_open()
            remaining = (last_due - now()).total_seconds()
            print(f"\r  fired {fired}/{args.cases}  (last due in {max(remaining, 0):5.0f} s)", end="",
                  file=sys.stderr, flush=True)
            if fired >= args.cases or now() > deadline:
                break
        print(file=sys.stderr)
        fire_wall = time.perf_counter() - wall0
        fire_cpu = time.process_time() - cpu0
        fire_ticks, fire_statements = instruments.snapshot()
        fire_commits = instruments.commits
        load_end = _load()
        fire_busy = instruments.seconds["tick (whole)"]
        background = postgres_background_since(pg_before) if pg_before is not None else None
        # Idle: nothing left to fire; only the scheduler's threads run (this thread sleeps).
        ticks0, statements0 = instruments.snapshot()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        time.sleep(args.idle)
        idle_cpu = time.process_time() - cpu0
        idle_wall = time.perf_counter() - wall0
        ticks1, statements1 = instruments.snapshot()
    finally:
        scheduler.shutdown()
        instruments.detach()

    # ------------------------------------------------------------------ read back the audit trail
    with get_db().unit_of_work(write=False) as session:
        rows = session.execute(select(AuditEvent.case_id, AuditEvent.task_id, AuditEvent.details)
                               .where(AuditEvent.action == "timer.fired")).all()
        still_waiting = session.scalar(select(func.count()).select_from(Case).where(Case.next_timer_due.is_not(None)))
        incidents = session.scalar(select(func.count()).select_from(Incident))
        chain_ok = verify(session).ok  # the hash-chained trail still verifies after the firings
    per_timer = Counter((case_id, task_id) for case_id, task_id, _ in rows)
    duplicates = sum(count - 1 for count in per_timer.values() if count > 1)
    fired_cases = {case_id for case_id, _, _ in rows}
    missed = sum(1 for case_id in ids if case_id not in fired_cases)
    lateness_ms, fired_at, wrong_due, early = [], [], 0, 0
    for case_id, _task_id, details in rows:
        due = datetime.fromisoformat(details["due_at"])
        at = datetime.fromisoformat(details["fired_at"])
        if intended.get(case_id) is not None and abs((due - intended[case_id]).total_seconds()) > 1e-6:
            wrong_due += 1
        late = (at - due).total_seconds() * 1000
        if late < 0:
            early += 1
        lateness_ms.append(late)
        fired_at.append(at)
    per_second = Counter(int((at - first_due).total_seconds()) for at in fired_at)
    # Drain: from the first due instant to the last firing; a burst of N should drain in <= N/500 s.
    drain_s = (max(fired_at) - first_due).total_seconds() if fired_at else None
    result = {
        "label": label, "cases": args.cases, "spread": args.spread,
        "create_s": create_s, "create_rate": args.cases / create_s, "settle_s": settle_s,
        "armed": armed, "already_due": already_due,
        "fired": len(rows), "missed": missed, "duplicates": duplicates, "early": early, "wrong_due": wrong_due,
        "still_waiting": still_waiting, "incidents": incidents, "chain": "yes" if chain_ok else "NO",
        "p50": statistics_or_none(lateness_ms, 0.50), "p95": statistics_or_none(lateness_ms, 0.95),
        "p99": statistics_or_none(lateness_ms, 0.99), "max": max(lateness_ms) if lateness_ms else None,
        "mean_rate": args.cases / args.spread if args.spread else None,
        "drain_s": drain_s, "drain_target_s": args.cases / 500,
        "drain_rate": len(rows) / drain_s if drain_s else None,
        "peak_rate": max(per_second.values()) if per_second else 0,
        "fire_wall": fire_wall, "fire_cpu_pct": 100 * fire_cpu / fire_wall,
        "cpu_ms_per_firing": 1000 * fire_cpu / len(rows) if rows else None,
        "busy_pct": 100 * fire_busy / fire_wall, "fire_ticks": fire_ticks,
        "busy_rate": len(rows) / fire_busy if fire_busy else None,
        "statements_per_firing": fire_statements / len(rows) if rows else None,
        "commits_per_firing": fire_commits / len(rows) if rows else None,
        "load_start": load_start, "load_end": load_end,
        "idle_wall": idle_wall, "idle_cpu_pct": 100 * idle_cpu / idle_wall, "idle_cpu_ms": idle_cpu * 1000,
        "idle_ticks": ticks1 - ticks0, "idle_statements": statements1 - statements0,
        "instruments": instruments,
        "late_over_1s": sum(1 for value in lateness_ms if value > 1000),
        "cost_by_decile": _cost_by_decile(instruments.firings, phase_start, phase_start + fire_wall),
        "lateness_by_decile": _lateness_by_decile(rows, first_due, args.spread),
        "background": background,
    }
    get_db().dispose()
    clock.reset()
    return result


def _load() -> float:
    """The 1-minute load average: the machine is shared, so every figure comes with it."""
    return os.getloadavg()[0]


def postgres_background() -> dict:
    """The server's clock, checkpoint counters and per-table autovacuum counts, to compare after the phase."""
    from sqlalchemy import text

    from app.core.db import get_db

    with get_db().engine.connect() as connection:
        server_now = connection.execute(text("SELECT now()")).scalar()
        checkpoints = connection.execute(text(
            "SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter")).scalar()
        tables = {name: (vacuums, analyzes) for name, vacuums, analyzes in connection.execute(text(
            "SELECT relname, autovacuum_count, autoanalyze_count FROM pg_stat_user_tables"))}
    return {"at": server_now, "checkpoints": checkpoints, "tables": tables}


def postgres_background_since(before: dict) -> str:
    """What PostgreSQL did on its own during the firing phase (autovacuum, autoanalyze, checkpoints)."""
    after = postgres_background()
    elapsed = (after["at"] - before["at"]).total_seconds()
    vacuumed = [name for name, (v, _a) in sorted(after["tables"].items()) if v > before["tables"].get(name, (0, 0))[0]]
    analyzed = [name for name, (_v, a) in sorted(after["tables"].items()) if a > before["tables"].get(name, (0, 0))[1]]
    return (f"during the {elapsed:.0f} s firing phase: {after['checkpoints'] - before['checkpoints']} checkpoint(s);"
            f" autovacuum on {', '.join(vacuumed) or 'nothing'}; autoanalyze on {', '.join(analyzed) or 'nothing'}")


def statistics_or_none(values: list[float], q: float) -> float | None:
    return percentile(values, q) if values else None


def _cost_by_decile(firings: list[tuple[float, float]], start: float, end: float) -> list[tuple[int, float]]:
    """(firings, mean ms per firing transaction) in each tenth of the firing phase's wall time."""
    buckets: list[list[float]] = [[] for _ in range(10)]
    span = max(end - start, 1e-9)
    for at, seconds in firings:
        buckets[min(9, max(0, int((at - start) / span * 10)))].append(seconds * 1000)
    return [(len(b), sum(b) / len(b) if b else float("nan")) for b in buckets]


def _lateness_by_decile(rows, first_due: datetime, spread: float) -> list[float]:
    """p99 lateness of the timers due in each tenth of the spread (does lateness grow as the run goes on?)."""
    buckets: list[list[float]] = [[] for _ in range(10)]
    for _case_id, _task_id, details in rows:
        due = datetime.fromisoformat(details["due_at"])
        at = datetime.fromisoformat(details["fired_at"])
        index = min(9, max(0, int((due - first_due).total_seconds() / max(spread, 1e-9) * 10)))
        buckets[index].append((at - due).total_seconds() * 1000)
    return [percentile(b, 0.99) if b else float("nan") for b in buckets]


# ----------------------------------------------------------------------------- report
def fmt(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


ROWS = (
    ("load average (1 min) at start", "load_start", ".2f"),
    ("load average (1 min) at end", "load_end", ".2f"),
    ("cases", "cases", "d"),
    ("spread (s)", "spread", ".0f"),
    ("creation (s)", "create_s", ".1f"),
    ("creation rate (cases/s)", "create_rate", ".0f"),
    ("VACUUM (ANALYZE) after (s)", "settle_s", ".1f"),
    ("armed at scheduler start", "armed", "d"),
    ("already due at start", "already_due", "d"),
    ("fired", "fired", "d"),
    ("missed", "missed", "d"),
    ("fired twice (extra)", "duplicates", "d"),
    ("fired early", "early", "d"),
    ("due_at differs from set", "wrong_due", "d"),
    ("still waiting at the end", "still_waiting", "d"),
    ("timer incidents", "incidents", "d"),
    ("audit chain verifies", "chain", "s"),
    ("lateness p50 (ms)", "p50", ".1f"),
    ("lateness p95 (ms)", "p95", ".1f"),
    ("lateness p99 (ms)", "p99", ".1f"),
    ("lateness max (ms)", "max", ".1f"),
    ("timers > 1 s late", "late_over_1s", "d"),
    ("due rate, mean (timers/s)", "mean_rate", ".1f"),
    ("firings, peak 1 s (timers/s)", "peak_rate", "d"),
    ("drain: first due -> last firing (s)", "drain_s", ".2f"),
    ("drain target N/500 (s)", "drain_target_s", ".2f"),
    ("firings/s to drain", "drain_rate", ".0f"),
    ("firing phase wall (s)", "fire_wall", ".1f"),
    ("scheduler busy (% of phase)", "busy_pct", ".1f"),
    ("firings/s while busy", "busy_rate", ".1f"),
    ("ticks in firing phase", "fire_ticks", "d"),
    ("SQL statements per firing", "statements_per_firing", ".1f"),
    ("commits per firing", "commits_per_firing", ".3f"),
    ("firing phase CPU (% 1 core)", "fire_cpu_pct", ".1f"),
    ("process CPU per firing (ms)", "cpu_ms_per_firing", ".2f"),
    ("idle window (s)", "idle_wall", ".1f"),
    ("idle CPU (% 1 core)", "idle_cpu_pct", ".2f"),
    ("idle CPU (ms total)", "idle_cpu_ms", ".0f"),
    ("idle wakeups (ticks)", "idle_ticks", "d"),
    ("idle SQL statements", "idle_statements", "d"),
)


def print_report(results: list[dict], profile_top: int) -> None:
    width = 20
    print(f"\n{'':<30}" + "".join(f"{r['label']:>{width}}" for r in results))
    for title, key, spec in ROWS:
        print(f"{title:<30}" + "".join(f"{fmt(r[key], spec):>{width}}" for r in results))
    print("\np99 lateness (ms) of the timers due in each tenth of the spread:")
    for r in results:
        print(f"   {r['label']:<27}" + " ".join(f"{v:7.0f}" for v in r["lateness_by_decile"]))
    print("\nFiring transactions in each tenth of the firing phase (wall time): count / mean ms per transaction:")
    for r in results:
        print(f"   {r['label']:<27}" + " ".join(f"{n:5d}/{ms:4.1f}" for n, ms in r["cost_by_decile"]))
    for r in results:
        if r["background"]:
            print(f"   {r['label']} server work {r['background']}")
    print("\nWhere the scheduler's time went "
          "(wall time of every tick, by step; indented steps are inside the one above):")
    for r in results:
        inst: Instruments = r["instruments"]
        fires = max(inst.calls["fire_due_timers (operation)"], 1)
        print(f"   {r['label']}")
        print(f"     {'step':<44}{'calls':>8}{'total s':>9}{'ms/call':>9}{'ms/firing':>11}")
        for label, depth, children in BREAKDOWN:
            if not inst.calls[label]:
                continue
            total = inst.seconds[label]
            print(f"     {'  ' * depth + label:<44}{inst.calls[label]:8d}{total:9.2f}"
                  f"{1000 * total / inst.calls[label]:9.2f}{1000 * total / fires:11.2f}")
            if label == "firing transaction" and inst.calls["firing batch (operation)"]:
                children = ("firing batch (operation)",)  # batched: the firings are inside the batch
            if children:
                rest = total - sum(inst.seconds[c] for c in children)
                print(f"     {'  ' * (depth + 1) + REST_LABELS[label]:<44}{'':8}{rest:9.2f}{'':9}"
                      f"{1000 * rest / fires:11.2f}")
        if inst.missing:
            print(f"     (not in this version of the app, so not timed: {', '.join(inst.missing)})")
        if inst.calls["other transactions (failures)"]:
            print(f"     other transactions (failures): {inst.calls['other transactions (failures)']}")
        busy = inst.seconds["tick (whole)"]
        print(f"     -> {inst.calls['fire_due_timers (operation)']} firings in {inst.calls['firing transaction']}"
              f" transactions in {busy:.1f} s of tick time:"
              f" {inst.calls['fire_due_timers (operation)'] / max(busy, 1e-9):.0f} firings/s while busy,"
              f" {1000 * busy / fires:.2f} ms of scheduler time per firing")
        if inst.profiler is not None:
            out = io.StringIO()
            pstats.Stats(inst.profiler, stream=out).sort_stats("cumulative").print_stats(profile_top)
            print("\n".join("     " + line for line in out.getvalue().splitlines() if line.strip()))


# ----------------------------------------------------------------------------- main
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both",
                        help="default both (PostgreSQL skipped when /usr/lib/postgresql/*/bin is missing)")
    parser.add_argument("--cases", type=int, default=10_000,
                        help="cases with one waiting timer each (default 10000)")
    parser.add_argument("--spread", type=float, default=120,
                        help="due times uniform over this many seconds (default 120)")
    parser.add_argument("--burst", action="store_true",
                        help="every timer due at the same instant (the spread is ignored): firings/s to drain")
    parser.add_argument("--rate", type=float, default=None,
                        help="sustained: --cases becomes RATE x --spread (timers/s due, uniformly)")
    parser.add_argument("--lead", type=float, default=3,
                        help="seconds from scheduler start to the first due time (default 3)")
    parser.add_argument("--batch", type=int, default=500, help="cases created per transaction (default 500)")
    parser.add_argument("--idle", type=float, default=20, help="idle window for the CPU sample, seconds (default 20)")
    parser.add_argument("--timeout", type=float, default=300,
                        help="give up this many seconds after the last due time (default 300)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the due-time draw (default 1)")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the scheduler's ticks and print the top functions")
    parser.add_argument("--profile-top", type=int, default=30, help="functions shown with --profile (default 30)")
    parser.add_argument("--no-settle", action="store_true",
                        help="PostgreSQL: skip the VACUUM (ANALYZE) between the bulk load and the firing phase")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (SQLite database) and print it")
    args = parser.parse_args()
    if args.rate is not None:
        args.cases = max(1, round(args.rate * args.spread))
    if args.burst:
        args.spread = 0.0
    if args.cases < 1 or (args.spread <= 0 and not args.burst):
        parser.error("--cases must be >= 1 and --spread > 0")

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("spiff").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)

    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    pg_bin = postgres_bin() if "postgresql" in backends else None
    note = ""
    if "postgresql" in backends and pg_bin is None:
        if args.backend == "postgresql":
            print("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb)", file=sys.stderr)
            return 2
        backends.remove("postgresql")
        note = "; PostgreSQL skipped (not installed)"
    print(f"MASH timer lateness | {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"SQLite {sqlite3.sqlite_version} | {args.cases} cases, "
          + ("all due at one instant (burst)" if args.burst else f"due uniformly over {args.spread:.0f} s")
          + f" from +{args.lead:.0f} s, scheduler in-process{note}")
    print("load average at start: " + " ".join(f"{v:.2f}" for v in os.getloadavg()))
    overall = time.perf_counter()
    results: list[dict] = []
    workdir = Path(tempfile.mkdtemp(prefix="mash-timer-bench-"))
    try:
        if "sqlite" in backends:
            sqlite_dir = workdir / "sqlite"
            sqlite_dir.mkdir()
            results.append(run_backend("SQLite", f"sqlite:///{sqlite_dir / 'mash.db'}", sqlite_dir, args))
        if "postgresql" in backends:
            postgres = ThrowawayPostgres(pg_bin, durable=True, max_connections=100)
            try:
                pg_dir = workdir / "postgresql"
                pg_dir.mkdir()
                results.append(run_backend(f"PostgreSQL {postgres.version}",
                                           postgres.create_database("mash_timer_bench"), pg_dir, args))
            finally:
                postgres.stop()
    finally:
        if args.keep:
            print(f"\nKept {workdir}.")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    print_report(results, args.profile_top)
    print(f"\nTotal run time {time.perf_counter() - overall:.0f} s; load average at end: "
          + " ".join(f"{v:.2f}" for v in os.getloadavg()) + " (other work on the machine skews the figures)")
    broken = [r["label"] for r in results
              if r["missed"] or r["duplicates"] or r["early"] or r["wrong_due"] or r["chain"] != "yes"]
    if broken:
        print(f"CORRECTNESS FAILURE on {', '.join(broken)}: a timer was missed, fired twice, fired early or "
              "carried the wrong due time, or the audit chain did not verify.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
