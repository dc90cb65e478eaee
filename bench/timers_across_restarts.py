"""Timers across restarts: 10,000 waiting timers, and the process running the deadline scheduler SIGKILLed and
restarted several times while they fall due. Checks from the audit trail that none was missed, none fired twice,
none fired early; prints lateness and how long each restarted scheduler took to resume.

For each backend (SQLite in a temp dir; PostgreSQL on a throwaway server with durable commits): a fresh migrated
database with the bench diagram (bench/timer_bench: start -> timer at the case's own `due_at` -> end), and
`mash serve --workers 1` in its own process group (its worker runs the scheduler, as in production). Cases are
created through the service layer by this script, due at real wall-clock times uniformly over `--spread` seconds
(no clock is moved: the server runs on the system clock). The first falls due after twice the creation time a
rolled-back dry run predicts, plus `--lead-in` seconds, so all are waiting before any falls due.

`--kills` times, a seeded random `--gap` after the running scheduler took the lease, the whole process group gets
SIGKILL (no shutdown hook runs, so the lease is not released); after a seeded random `--down` time `mash serve`
is started again. The restarted scheduler can only take the lease once the dead holder's lease has lapsed
(LEASE_TTL after its last renewal): the bench waits for that, as production would. `--expire-dead-lease` is a
what-if: the harness ends the dead holder's lease as soon as its processes are gone.

Lateness per timer = fired_at - due_at from its `timer.fired` audit event (from when it was armed instead, for a
timer armed after it was due because creation overran its time: "armed after already due" counts them),
overall and split by whether the timer fell due while no scheduler was acting (between a kill and the restarted
scheduler taking the lease). Prints
figures, never asserts timing; exits 1 if a timer was missed, fired twice, fired early, carried another due time
than the one set, or was still pending at the end (correctness).

    .venv/bin/python bench/timers_across_restarts.py [--backend sqlite|postgresql|both] [--cases 10000]
                                                     [--spread 150] [--kills 5] [--seed 1] [--expire-dead-lease]
"""
from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from benchlib import percentile, use_project_venv  # bench/ is on sys.path when a script runs

use_project_venv()

from tests.deadlines import restart_harness as harness  # noqa: E402
from tests.postgres_server import ThrowawayPostgres, postgres_bin  # noqa: E402


def say(message: str) -> None:
    print(f"\r  {message:<70}", end="", file=sys.stderr, flush=True)


def run_backend(label: str, database_url: str, workdir: Path, args) -> dict:
    from app.core.db import get_db

    print(f"[{label}: {args.cases} timers due over {args.spread:.0f} s; {args.kills} kills]", file=sys.stderr,
          flush=True)
    load_before = os.getloadavg()
    try:
        result = harness.run(database_url, workdir, cases=args.cases, spread=args.spread, lead_in=args.lead_in,
                             kills=args.kills, seed=args.seed, gap=tuple(args.gap), down=tuple(args.down),
                             expire_dead_lease=args.expire_dead_lease, batch=args.batch, timeout=args.timeout,
                             web=args.process == "serve", say=say)
        print(file=sys.stderr)
        events = harness.fired_events()
        verdict = harness.check(result, events)
        incidents = harness.timer_incidents()
        pending = harness.pending_timers(result.version_id)
    finally:
        get_db().dispose()
    last_fired = max((datetime.fromisoformat(details["fired_at"]) for _c, _t, details in events), default=None)
    return {"label": label, "result": result, "verdict": verdict, "incidents": incidents, "pending": pending,
            "drain": None if last_fired is None else (last_fired - result.last_due).total_seconds(),
            "resume": harness.resume_figures(result, events), "load": (load_before, os.getloadavg())}


# ----------------------------------------------------------------------------- report
def stats(values: list[float]) -> str:
    if not values:
        return "-"
    return (f"{percentile(values, 0.5) / 1000:.2f} / {percentile(values, 0.95) / 1000:.2f} / "
            f"{max(values) / 1000:.2f}")


def print_report(results: list[dict]) -> None:
    width = 28
    rows = [
        ("timers", lambda r: len(r["result"].case_ids)),
        ("creation (s, cases/s)", lambda r: f"{r['result'].create_seconds:.1f}, "
                                            f"{len(r['result'].case_ids) / r['result'].create_seconds:.0f}"),
        ("first due after creation start (s)", lambda r: f"{r['result'].first_due_in:.0f}"),
        ("armed after already due", lambda r: r["verdict"].armed_late),
        ("SIGKILLs (+ restarts)", lambda r: len(r["result"].cycles)),
        ("fired", lambda r: r["verdict"].fired),
        ("missed", lambda r: len(r["verdict"].missed)),
        ("fired twice (extra)", lambda r: sum(r["verdict"].twice.values())),
        ("fired early", lambda r: r["verdict"].early),
        ("due_at differs from set", lambda r: r["verdict"].wrong_due),
        ("still pending at the end", lambda r: r["pending"]),
        ("timer incidents", lambda r: r["incidents"]),
        ("lateness all: p50/p95/max s", lambda r: stats(r["verdict"].lateness_ms)),
        ("due while no scheduler acted", lambda r: len(r["verdict"].dead_lateness_ms)),
        ("  their p50/p95/max s", lambda r: stats(r["verdict"].dead_lateness_ms)),
        ("due while one acted", lambda r: len(r["verdict"].live_lateness_ms)),
        ("  their p50/p95/max s", lambda r: stats(r["verdict"].live_lateness_ms)),
        ("last firing after last due (s)", lambda r: _cell(r["drain"])),
        ("load average before / after", lambda r: f"{r['load'][0][0]:.2f} / {r['load'][1][0]:.2f}"),
    ]
    print(f"\n{'':<36}" + "".join(f"{r['label']:>{width}}" for r in results))
    for title, value in rows:
        print(f"{title:<36}" + "".join(f"{value(r)!s:>{width}}" for r in results))

    print("\nEach kill, in seconds after the SIGKILL (negative: before it). 'lease left': how long the dead holder's"
          "\nlease still ran; 'taken - lapse': lease taken by the restarted scheduler minus that lapse.")
    header = ("kill", "pending", "last fired", "lease left", "restarted", "serving", "lease taken", "1st fired",
              "taken - lapse")
    for r in results:
        print(f"   {r['label']}")
        print("     " + "".join(f"{h:>14}" for h in header))
        for number, row in enumerate(r["resume"], start=1):
            cells = (number, row["pending"], row["last_fired_before"], row["lease_left"], row["restarted"],
                     row["serving"], row["lease_taken"], row["first_fired"],
                     None if row["lease_taken"] is None else row["lease_taken"] - row["lease_left"])
            print("     " + "".join(f"{_cell(c):>14}" for c in cells))


def _cell(value) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


# ----------------------------------------------------------------------------- main
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both",
                        help="default both (PostgreSQL skipped when /usr/lib/postgresql/*/bin is missing)")
    parser.add_argument("--cases", type=int, default=10_000, help="cases with one waiting timer each (default 10000)")
    parser.add_argument("--spread", type=float, default=150,
                        help="due times uniform over this many seconds (default 150)")
    parser.add_argument("--kills", type=int, default=5, help="SIGKILL + restart cycles (default 5)")
    parser.add_argument("--gap", type=float, nargs=2, default=(4.0, 12.0), metavar=("MIN", "MAX"),
                        help="seconds from a scheduler taking the lease to the next kill (default 4 12; the first "
                             "kill is this long after the first due time)")
    parser.add_argument("--down", type=float, nargs=2, default=(0.2, 3.0), metavar=("MIN", "MAX"),
                        help="seconds between a kill and the restart (default 0.2 3)")
    parser.add_argument("--lead-in", type=float, default=5,
                        help="seconds added to twice the creation time a dry run predicts, before the first due "
                             "time (default 5)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the due times, kill moments and down times")
    parser.add_argument("--batch", type=int, default=500, help="cases created per transaction (default 500)")
    parser.add_argument("--timeout", type=float, default=300,
                        help="give up this many seconds after the last due time (default 300)")
    parser.add_argument("--expire-dead-lease", action="store_true",
                        help="what-if: end a killed holder's lease at once instead of waiting for it to lapse")
    parser.add_argument("--process", choices=("serve", "scheduler"), default="serve",
                        help="what runs the scheduler and is killed: `mash serve` (default) or `mash scheduler`")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (databases, server logs)")
    args = parser.parse_args()
    # A stopped bench must still stop its servers (the `finally` blocks) and remove its temp dir.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.cases < 1 or args.spread <= 0 or args.kills < 0:
        parser.error("--cases must be >= 1, --spread > 0 and --kills >= 0")

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("spiff").setLevel(logging.WARNING)

    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    pg_bin = postgres_bin() if "postgresql" in backends else None
    if "postgresql" in backends and pg_bin is None:
        if args.backend == "postgresql":
            print("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb)", file=sys.stderr)
            return 2
        backends.remove("postgresql")
        print("PostgreSQL: server binaries not installed; skipped", file=sys.stderr)
    from app.casework.scheduler import LEASE_TTL, MAX_SLEEP

    print(f"MASH timers across restarts | {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, SQLite "
          f"{sqlite3.sqlite_version} | {args.cases} timers over {args.spread:.0f} s, {args.kills} SIGKILLs of "
          f"`mash {args.process}`, seed {args.seed} | lease TTL {LEASE_TTL.total_seconds():.0f} s, scheduler max "
          f"sleep {MAX_SLEEP.total_seconds():.0f} s" + (" | what-if: dead leases expired at once"
                                                         if args.expire_dead_lease else ""))
    print("load average at start: " + " ".join(f"{v:.2f}" for v in os.getloadavg()))
    overall = time.perf_counter()
    results: list[dict] = []
    workdir = Path(tempfile.mkdtemp(prefix="mash-timer-restarts-"))
    try:
        if "sqlite" in backends:
            (workdir / "sqlite").mkdir()
            results.append(run_backend("SQLite", f"sqlite:///{workdir / 'sqlite' / 'mash.db'}",
                                       workdir / "sqlite", args))
        if "postgresql" in backends:
            postgres = ThrowawayPostgres(pg_bin, durable=True, max_connections=100)
            try:
                (workdir / "postgresql").mkdir()
                results.append(run_backend(f"PostgreSQL {postgres.version}",
                                           postgres.create_database("mash_timer_restarts"), workdir / "postgresql",
                                           args))
            finally:
                postgres.stop()
    finally:
        if args.keep:
            print(f"\nKept {workdir}.")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    print_report(results)
    print(f"\nTotal run time {time.perf_counter() - overall:.0f} s; load average at end: "
          + " ".join(f"{v:.2f}" for v in os.getloadavg()) + " (other work on the machine skews the figures)")
    quiet = [f"{r['label']} kill {n}" for r in results for n, c in enumerate(r["result"].cycles, start=1)
             if not c.pending_at_kill]
    if quiet:
        print(f"Note: no timer was pending at {', '.join(quiet)}.", file=sys.stderr)
    if any(r["verdict"].armed_late for r in results):
        print("Note: creation overran the time it was given (the machine slowed down), so some timers fell due "
              "while cases were still being created and fired as their cases started, not across a restart. "
              "Pass a longer --lead-in.",
              file=sys.stderr)
    broken = [r["label"] for r in results if not r["verdict"].correct or r["pending"] or r["result"].timed_out]
    if broken:
        print(f"CORRECTNESS FAILURE on {', '.join(broken)}: a timer was missed, fired twice, fired early, carried "
              "the wrong due time or was still pending.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
