"""Load: a hub's day for N people (default 50) for M minutes (default 10) against `mash serve`.

For each backend: a fresh database, `mash init-db` + `mash demo`, tokens, and `mash serve` on a free port
(MashServer from task_throughput.py). Then people, each a thread with think times (bench/load_users.py):

- referrers report contacts (POST /api/v1/contacts) and now and then look one up (GET /api/v1/contacts/<id>);
- MASH managers, police, health and business support sign in through the login form, read their inbox
  (GET /api/v1/tasks, and sometimes the HTML /inbox), open their next case (GET /api/v1/cases/<id> and the
  HTML /cases/<id>), work the form and complete the task (screening amber -> police and health checks ->
  review -> decision nfa -> feedback). Each task has one owner (cases are partitioned within each role).

It prints per request type the count, errors, p50/p95/max latency, the overall requests/s, the tasks completed,
and every error by request type and status. After the run every reported case is read back and checked
against the steps done on it. Exit 1 on any error, anomaly or inconsistent case (a correctness failure);
timings are figures only.

    .venv/bin/python bench/load.py [--users 50] [--minutes 10] [--backend sqlite|postgresql|both]
                                   [--workers 1] [--seed 1] [--pace 1.0] [--keep]
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from benchlib import ROOT, percentile, use_project_venv  # bench/ is on sys.path when a script runs

use_project_venv()

from load_users import ARRIVAL_S, MIX, REQUEST_TYPES, STEPS, THINK, Hub, Recorder, expected_open, roster, run_people  # noqa: E402
from task_throughput import MashServer, server_exceptions  # noqa: E402
from tests.postgres_server import ThrowawayPostgres, postgres_bin  # noqa: E402

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Outcome:
    label: str
    hub: Hub
    users: int
    seconds: float
    inconsistent: list[str]
    load: list[float]

    @property
    def failures(self) -> int:
        return self.hub.recorder.error_count + len(self.hub.recorder.anomalies) + len(self.inconsistent)


def task_names() -> dict[str, str]:
    """Element id -> the task's name as the inbox shows it, from the deployed referral diagram."""
    from app.engine import ProcessBundle, compile_bundle

    definition = compile_bundle(ProcessBundle.from_directories(ROOT / "processes", ROOT / "forms"))
    return {element: definition.user_tasks[("referral", element)].name for element, _, _ in STEPS}


def check_cases(base: str, token: str, hub: Hub) -> list[str]:
    """Read every case of the run back: its open tasks, agency returns and status must match the steps done."""
    names = hub.names

    def check(case_id: int) -> str | None:
        request = urllib.request.Request(f"{base}/api/v1/cases/{case_id}",
                                         headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
        try:
            with _OPENER.open(request, timeout=60) as response:
                case = json.loads(response.read())
        except (OSError, ValueError) as error:
            return f"case {case_id}: could not be read back ({error})"
        done = hub.done[case_id]
        want_open = sorted(names[element] for element in expected_open(done))
        have_open = sorted(t["name"] for t in case["open_tasks"])
        returns = sorted(r["agency"] for r in case["agency_returns"])
        want_returns = sorted(agency for agency in ("police", "health") if f"{agency}_check" in done)
        status = "closed" if not want_open else "open"
        if have_open != want_open or returns != want_returns or case["status"] != status:
            return (f"case {case_id}: after {sorted(done)} expected open {want_open}, returns {want_returns},"
                    f" {status}; found {have_open}, {returns}, {case['status']}")
        return None

    with ThreadPoolExecutor(max_workers=4) as pool:
        return [problem for problem in pool.map(check, sorted(hub.done)) if problem]


def sample_load(until: threading.Event, into: list[float]) -> None:
    while not until.wait(10):
        into.append(os.getloadavg()[0])


def run_load(label: str, database_url: str, workdir: Path, *, users: int, minutes: float, workers: int,
             seed: int, pace: float) -> Outcome:
    """One run against a fresh `mash serve` (workers x 8 threads), reported."""
    print(f"[{label}: init-db, demo, tokens, serve ...]", file=sys.stderr, flush=True)
    server = MashServer(database_url, workdir, workers=workers)
    try:
        print(f"[{label}: {users} people for {minutes:g} min ...]", file=sys.stderr, flush=True)
        outcome = hub_day(label, server.base, server.tokens, server.env["MASH_DEMO_PASSWORD"], users=users,
                          minutes=minutes, seed=seed, pace=pace)
    finally:
        server.stop()
    report(outcome, f"mash serve {workers} worker(s) x 8 threads", server.log_path)
    return outcome


def hub_day(label: str, base: str, tokens: dict[str, str], password: str, *, users: int, minutes: float,
            seed: int, pace: float) -> Outcome:
    """The people's day against a running server, then the read-back check of every case they reported."""
    loads = [os.getloadavg()[0]]
    stop_sampling = threading.Event()
    sampler = threading.Thread(target=sample_load, args=(stop_sampling, loads), daemon=True)
    started = time.monotonic()
    hub = Hub(base, tokens, password, task_names(), Recorder(), started + minutes * 60, pace, secrets.token_hex(3))
    sampler.start()
    run_people(hub, roster(users), seed)
    seconds = time.monotonic() - started
    stop_sampling.set()
    loads.append(os.getloadavg()[0])
    return Outcome(label, hub, users, seconds, check_cases(base, tokens["mash-manager"], hub), loads)


def report(outcome: Outcome, server: str, log_path: Path | None = None) -> None:
    """Print the run's figures, errors by request type and status, and the server log's exceptions."""
    hub, recorder = outcome.hub, outcome.hub.recorder
    roles = roster(outcome.users)
    people = ", ".join(f"{roles.count(role)} {role}" for role in MIX)
    print(f"\n== {outcome.label}  ({outcome.users} people: {people}; {outcome.seconds / 60:.1f} min; {server})")
    print(f"   {'request type':<16}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    total = 0
    for kind in REQUEST_TYPES:
        values = recorder.latency[kind]
        total += len(values)
        errors = sum(count for (k, _), count in recorder.errors.items() if k == kind)
        if values:
            print(f"   {kind:<16}{len(values):9d}{errors:8d}{statistics.median(values):9.1f}"
                  f"{percentile(values, 0.95):9.1f}{max(values):9.1f}")
        else:
            print(f"   {kind:<16}{0:9d}{errors:8d}{'-':>9}{'-':>9}{'-':>9}")
    print(f"   {'all':<16}{total:9d}{recorder.error_count:8d}   -> {total / outcome.seconds:.1f} requests/s")
    completed = sum(hub.completed.values())
    closed = sum(1 for done in hub.done.values() if not expected_open(done))
    print(f"   contacts reported {len(hub.done)}; tasks completed {completed} ({completed / outcome.seconds:.2f}/s: "
          + ", ".join(f"{element} {count}" for element, count in hub.completed.items())
          + f"); cases closed {closed}; largest inbox read {hub.max_inbox} tasks")
    print(f"   load average (1 min) during the run: start {outcome.load[0]:.2f}, max {max(outcome.load):.2f},"
          f" end {outcome.load[-1]:.2f}")
    if recorder.errors:
        print("   ERRORS by request type and status:")
        for (kind, status), count in sorted(recorder.errors.items()):
            print(f"     {kind:<16} {status:<28} {count:6d}  first: {recorder.samples[kind, status]}")
    else:
        print("   errors: none (no non-2xx, no connection failure)")
    for anomaly in recorder.anomalies[:10]:
        print(f"   ANOMALY: {anomaly}")
    print(f"   read back: {len(hub.done)} cases checked, {len(outcome.inconsistent)} inconsistent with the steps done")
    for problem in outcome.inconsistent[:10]:
        print(f"     INCONSISTENT: {problem}")
    exceptions = sorted(server_exceptions(log_path).items(), key=lambda item: -item[1]) if log_path else []
    for line, count in exceptions[:5]:
        print(f"   server log: {count} x {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50, help="people at once (default 50; at least 5)")
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the run per backend (default 10)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--workers", type=int, default=1, help="mash serve worker processes (default 1)")
    parser.add_argument("--seed", type=int, default=1, help="seeds think times, names and arrival order")
    parser.add_argument("--pace", type=float, default=1.0,
                        help="multiplies every think time (default 1; below 1 is busier people)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (databases, server logs)")
    args = parser.parse_args()
    roster(args.users)  # refuses too few people before any setup

    print(f"MASH load | {os.cpu_count()} CPUs, Python {sys.version.split()[0]} | {args.users} people,"
          f" {args.minutes:g} min per backend, seed {args.seed}, pace {args.pace:g}")
    print("think times (mean s, each drawn from 0.5x-1.5x, times pace): "
          + ", ".join(f"{what} {mean:g}" for what, mean in THINK.items())
          + f"; people arrive over the first tenth of the run (at most {ARRIVAL_S:g} s)")
    options = {"users": args.users, "minutes": args.minutes, "workers": args.workers, "seed": args.seed,
               "pace": args.pace}
    outcomes: list[Outcome] = []
    workdir = Path(tempfile.mkdtemp(prefix="mash-load-"))
    try:
        if args.backend in ("sqlite", "both"):
            (workdir / "sqlite").mkdir()
            outcomes.append(run_load("SQLite", f"sqlite:///{workdir / 'sqlite' / 'mash.db'}", workdir / "sqlite",
                                     **options))
        if args.backend in ("postgresql", "both"):
            bin_dir = postgres_bin()
            if bin_dir is None:
                sys.exit("PostgreSQL server binaries are not installed (/usr/lib/postgresql/*/bin)")
            postgres = ThrowawayPostgres(bin_dir, durable=True, max_connections=100)
            try:
                (workdir / "postgresql").mkdir()
                outcomes.append(run_load(f"PostgreSQL {postgres.version}", postgres.create_database("mash_load"),
                                         workdir / "postgresql", **options))
            finally:
                postgres.stop()
    finally:
        if args.keep:
            print(f"\nKept {workdir} (server.log per backend).")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    failures = sum(outcome.failures for outcome in outcomes)
    print(f"\n{'FAILED' if failures else 'OK'}: {failures} errors, anomalies or inconsistent cases.")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
