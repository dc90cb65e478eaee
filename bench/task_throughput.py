"""Task throughput and latency of the JSON API, on SQLite and PostgreSQL, against the engine's in-memory ceiling.

For each backend: a fresh database in a temp dir, `mash init-db` + `mash demo`, tokens from `mash token`, and
`mash serve --workers 1 --threads 8` on a free loopback port. Client threads (standard library only) report N
contacts, then walk every case screening (amber: police + health) -> police check -> health check -> review ->
decision (nfa) -> feedback; each step looks the task up (GET case, GET the actor's inbox) and completes it.
Different cases run concurrently; the steps of one case run in order. Prints figures, never pass/fail.

    .venv/bin/python bench/task_throughput.py [--cases 60] [--clients 8] [--quick] [--no-postgres]
"""
from __future__ import annotations

import argparse
import json
import re
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchlib import ROOT, percentile, use_project_venv  # bench/ is on sys.path when a script runs

use_project_venv()

from tests import factories as f  # noqa: E402  (payload builders shared with the API tests)
from tests.postgres_server import ThrowawayPostgres, free_port, postgres_bin  # noqa: E402

HOST = "127.0.0.1"
USERS = ("mash-manager", "police", "health", "business-support", "referrer")
REQUEST_TYPES = ("POST contacts", "GET tasks", "GET case", "POST complete")
# (element id, acting user, form data): the walk every case takes.
STEPS = (
    ("screening", "mash-manager", f.screening("amber", ["police", "health"])),
    ("police_check", "police", f.agency_return()),
    ("health_check", "health", f.agency_return()),
    ("mash_review", "mash-manager", f.review()),
    ("decision", "mash-manager", f.decision("nfa")),
    ("feedback_to_referrer", "business-support", f.feedback()),
)
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only: never via a proxy


def mash_command() -> list[str]:
    script = Path(sys.executable).parent / "mash"
    return [str(script)] if script.exists() else [shutil.which("mash") or "mash"]


# ----------------------------------------------------------------------------- the app under test
class MashServer:
    """`mash init-db`, `mash demo`, tokens, then `mash serve` on a free port; stopped by stop()."""

    def __init__(self, database_url: str, workdir: Path) -> None:
        instance = workdir / "instance"
        instance.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, "MASH_DATABASE_URL": database_url, "MASH_INSTANCE_PATH": str(instance),
                    "MASH_DEMO_PASSWORD": secrets.token_urlsafe(16)}
        for key in ("MASH_TRAINING", "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
            self.env.pop(key, None)
        self.log_path = workdir / "server.log"
        self.process: subprocess.Popen | None = None
        self._cli("init-db")
        self._cli("demo")
        self.tokens = self._mint(mash_command())
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [*mash_command(), "serve", "--host", HOST, "--port", str(self.port), "--workers", "1", "--threads", "8"],
            cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        try:
            self._wait_until_healthy()
        except BaseException:
            self.stop()
            raise

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + 90
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"mash serve exited ({self.process.returncode}); see {self.log_path}:\n"
                                   + self.log_path.read_text(errors="replace")[-2000:])
            try:
                with _OPENER.open(f"{self.base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"mash serve did not answer /healthz within 90 s; see {self.log_path}")
            time.sleep(0.2)

    def _mint(self, command: list[str]) -> dict[str, str]:
        """A token per user (minted concurrently)."""
        minting = {user: subprocess.Popen([*command, "token", user, "--label", "bench"], cwd=ROOT, env=self.env,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for user in USERS}
        tokens, failure = {}, None
        for user, proc in minting.items():
            out, err = proc.communicate(timeout=120)
            if proc.returncode != 0 or not out.strip():
                failure = (err.strip().splitlines() or [f"exit {proc.returncode}"])[-1][:160]
            else:
                tokens[user] = out.strip().splitlines()[-1]
        if failure:
            raise RuntimeError(f"mash token failed: {failure}")
        return tokens

    def _cli(self, *args: str) -> None:
        result = subprocess.run([*mash_command(), *args], cwd=ROOT, env=self.env, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"mash {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-2000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None:
            self._log.close()


# ----------------------------------------------------------------------------- HTTP client
class RequestFailed(Exception):
    pass


class Client:
    """Timed JSON requests; every non-2xx (or connection failure) is counted per request type."""

    def __init__(self, base: str, tokens: dict[str, str], retries: int) -> None:
        self.base, self.tokens = base, tokens
        self.latency = {kind: [] for kind in REQUEST_TYPES}
        self.errors = {kind: 0 for kind in REQUEST_TYPES}
        self.samples: list[str] = []
        self.statuses: dict[str, int] = {}
        self.failed_walks: list[str] = []
        self.retries = retries
        self._lock = threading.Lock()

    def call(self, kind: str, user: str, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        """One logical request; a 5xx or connection failure is counted, then retried (up to self.retries times)."""
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(1 + self.retries):
            request = urllib.request.Request(self.base + path, data=data, method=method, headers={
                "Authorization": f"Bearer {self.tokens[user]}", "Accept": "application/json", **(headers or {}),
                **({"Content-Type": "application/json"} if data is not None else {})})
            started = time.perf_counter()
            status, payload = None, b""
            try:
                with _OPENER.open(request, timeout=120) as response:
                    status, payload = response.status, response.read()
            except urllib.error.HTTPError as error:
                status, payload = error.code, error.read()
            except OSError as error:
                status, payload = f"connection: {error}", b""
            elapsed_ms = (time.perf_counter() - started) * 1000
            ok = isinstance(status, int) and 200 <= status < 300
            with self._lock:
                self.latency[kind].append(elapsed_ms)
                if not ok:
                    self.errors[kind] += 1
                    self.statuses[str(status)[:60]] = self.statuses.get(str(status)[:60], 0) + 1
                    if len(self.samples) < 1:
                        body_text = "" if payload.lstrip()[:1] == b"<" else f" {payload[:100]!r}"
                        self.samples.append(f"{method} {path} as {user}: {status}{body_text}")
            if ok:
                return json.loads(payload)
            if isinstance(status, int) and status < 500:
                break
            time.sleep(0.05 * (attempt + 1))
        raise RequestFailed(f"{method} {path} as {user}: {status}")


def report_contact(client: Client, run_tag: str, number: int) -> int:
    body = f.contact(given=f"Bench{number:05d}", family=f"Run{run_tag}")
    # An Idempotency-Key makes a retried contact safe (no duplicate case).
    return client.call("POST contacts", "referrer", "POST", "/api/v1/contacts", body,
                       {"Idempotency-Key": f"bench-{run_tag}-{number}"})["case_id"]


def walk_case(client: Client, names: dict[str, str], case_id: int) -> tuple[int, bool]:
    """Returns (tasks completed, case closed)."""
    done = 0
    try:
        for element, user, data in STEPS:
            try:
                case = client.call("GET case", user, "GET", f"/api/v1/cases/{case_id}")
            except RequestFailed:
                case = None  # counted; the case view is a check only, so the walk goes on from the inbox
            if case is not None and not any(t["name"] == names[element] for t in case["open_tasks"]):
                raise RequestFailed(f"case {case_id}: no open '{names[element]}' ({case['open_tasks']})")
            inbox = client.call("GET tasks", user, "GET", "/api/v1/tasks")
            mine = [t for t in inbox if t["case_id"] == case_id and t["name"] == names[element]]
            if len(mine) != 1:
                raise RequestFailed(f"case {case_id}: {len(mine)} '{names[element]}' tasks in {user}'s inbox")
            after = client.call("POST complete", user, "POST", f"/api/v1/tasks/{mine[0]['task_id']}/complete", data)
            done += 1
        return done, after["status"] == "closed"
    except RequestFailed as failure:
        with client._lock:
            client.failed_walks.append(str(failure))
        return done, False


def server_exceptions(log_path: Path) -> dict[str, int]:
    """Exception lines in the server log (the last line of each traceback), counted."""
    found: dict[str, int] = {}
    if log_path.exists():
        for line in log_path.read_text(errors="replace").splitlines():
            if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Timeout)\b.*:", line):
                key = line[:110]
                found[key] = found.get(key, 0) + 1
    return found


def run_backend(label: str, database_url: str, workdir: Path, names: dict[str, str], cases: int, clients: int,
                retries: int) -> dict:
    print(f"[{label}: init-db, demo, tokens, serve ...]", file=sys.stderr, flush=True)
    setup_started = time.perf_counter()
    server = MashServer(database_url, workdir)
    try:
        setup_s = time.perf_counter() - setup_started
        client = Client(server.base, server.tokens, retries)
        run_tag = secrets.token_hex(3)
        with ThreadPoolExecutor(max_workers=clients) as pool:
            started = time.perf_counter()
            futures = [pool.submit(report_contact, client, run_tag, i) for i in range(cases)]
            case_ids = []
            for future in futures:
                try:
                    case_ids.append(future.result())
                except RequestFailed as failure:
                    client.failed_walks.append(str(failure))
            contact_s = time.perf_counter() - started
            started = time.perf_counter()
            results = list(pool.map(lambda cid: walk_case(client, names, cid), case_ids))
            complete_s = time.perf_counter() - started
    finally:
        server.stop()
    completed = sum(done for done, _ in results)
    closed = sum(1 for _, is_closed in results if is_closed)
    print(f"\n== {label}  (setup {setup_s:.1f} s: init-db, demo, tokens, serve)")
    print(f"   contacts          {len(case_ids):5d} in {contact_s:6.2f} s  -> {len(case_ids) / contact_s:7.1f} contacts/s")
    print(f"   task completions  {completed:5d} in {complete_s:6.2f} s  -> {completed / complete_s:7.1f} completions/s"
          f"  (each step = GET case + GET tasks + POST complete)")
    print(f"   cases closed      {closed:5d} / {cases}")
    print(f"   {'request type':<15}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for kind in REQUEST_TYPES:
        values = client.latency[kind]
        if values:
            print(f"   {kind:<15}{len(values):9d}{client.errors[kind]:8d}{statistics.median(values):9.1f}"
                  f"{percentile(values, 0.95):9.1f}{max(values):9.1f}")
        else:
            print(f"   {kind:<15}{0:9d}{client.errors[kind]:8d}{'-':>9}{'-':>9}{'-':>9}")
    total_errors = sum(client.errors.values())
    print(f"   errors: {total_errors} non-2xx/connection failures"
          + (f" by status {client.statuses}; each 5xx retried up to {retries}x, retries counted as requests"
             if total_errors else "") + f"; {len(client.failed_walks)} cases abandoned")
    for failure in client.failed_walks[:3]:
        print(f"     abandoned: {failure}")
    for sample in client.samples:
        print(f"     e.g. {sample}")
    exceptions = sorted(server_exceptions(server.log_path).items(), key=lambda item: -item[1])
    for line, count in exceptions[:1]:
        print(f"     server log: {count} x {line}" + (f"  (+{len(exceptions) - 1} other lines)" if len(exceptions) > 1 else ""))
    return {"label": label, "completions_per_s": completed / complete_s, "errors": total_errors}


# ----------------------------------------------------------------------------- in-memory ceiling
def engine_ceiling(definition, cases: int) -> dict[str, tuple[float, float]]:
    """(starts/s, completions/s) for the referral walk in the engine alone, plain and with serialize+restore."""
    from app.core.clock import now
    from app.core.roles import LANE_ROLES
    from app.engine import CaseWorkflow

    roles = frozenset(LANE_ROLES)
    results = {}
    for variant, persist in (("plain", False), ("serialize+restore each step", True)):
        start_s = complete_s = 0.0
        completed = 0
        for number in range(-2, cases):  # two untimed warm-up cases
            if number == 0:
                start_s = complete_s = 0.0
                completed = 0
            data = {"reference": f"MASH-BENCH-{number:06d}", "received_at": now().isoformat(), "source": "2A",
                    "immediate_risk": False, "has_open_case": False, "outcome": None, "strategy_outcome": None}
            t0 = time.perf_counter()
            workflow, _ = CaseWorkflow.start(definition, data)
            if persist:
                workflow = CaseWorkflow.restore(definition, workflow.serialize())
            t1 = time.perf_counter()
            start_s += t1 - t0
            for element, _user, form in STEPS:
                task = next(t for t in workflow.open_user_tasks() if t.info.bpmn_id == element)
                workflow.complete_task(task.task_id, form, roles)
                if persist:
                    workflow = CaseWorkflow.restore(definition, workflow.serialize())
                completed += 1
            complete_s += time.perf_counter() - t1
            assert workflow.completed and workflow.end_event() == "end_closed", workflow.end_event()
        results[variant] = (cases / start_s, completed / complete_s)
    return results


# ----------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=None, help="cases per backend (default 60; 15 with --quick)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads (default 8)")
    parser.add_argument("--quick", action="store_true", help="a ~30 s run: fewer cases, SQLite only")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL even if installed")
    parser.add_argument("--retries", type=int, default=3, help="retries of a request after a 5xx (each counted as an error)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (databases, server logs) and print it")
    args = parser.parse_args()
    cases = args.cases if args.cases is not None else (15 if args.quick else 60)
    clients = max(1, args.clients)
    overall = time.perf_counter()

    from app.engine import ProcessBundle, compile_bundle
    import sqlite3

    definition = compile_bundle(ProcessBundle.from_directories(ROOT / "processes", ROOT / "forms"))
    names = {element: definition.user_tasks[("referral", element)].name for element, _, _ in STEPS}
    pg_bin = None if (args.quick or args.no_postgres) else postgres_bin()
    pg_note = ("" if pg_bin is not None else "; PostgreSQL skipped (" + (
        "--quick" if args.quick else "--no-postgres" if args.no_postgres else "no /usr/lib/postgresql/*/bin") + ")")
    print(f"MASH task throughput | {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}"
          f" | {cases} cases, {clients} client threads, server 1 worker x 8 threads{pg_note}")
    print("walk: contact -> screening (amber; police+health) -> police_check -> health_check -> mash_review"
          " -> decision (nfa) -> feedback_to_referrer")
    ceiling = engine_ceiling(definition, cases)
    http: list[dict] = []
    workdir = Path(tempfile.mkdtemp(prefix="mash-bench-"))
    try:
        sqlite_dir = workdir / "sqlite"
        sqlite_dir.mkdir()
        http.append(run_backend("SQLite", f"sqlite:///{sqlite_dir / 'mash.db'}", sqlite_dir, names, cases, clients, args.retries))
        if pg_bin is not None:
            postgres = ThrowawayPostgres(pg_bin, durable=True, max_connections=100)
            try:
                pg_dir = workdir / "postgresql"
                pg_dir.mkdir()
                http.append(run_backend(f"PostgreSQL {postgres.version}", postgres.create_database("mash_bench"), pg_dir,
                                        names, cases, clients, args.retries))
            finally:
                postgres.stop()
    finally:
        if args.keep:
            print(f"\nKept {workdir} (server.log per backend).")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    print(f"\n== In-memory ceiling: the same walk in app.engine alone (no database, no HTTP, 1 thread, {cases} cases)")
    print(f"   {'variant':<30}{'starts/s':>10}{'completions/s':>15}{'ms/completion':>15}")
    for variant, (starts, completions) in ceiling.items():
        print(f"   {variant:<30}{starts:10.1f}{completions:15.1f}{1000 / completions:15.2f}")
    print("\n== HTTP / ceiling (task completions per second)")
    plain, persisted = ceiling["plain"][1], ceiling["serialize+restore each step"][1]
    print(f"   {'backend':<30}{'HTTP/s':>8}{'/ plain':>10}{'/ ser+restore':>15}{'errors':>8}")
    for row in http:
        rate = row["completions_per_s"]
        print(f"   {row['label']:<30}{rate:8.1f}{rate / plain:10.3f}{rate / persisted:15.3f}{row['errors']:8d}")
    print(f"\nTotal run time {time.perf_counter() - overall:.0f} s.")


if __name__ == "__main__":
    main()
