"""The floor under a task completion on this stack: what an audited API request costs with no case work at all,
beside the engine's own step with its state restored and saved, and the best figures of issue 20 that follow.

A completion through the API is two audited requests (GET /api/v1/tasks/{id}, POST .../complete) around one engine
step. Whatever else a request does (the case, its deadlines and inbox rows, notifications, the answer with what the
reader may see), it cannot cost less than:

- **an audited request that does nothing**: `GET /api/v1/tasks/<an id no task has>` through `mash serve` (gunicorn,
  Flask, the bearer token read and its use audited and committed: issue 5's contract), answered 404. `GET /healthz`
  (no token, no database) is timed beside it, for gunicorn's and Flask's own part;
- **the engine's persisted step**: the referral walked by app.engine alone, the case's state restored before and
  saved after every step (bench/engine_persistence.py's walk, fastest of ``--walks``).

Beside them, the hub manager's review task (the case answer with the most in it: the analysis, both agencies'
returns) is opened as many times, for how much of opening a task is the case's answer. One client, requests one
after another, on SQLite and on PostgreSQL (a throwaway server). The audit trail is checked
with `mash audit verify` before and after: every audited request must have added its entry. Prints figures and the
arithmetic beside the targets; never judges them.

    .venv/bin/python bench/request_floor.py [--requests 1000] [--walks 20] [--no-postgres]
"""
from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from functools import partial
from pathlib import Path

from benchlib import ROOT, percentile, use_project_venv  # bench/ is on sys.path when a script runs

use_project_venv()

from engine_persistence import fastest_walk  # noqa: E402
from task_throughput import (  # noqa: E402
    _OPENER,
    STEPS,
    Client,
    MashServer,
    access_log_times,
    load_average,
    next_steps,
    postmaster_pid,
    report_contact,
    step_names,
    tree_cpu_seconds,
)
from tests.postgres_server import ThrowawayPostgres, postgres_bin  # noqa: E402
from tests.server_processes import mash_command  # noqa: E402

#: No task has this id: the request reads the token and the task, audits the token's use and answers 404.
NO_TASK = "/api/v1/tasks/00000000-0000-4000-8000-000000000000"
#: The step a task is opened for in full: the hub manager's review, whose answer shows the most.
REVIEW = "mash_review"
#: Issue 20's targets this floor speaks to (one client, SQLite unless named).
TARGETS = {"completions_per_s": 120.0, "complete_p50_ms": 6.0, "postgres_completions_per_s": 60.0,
           "open_task_ms": 4.0}


def audit_entries(server: MashServer) -> int:
    """The audit trail's length, from `mash audit verify` (which exits 1 if the chain is broken)."""
    result = subprocess.run([*mash_command(), "audit", "verify"], cwd=ROOT, env=server.env, capture_output=True,
                            text=True, check=True)
    return int(re.search(r"intact: (\d+) entries", result.stdout).group(1))


def served_ms(log_text: str, path: str) -> list[float]:
    """Milliseconds each GET of ``path`` took inside the server, from its access log (the format
    task_throughput.served_ms reads)."""
    return [ms for request, ms in access_log_times(log_text) if request == f"GET {path}"]


def timed_requests(server: MashServer, path: str, count: int, token: str | None,
                   database_pid: int | None) -> dict[str, float]:
    """``count`` GETs of ``path``, one after another: client wall p50/p95, the server's own time (access log) p50,
    and CPU milliseconds per request of the server, the database (PostgreSQL) and this client."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"} if token else {}
    log_from = server.log_path.stat().st_size
    cpu_before = (tree_cpu_seconds(server.process.pid), tree_cpu_seconds(database_pid), time.process_time())
    wall = []
    for _ in range(count):
        started = time.perf_counter()
        try:
            with _OPENER.open(urllib.request.Request(server.base + path, headers=headers), timeout=30) as response:
                response.read()
        except urllib.error.HTTPError as error:  # the audited request's 404
            error.read()
            if error.code != 404:
                raise
        wall.append((time.perf_counter() - started) * 1000)
    cpu_after = (tree_cpu_seconds(server.process.pid), tree_cpu_seconds(database_pid), time.process_time())
    time.sleep(0.3)  # the access log's last lines
    with server.log_path.open("rb") as log:
        log.seek(log_from)
        served = served_ms(log.read().decode(errors="replace"), path)
    web, database, client = ((after - before) * 1000 / count for before, after in zip(cpu_before, cpu_after,
                                                                                         strict=True))
    return {"p50": statistics.median(wall), "p95": percentile(wall, 0.95),
            "served_p50": statistics.median(served) if served else float("nan"), "web_cpu": web,
            "database_cpu": database, "client_cpu": client}


def review_task(server: MashServer, names: dict[str, str]) -> str:
    """A case walked (as bench/task_throughput.py walks it) to the hub manager's review, the step whose answer
    shows the most (the analysis: re-ratings, repeat concerns, links, both agencies' returns): its task's path."""
    client = Client(server.base, server.tokens, retries=0)
    case_id = report_contact(client, "floor", 0)
    walked = STEPS[:[element for element, _user, _data in STEPS].index(REVIEW) + 1]
    for number, (element, user, data) in enumerate(walked):
        shown = next_steps(None, names[element],
                           partial(client.call, "GET case", user, "GET", f"/api/v1/cases/{case_id}"))
        if number == len(walked) - 1:
            return f"/api/v1/tasks/{shown[0]['task_id']}"
        client.call("POST complete", user, "POST", f"/api/v1/tasks/{shown[0]['task_id']}/complete", data)
    raise RuntimeError("the walk has no review")


def measure(label: str, database_url: str, workdir: Path, count: int, database_pid: int | None,
            names: dict[str, str]) -> dict:
    print(f"[{label}: init-db, demo, tokens, serve ...]", file=sys.stderr, flush=True)
    server = MashServer(database_url, workdir, scheduler=False)
    try:
        token = server.tokens["mash-manager"]
        review = review_task(server, names)
        timed_requests(server, NO_TASK, 50, token, database_pid)  # warm: the first requests load code and fill pools
        timed_requests(server, review, 50, token, database_pid)
        before = audit_entries(server)
        figures = {"healthz": timed_requests(server, "/healthz", count, None, database_pid),
                   "audited": timed_requests(server, NO_TASK, count, token, database_pid),
                   "review": timed_requests(server, review, count, token, database_pid)}
        added = audit_entries(server) - before
    finally:
        server.stop()
    if added < 2 * count:
        raise RuntimeError(f"{label}: {2 * count} audited requests added {added} audit entries")
    print(f"\n== {label}, 1 worker, one client, {count} requests each (audit trail intact; +{added} entries)")
    print(f"   {'request':<44}{'p50 ms':>8}{'p95 ms':>8}{'in server':>11}{'web CPU':>9}{'db CPU':>8}"
          f"{'client CPU':>12}")
    for name, row in (("GET /healthz (gunicorn + Flask)", figures["healthz"]),
                      ("GET unknown task (+ token, audited, commit)", figures["audited"]),
                      ("GET the manager's review task (the case)", figures["review"])):
        database = f"{row['database_cpu']:8.2f}" if database_pid is not None else f"{'in web':>8}"
        print(f"   {name:<44}{row['p50']:8.2f}{row['p95']:8.2f}{row['served_p50']:11.2f}{row['web_cpu']:9.2f}"
              f"{database}{row['client_cpu']:12.2f}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000, help="requests of each kind (default 1000)")
    parser.add_argument("--walks", type=int, default=20, help="engine walks per variant (default 20)")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL even if installed")
    args = parser.parse_args()
    print(f"MASH request floor | load average at start: {load_average()}")

    from app.engine import ProcessBundle, compile_bundle

    definition = compile_bundle(ProcessBundle.from_directories(ROOT / "processes", ROOT / "forms"))
    names = step_names(definition)
    engine = {}
    for persist in (False, True):
        best = fastest_walk(definition, persist, args.walks)
        engine[persist] = sum(best) / len(best) * 1000
    print(f"\n== The engine alone on the referral walk (fastest of {args.walks} walks, ms per completion)")
    print(f"   plain {engine[False]:.2f} ms; state restored and saved each step {engine[True]:.2f} ms")

    workdir = Path(tempfile.mkdtemp(prefix="mash-floor-"))
    pg_bin = None if args.no_postgres else postgres_bin()
    postgres = ThrowawayPostgres(pg_bin, durable=True) if pg_bin else None
    floors = {}
    try:
        (workdir / "sqlite").mkdir()
        floors["SQLite"] = measure("SQLite", f"sqlite:///{workdir / 'sqlite' / 'mash.db'}", workdir / "sqlite",
                                   args.requests, None, names)
        if postgres is not None:
            (workdir / "postgresql").mkdir()
            floors["PostgreSQL"] = measure(f"PostgreSQL {postgres.version}", postgres.create_database("mash_floor"),
                                           workdir / "postgresql", args.requests, postmaster_pid(postgres), names)
    finally:
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    print("\n== The floor of one completion (GET task + POST complete + the engine's persisted step), with no case"
          " work at all")
    print(f"   {'backend':<12}{'step ms':>9}{'-> at most /s':>15}{'target /s':>11}{'POST complete ms':>18}"
          f"{'target ms':>11}{'CPU ms':>8}{'-> 2 cores /s':>15}")
    for name, figures in floors.items():
        audited = figures["audited"]
        step = 2 * audited["p50"] + engine[True]
        complete = audited["served_p50"] + engine[True]
        cpu = 2 * (audited["web_cpu"] + audited["database_cpu"] + audited["client_cpu"]) + engine[True]
        target = TARGETS["postgres_completions_per_s" if name == "PostgreSQL" else "completions_per_s"]
        complete_target = f"{TARGETS['complete_p50_ms']:11.1f}" if name == "SQLite" else f"{'-':>11}"
        print(f"   {name:<12}{step:9.2f}{1000 / step:15.1f}{target:11.0f}{complete:18.2f}{complete_target}"
              f"{cpu:8.2f}{2000 / cpu:15.1f}")
    print("   step ms: two audited requests as the client waits for them (p50) and the engine's persisted step;"
          " POST complete ms: one audited request in the server (p50) and the engine's step;\n   CPU ms: the server's,"
          " the database's and the client's CPU for two audited requests, and the engine's step; 2 cores /s: the"
          " most completions two cores could make, every one of them busy.")
    print(f"\n== Opening a task (target: {TARGETS['open_task_ms']:.0f} ms in the server): the manager's review, in the"
          " server (p50)")
    for name, figures in floors.items():
        floor, review = figures["audited"]["served_p50"], figures["review"]["served_p50"]
        print(f"   {name:<12}{review:6.2f} ms: the audited request's floor {floor:.2f} ms and the case's answer"
              f" {review - floor:.2f} ms")
    print(f"\nload average at end: {load_average()}")


if __name__ == "__main__":
    main()
