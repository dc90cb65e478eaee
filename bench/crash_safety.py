"""Crash safety, the full run: the real server killed with SIGKILL 20 times while 1,000 task completions go
through it, on SQLite and PostgreSQL; after every restart every case is checked.

For each backend: a fresh database (`mash init-db` + `mash demo`, so the demo's cases in every state are checked
too), then `mash serve` in a process group of its own. Client threads report contacts (with an Idempotency-Key)
and walk each case screening -> police check -> health check -> review -> decision -> feedback through the JSON
API. At seeded random points the whole process group (gunicorn master and worker) gets SIGKILL; the server is
restarted on the same database and, with the clients held back, tests/ops/crash_harness.check_hub reads the
database directly and restores each case's workflow through app.engine:

- the open-task rows equal the engine's ready user tasks, per case;
- each completed task is recorded once in the case and once in the audit trail, and the engine has it done;
  every completion the client was told of (2xx) is among them;
- every contact has its case and subjects, every case its contact and workflow state, nothing is open or
  running on a closed case, and the audit hash chain verifies;
- every contact the client was told was accepted (201) exists, with the case and reference it was given.

A request that got no answer may or may not have happened: the client waits for the restart, re-reads the case
(or looks for the contact's key), and sends it again; a completion that had happened must get a 409. Prints what
it checked and found; exits 1 on any violation, never on timing.

    .venv/bin/python bench/crash_safety.py [--completions 1000] [--kills 20] [--clients 8] [--seed 1] [--no-postgres]
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from benchlib import on_sqlite_and_postgres, use_project_venv  # bench/ is on sys.path when a script runs

use_project_venv()

from tests.ops.crash_harness import STEPS, CrashReport, CrashRun, HubServer  # noqa: E402


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cases_in(database_url: str) -> Counter:
    from sqlalchemy import func, select

    from app.cases.models import Case
    from app.core.db import init_db

    with init_db(database_url).unit_of_work(write=False) as session:
        return Counter(dict(session.execute(select(Case.status, func.count()).group_by(Case.status)).all()))


def print_report(label: str, setup_s: float, run_s: float, report: CrashReport, cases: Counter, verify: str) -> None:
    in_flight = [sum(at_kill.values()) for at_kill in report.in_flight_at_kill]
    by_type = sum(report.in_flight_at_kill, Counter())
    done_409 = report.resolved["completion: retried, 409 already completed"]
    restarts = report.restart_seconds[1:] or [0.0]
    print(f"\n== {label}  (setup {setup_s:.1f} s: init-db + demo; run {run_s:.1f} s)")
    print(f"   cases walked       {report.cases:5d}, closed {report.closed}; "
          f"contacts acknowledged (201) {report.contacts}")
    print(f"   task completions   {report.completions:5d}: acknowledged (2xx) {report.completions - done_409},"
          f" done with no answer (retry got 409) {done_409}; {report.completions_after_last_kill} after the last kill")
    print(f"   kills (SIGKILL)    {report.kills:5d}; restart to /healthz p50 {statistics.median(restarts):.1f} s,"
          f" max {max(restarts):.1f} s")
    if in_flight:
        print(f"   in flight at kill  {sum(in_flight):5d} requests (per kill min {min(in_flight)}, median "
              f"{statistics.median(in_flight):g}, max {max(in_flight)}; {sum(1 for n in in_flight if n)} of "
              f"{len(in_flight)} kills landed on requests): {dict(sorted(by_type.items()))}")
    print(f"   no answer          {sum(report.no_answer.values()):5d}: {dict(sorted(report.no_answer.items()))}")
    for outcome, count in sorted(report.resolved.items()):
        print(f"     {count:5d}  {outcome}")
    print(f"   answers            {dict(sorted(report.statuses.items()))}")
    print(f"   invariant checks   {report.checks:5d} (after each restart and at the end), each over every case;"
          f" at the end {sum(cases.values())} cases ({', '.join(f'{n} {s}' for s, n in sorted(cases.items()))})")
    print(f"   mash audit verify  {verify}")
    print(f"   violations         {len(report.violations):5d}")
    for violation in report.violations[:20]:
        print(f"     - {violation}")
    if len(report.violations) > 20:
        print(f"     ... and {len(report.violations) - 20} more")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--completions", type=int, default=1000, help="task completions per backend (default 1000)")
    parser.add_argument("--kills", type=int, default=20, help="SIGKILLs per backend (default 20)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads (default 8)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the kill points (default 1)")
    parser.add_argument("--postgres-url", default=None,
                        help="an empty PostgreSQL database to use instead of a throwaway server")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    cases = math.ceil(args.completions / len(STEPS))
    print(f"MASH crash safety | {os.cpu_count()} CPUs, load average {load_average()} | {cases} cases x "
          f"{len(STEPS)} steps, {args.kills} kills, {args.clients} client threads, seed {args.seed}; "
          "server 1 worker x 8 threads")
    violations = 0
    started = time.perf_counter()

    def run(label: str, database_url: str, workdir: Path) -> None:
        nonlocal violations
        folder = workdir / label.split()[0].lower()
        folder.mkdir(parents=True, exist_ok=True)
        print(f"[{label}: init-db, demo ...]", file=sys.stderr, flush=True)
        server = HubServer(database_url, folder)
        setup = time.perf_counter()
        server.cli("init-db")
        server.cli("demo")
        setup_s = time.perf_counter() - setup
        print(f"[{label}: walking {cases} cases, {args.kills} kills ...]", file=sys.stderr, flush=True)
        began = time.perf_counter()
        report = CrashRun(server, database_url, cases=cases, clients=args.clients, kills=args.kills,
                          seed=args.seed).run()
        run_s = time.perf_counter() - began
        try:
            verify = server.cli("audit", "verify").strip().splitlines()[0].split(". Anchor")[0]
        except RuntimeError as failure:
            verify = f"FAILED: {str(failure).splitlines()[-1]}"
            report.violations.append(f"mash audit verify failed: {failure}")
        print_report(label, setup_s, run_s, report, cases_in(database_url), verify)
        violations += len(report.violations)

    on_sqlite_and_postgres("crash", run, postgres_url=args.postgres_url, no_postgres=args.no_postgres)
    print(f"\nTotal run time {time.perf_counter() - started:.0f} s; load average now "
          f"{load_average()}. Violations: {violations}.")
    sys.exit(1 if violations else 0)


if __name__ == "__main__":
    main()
