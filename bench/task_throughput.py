"""Task throughput and latency of the JSON API, on SQLite and PostgreSQL, against the engine's in-memory ceiling.

For each backend: a fresh database in a temp dir, `mash init-db` + `mash demo`, tokens from `mash token`, and
`mash serve --workers N --threads 8` on a free loopback port: SQLite with 1 worker, PostgreSQL once per `--workers`
count (default 1 and 2; one scheduler acts, the others stand by on its lease). Client threads (standard library
only) report N contacts, then walk every case screening (amber: police + health) -> police check -> health check
-> review -> decision (nfa) -> feedback; each step looks the task up (GET case, GET the actor's inbox) and completes it.
Different cases run concurrently; the steps of one case run in order. The same walk also runs in the engine
alone (SpiffWorkflow in memory: the ceiling), and one table puts every figure of the run side by side with its
ratio to that ceiling. Prints figures and never judges them; exits 1 only if a case did not walk to closure.

    .venv/bin/python bench/task_throughput.py [--cases 60] [--clients 8] [--workers 1,2] [--rounds 1]
                                              [--quick] [--no-postgres]
"""
from __future__ import annotations

import argparse
import json
import os
import re
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
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from benchlib import ROOT, percentile, use_project_venv  # bench/ is on sys.path when a script runs

use_project_venv()

from tests import factories as f  # noqa: E402  (payload builders shared with the API tests)
from tests.postgres_server import ThrowawayPostgres, free_port, postgres_bin  # noqa: E402
from tests.server_processes import REFERRAL_WALK, mash_command, process_stats  # noqa: E402

HOST = "127.0.0.1"
USERS = ("mash-manager", "police", "health", "business-support", "referrer")
REQUEST_TYPES = ("POST contacts", "GET case", "GET task", "POST complete")
# (element id, acting user, form data): the walk every case takes.
STEPS = REFERRAL_WALK
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only: never via a proxy


def step_names(definition: Any = None) -> dict[str, str]:
    """Each step of the walk's element id and its task's name (as answers list open tasks), from ``definition`` or
    the processes folder compiled."""
    if definition is None:
        from app.engine import ProcessBundle, compile_bundle

        definition = compile_bundle(ProcessBundle.from_directories(ROOT / "processes", ROOT / "forms"))
    return {element: definition.user_tasks[("referral", element)].name for element, _, _ in STEPS}


# ----------------------------------------------------------------------------- the app under test
class MashServer:
    """`mash init-db`, `mash demo`, tokens, then `mash serve` on a free port; stopped by stop()."""

    def __init__(self, database_url: str, workdir: Path, *, workers: int = 1, threads: int = 8,
                 scheduler: bool = True) -> None:
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
        self._log = open(self.log_path, "wb")  # noqa: SIM115  (the server's output for its whole life; closed in stop)
        self.process = subprocess.Popen(
            [*mash_command(), "serve", "--host", HOST, "--port", str(self.port), "--workers", str(workers),
             "--threads", str(threads), *([] if scheduler else ["--no-scheduler"])],
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
        self.errors = dict.fromkeys(REQUEST_TYPES, 0)
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


def next_steps(after: dict | None, name: str, read_case: Callable[[], dict]) -> list[dict]:
    """The open steps called ``name``: from the answer to the step before (the case after it), or, when that
    answer does not show the step to its author (another agency's), from the case read again."""
    shown = [t for t in (after or {}).get("open_tasks", []) if t["name"] == name]
    return shown or [t for t in read_case()["open_tasks"] if t["name"] == name]


_TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root_pid: int | None) -> float:
    """CPU seconds (user and system, with those of reaped children) of a process and all its descendants, from
    /proc: the web server (gunicorn, its workers and their evaluator processes) or PostgreSQL (the postmaster and
    its backends)."""
    if root_pid is None:
        return 0.0
    children: dict[int, list[int]] = {}
    spent: dict[int, float] = {}
    for pid, fields in process_stats():
        children.setdefault(int(fields[1]), []).append(pid)
        spent[pid] = sum(int(value) for value in fields[11:15]) / _TICKS
    total, stack = 0.0, [root_pid]
    while stack:
        pid = stack.pop()
        total += spent.get(pid, 0.0)
        stack.extend(children.get(pid, []))
    return total


def postmaster_pid(postgres: ThrowawayPostgres) -> int | None:
    """The PostgreSQL server's process id, from its data directory's postmaster.pid."""
    try:
        return int((postgres.dir / "data" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def walk_case(client: Client, names: dict[str, str], case_id: int) -> tuple[int, bool]:
    """Each step as SpiffArena's own bench walks a process: open the task (GET /api/v1/tasks/{id}), then complete
    it; the task's id as ``next_steps`` finds it. Returns (tasks completed, case closed)."""
    done = 0
    after: dict | None = None
    try:
        for element, user, data in STEPS:
            shown = next_steps(after, names[element], partial(client.call, "GET case", user, "GET",
                                                              f"/api/v1/cases/{case_id}"))
            if len(shown) != 1:
                raise RequestFailed(f"case {case_id}: {len(shown)} open '{names[element]}' steps")
            task = client.call("GET task", user, "GET", f"/api/v1/tasks/{shown[0]['task_id']}")
            after = client.call("POST complete", user, "POST", f"/api/v1/tasks/{task['task_id']}/complete", data)
            done += 1
        return done, after is not None and after["status"] == "closed"
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


def requests_per_worker(log_path: Path) -> dict[str, int]:
    """Requests answered per worker pid, from the access log (`<pid> host "METHOD /path" status ...`)."""
    found: dict[str, int] = {}
    if log_path.exists():
        for line in log_path.read_text(errors="replace").splitlines():
            match = re.match(r"^<(\d+)> \S+ \"[A-Z]+ ", line)
            if match:
                found[match.group(1)] = found.get(match.group(1), 0) + 1
    return found


#: The request kinds timed in the server, by the access log's method and path.
_SERVED_KINDS = (("GET task", re.compile(r"GET /api/v1/tasks/[^/ ]+$")),
                 ("POST complete", re.compile(r"POST /api/v1/tasks/[^/ ]+/complete$")),
                 ("GET case", re.compile(r"GET /api/v1/cases/\d+$")))


def access_log_times(log_text: str) -> Iterator[tuple[str, float]]:
    """Each request in the server's access log (`<pid> host "METHOD /path" status bytes NNNus`) as "METHOD /path"
    and the milliseconds it took inside the server (gunicorn's request time)."""
    for match in re.finditer(r'^<\d+> \S+ "([A-Z]+ [^"]*)" \d+ \S+ (\d+)us$', log_text, re.MULTILINE):
        yield match.group(1), int(match.group(2)) / 1000


def served_ms(log_text: str) -> dict[str, list[float]]:
    """Milliseconds each request took inside the server, by request kind: the issue's "server-side" latency, without
    the client's connection and its own parsing."""
    found: dict[str, list[float]] = {kind: [] for kind, _ in _SERVED_KINDS}
    for request, ms in access_log_times(log_text):
        for kind, pattern in _SERVED_KINDS:
            if pattern.fullmatch(request):
                found[kind].append(ms)
    return found


def run_backend(label: str, database_url: str, workdir: Path, names: dict[str, str], cases: int,
                clients: list[int], retries: int, *, workers: int = 1, database_pid: int | None = None) -> list[dict]:
    """One server (fresh database); one run per client count on it, each with its own contacts.
    ``database_pid``: the PostgreSQL server, whose CPU is counted apart (SQLite's is the web process's)."""
    print(f"[{label}, {workers} worker(s): init-db, demo, tokens, serve ...]", file=sys.stderr, flush=True)
    setup_started = time.perf_counter()
    server = MashServer(database_url, workdir, workers=workers)
    rows = []
    try:
        setup_s = time.perf_counter() - setup_started
        rows.extend(_one_run(server, label, names, cases, count, retries, workers, setup_s, database_pid)
                    for count in clients)
    finally:
        server.stop()
    return rows


def _one_run(server: MashServer, label: str, names: dict[str, str], cases: int, clients: int, retries: int,
             workers: int, setup_s: float, database_pid: int | None = None) -> dict:
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
        cpu_before = (tree_cpu_seconds(server.process.pid), tree_cpu_seconds(database_pid), time.process_time())
        log_from = server.log_path.stat().st_size
        started = time.perf_counter()
        results = list(pool.map(lambda cid: walk_case(client, names, cid), case_ids))
        complete_s = time.perf_counter() - started
        cpu_after = (tree_cpu_seconds(server.process.pid), tree_cpu_seconds(database_pid), time.process_time())
    with server.log_path.open("rb") as log:
        log.seek(log_from)
        served = served_ms(log.read().decode(errors="replace"))
    completed = sum(done for done, _ in results)
    web_ms, database_ms, client_ms = ((after - before) * 1000 / max(completed, 1)
                                      for before, after in zip(cpu_before, cpu_after, strict=True))
    closed = sum(1 for _, is_closed in results if is_closed)
    print(f"\n== {label}, {workers} worker(s) x 8 threads, {clients} client(s)  (setup {setup_s:.1f} s: init-db, demo, "
          "tokens, serve)")
    print(f"   contacts          {len(case_ids):5d} in {contact_s:6.2f} s  "
          f"-> {len(case_ids) / contact_s:7.1f} contacts/s")
    print(f"   task completions  {completed:5d} in {complete_s:6.2f} s  -> {completed / complete_s:7.1f} completions/s"
          f"  (each step = GET task + POST complete)")
    print(f"   cases closed      {closed:5d} / {cases}")
    print(f"   {'request type':<15}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for kind in REQUEST_TYPES:
        values = client.latency[kind]
        if values:
            print(f"   {kind:<15}{len(values):9d}{client.errors[kind]:8d}{statistics.median(values):9.1f}"
                  f"{percentile(values, 0.95):9.1f}{max(values):9.1f}")
        else:
            print(f"   {kind:<15}{0:9d}{client.errors[kind]:8d}{'-':>9}{'-':>9}{'-':>9}")
    print("   in the server (access log, the walk's requests): "
          + "; ".join(f"{kind} p50 {statistics.median(values):.1f} / p95 {percentile(values, 0.95):.1f} ms"
                      for kind, values in served.items() if values))
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
        others = f"  (+{len(exceptions) - 1} other lines)" if len(exceptions) > 1 else ""
        print(f"     server log: {count} x {line}{others}")
    split = requests_per_worker(server.log_path)
    if workers > 1:
        print("   requests answered per worker pid: "
              + ", ".join(f"{pid}: {count}" for pid, count in sorted(split.items(), key=lambda item: -item[1])))
    in_web = " (SQLite: in the web process)" if database_pid is None else ""
    print(f"   CPU per completion (GET case + GET task + POST complete): web {web_ms:.1f} ms, database "
          f"{database_ms:.1f} ms{in_web}, client {client_ms:.1f} ms")
    complete = client.latency["POST complete"]
    return {"label": f"{label}, {clients} client(s)", "workers": workers, "web_ms": web_ms,
            "database_ms": database_ms if database_pid is not None else None, "client_ms": client_ms,
            "completions_per_s": completed / complete_s, "errors": total_errors,
            "p50": statistics.median(complete) if complete else None,
            "p95": percentile(complete, 0.95) if complete else None, "pids": len(split),
            "served_p50": statistics.median(served["POST complete"]) if served["POST complete"] else None,
            "served_p95": percentile(served["POST complete"], 0.95) if served["POST complete"] else None,
            "served_task_p50": statistics.median(served["GET task"]) if served["GET task"] else None,
            "closed": closed, "cases": cases}


# ----------------------------------------------------------------------------- statements per request
@contextmanager
def in_process_hub(workdir: Path, database_url: str | None = None) -> Iterator[tuple[Any, Callable[..., Any]]]:
    """A fresh hub in-process (`mash init-db`, `mash demo`, tokens from `mash token`) on SQLite, or on the empty
    database ``database_url``: yields the app and ``request(user, method, path, body)`` through Flask's test client,
    for counting and profiling without HTTP."""
    server_dir = workdir / "in-process"
    server_dir.mkdir()
    instance = server_dir / "instance"
    instance.mkdir()
    env = {"MASH_DATABASE_URL": database_url or f"sqlite:///{server_dir / 'mash.db'}",
           "MASH_INSTANCE_PATH": str(instance),
           "MASH_DEMO_PASSWORD": secrets.token_urlsafe(16)}
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        for command in (["init-db"], ["demo"]):
            subprocess.run([*mash_command(), *command], cwd=ROOT, env=os.environ, check=True, capture_output=True)
        tokens = {user: subprocess.run([*mash_command(), "token", user, "--label", "count"], cwd=ROOT,
                                       env=os.environ, check=True, capture_output=True, text=True
                                       ).stdout.strip().splitlines()[-1] for user in USERS}
        from app import create_app
        from app.core.db import get_db

        app = create_app()
        client = app.test_client()

        def request(user: str, method: str, path: str, body: dict | None = None) -> Any:
            return client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {tokens[user]}"})

        yield app, request
        get_db().dispose()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def walk_in_process(request: Callable[..., Any], names: dict[str, str], cases: int,
                    call: Callable[[str, str, str, str, dict | None], dict]) -> None:
    """Report ``cases`` contacts and walk each through STEPS (GET case to find the task, GET task, POST complete),
    every request made through ``call(kind, user, method, path, body)``."""
    for number in range(cases):
        case_id = call("POST contacts", "referrer", "POST", "/api/v1/contacts",
                       f.contact(given=f"Count{number:03d}", family="Statements"))["case_id"]
        after: dict | None = None
        for element, user, data in STEPS:
            shown = next_steps(after, names[element], partial(call, "GET case", user, "GET",
                                                              f"/api/v1/cases/{case_id}", None))
            call("GET task", user, "GET", f"/api/v1/tasks/{shown[0]['task_id']}", None)
            after = call("POST complete", user, "POST", f"/api/v1/tasks/{shown[0]['task_id']}/complete", data)


def statements_per_request(workdir: Path, names: dict[str, str], cases: int = 5) -> dict[str, dict[str, float]]:
    """The same walk in-process, every statement and commit the app sends counted by SQLAlchemy event listeners,
    per request type: mean and max statements, commits, statements sent before the request took SQLite's write lock
    (BEGIN IMMEDIATE), and the median wall-clock milliseconds of a request through Flask's test client (no HTTP: the
    instrument for changes smaller than the HTTP runs' noise)."""
    from sqlalchemy import event

    with in_process_hub(workdir) as (_app, request):
        from app.core.db import get_db

        sent: list[str] = []
        commits: list[int] = []
        engine = get_db().engine
        event.listen(engine, "before_cursor_execute", lambda _c, _cu, statement, *_: sent.append(statement))
        event.listen(engine, "commit", lambda _c: commits.append(1))
        figures: dict[str, list[tuple[int, int, int, float]]] = {kind: [] for kind in REQUEST_TYPES}

        def call(kind: str, user: str, method: str, path: str, body: dict | None = None) -> dict:
            sent.clear()
            commits.clear()
            started = time.perf_counter()
            response = request(user, method, path, body)
            took_ms = (time.perf_counter() - started) * 1000
            if response.status_code >= 300:
                raise RuntimeError(f"{method} {path}: {response.status_code}")
            before_lock = next((n for n, text in enumerate(sent) if text.startswith("BEGIN IMMEDIATE")), len(sent))
            figures[kind].append((len(sent), len(commits), before_lock, took_ms))
            return response.get_json()

        walk_in_process(request, names, cases, call)  # the first case compiles the diagram: the median leaves it
    return {kind: {"requests": len(rows), "statements": statistics.mean(r[0] for r in rows),
                   "max": max(r[0] for r in rows), "commits": statistics.mean(r[1] for r in rows),
                   "before_lock": statistics.mean(r[2] for r in rows), "ms": statistics.median(r[3] for r in rows)}
            for kind, rows in figures.items() if rows}


def raw_engine_ceiling() -> str:
    """SpiffWorkflow's own figures on this machine (../shared/bench/raw_engine_bench.py), when it is there."""
    script = ROOT.parent / "shared" / "bench" / "raw_engine_bench.py"
    if not script.exists():
        return "   (../shared/bench/raw_engine_bench.py not found)"
    result = subprocess.run([sys.executable, str(script)], cwd=script.parent, capture_output=True, text=True,
                            timeout=900)
    lines = [line for line in result.stdout.splitlines() if "runs/s" in line or "per-request" in line]
    return "\n".join(f"   {line}" for line in lines) or f"   (no figures: exit {result.returncode})"


# ----------------------------------------------------------------------------- in-memory ceiling
def engine_case_data(reference: str) -> dict[str, Any]:
    """A contact's case data as the referral's start needs it, for the engine alone."""
    from app.core.clock import now

    return {"reference": reference, "received_at": now().isoformat(), "source": "2A", "immediate_risk": False,
            "has_open_case": False, "open_enquiry": None, "outcome": None, "strategy_outcome": None,
            "referral_date": None}


def engine_step(definition: Any, workflow: Any, element: str, form: dict, roles: frozenset[str], *,
                persist: bool) -> Any:
    """Complete ``element``'s open task in the engine alone; with ``persist``, the case's state saved and restored
    after it, as every request of the hub does. Returns the workflow to go on with."""
    from app.engine import CaseWorkflow

    task = next(t for t in workflow.open_user_tasks() if t.info.bpmn_id == element)
    workflow.complete_task(task.task_id, form, roles)
    return CaseWorkflow.restore(definition, workflow.serialize()) if persist else workflow


def engine_ceiling(definition, cases: int) -> dict[str, dict]:
    """The referral walk in the engine alone (SpiffWorkflow in memory, one thread), plain and with
    serialize+restore after every step: starts/s, completions/s and p50/p95 ms of one completion."""
    from app.core.roles import LANE_ROLES
    from app.engine import CaseWorkflow

    roles = frozenset(LANE_ROLES)
    results = {}
    for variant, persist in (("plain", False), ("serialize+restore each step", True)):
        start_s = 0.0
        steps: list[float] = []
        for number in range(-2, cases):  # two untimed warm-up cases
            if number == 0:
                start_s, steps = 0.0, []
            t0 = time.perf_counter()
            workflow, _ = CaseWorkflow.start(definition, engine_case_data(f"MASH-BENCH-{number:06d}"))
            if persist:
                workflow = CaseWorkflow.restore(definition, workflow.serialize())
            start_s += time.perf_counter() - t0
            for element, _user, form in STEPS:
                t1 = time.perf_counter()
                workflow = engine_step(definition, workflow, element, form, roles, persist=persist)
                steps.append(time.perf_counter() - t1)
            if not (workflow.completed and workflow.end_event() == "end_closed"):
                raise RuntimeError(f"the walk did not close the case: it ended at {workflow.end_event()}")
        results[variant] = {"starts_per_s": cases / start_s, "completions_per_s": len(steps) / sum(steps),
                            "p50": statistics.median(steps) * 1000, "p95": percentile(steps, 0.95) * 1000}
    return results


def worker_counts(text: str) -> list[int]:
    try:
        counts = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected worker counts like 1,2 (got {text!r})") from None
    if not counts or counts[0] < 1:
        raise argparse.ArgumentTypeError("worker counts are whole numbers from 1")
    return counts


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def print_side_by_side(http: list[dict], ceiling: dict[str, dict], cases: int) -> None:
    """Every figure of this run in one table, each HTTP row as a fraction of the in-memory ceiling."""
    plain = ceiling["plain"]["completions_per_s"]
    persisted = ceiling["serialize+restore each step"]["completions_per_s"]
    print(f"\n== Side by side, one run: task completions per second ({cases} cases per row)")
    print(f"   {'':<44}{'workers':>8}{'completions/s':>15}{'complete p50/p95 ms':>21}{'in server':>13}"
          f"{'GET task':>10}{'/ plain':>9}{'/ ser+rest':>11}{'errors':>8}")
    print(f"   {'':<44}{'':>8}{'':>15}{'(client)':>21}{'p50/p95 ms':>13}{'p50 ms':>10}")
    for row in http:
        latency = f"{row['p50']:.0f} / {row['p95']:.0f}" if row["p50"] is not None else "-"
        served = f"{row['served_p50']:.1f} / {row['served_p95']:.0f}" if row["served_p50"] is not None else "-"
        task = f"{row['served_task_p50']:.1f}" if row["served_task_p50"] is not None else "-"
        rate = row["completions_per_s"]
        print(f"   {'HTTP, ' + row['label']:<44}{row['workers']:>8}{rate:15.1f}{latency:>21}{served:>13}{task:>10}"
              f"{rate / plain:9.3f}{rate / persisted:11.3f}{row['errors']:8d}")
    for variant, label in (("plain", "SpiffWorkflow in memory (ceiling)"),
                           ("serialize+restore each step", "SpiffWorkflow in memory, serialize+restore")):
        figures = ceiling[variant]
        rate = figures["completions_per_s"]
        latency = f"{figures['p50']:.1f} / {figures['p95']:.1f}"
        print(f"   {label:<44}{'-':>8}{rate:15.1f}{latency:>21}{'-':>13}{'-':>10}{rate / plain:9.3f}"
              f"{rate / persisted:11.3f}{'-':>8}")
    by_workers: dict[int, list[float]] = {}
    for row in http:
        if row["label"].startswith("PostgreSQL"):
            by_workers.setdefault(row["workers"], []).append(row["completions_per_s"])
    print("\n== Scaling out: CPU milliseconds per task completion (each = GET case + GET task + POST complete),"
          " from /proc")
    print(f"   {'':<44}{'web':>8}{'database':>10}{'client':>8}{'per web core':>14}{'database core':>15}")
    for row in http:
        database = row["database_ms"]
        web_core = 1000 / row["web_ms"] if row["web_ms"] else float("nan")
        db_text = f"{database:10.1f}" if database is not None else f"{'in web':>10}"
        db_core = f"{1000 / database:15.0f}" if database else f"{'-':>15}"
        print(f"   {'HTTP, ' + row['label']:<44}{row['web_ms']:8.1f}{db_text}{row['client_ms']:8.1f}{web_core:14.0f}"
              f"{db_core}")
    print("   per web core: completions/s one worker process serves with a core of its own, so each added worker on"
          " its own core adds about that many;\n   database core: completions/s at which one PostgreSQL core is"
          " busy (the ceiling of adding workers while the database has one core).")
    if 1 in by_workers and len(by_workers) > 1:
        one = statistics.median(by_workers[1])
        print("   PostgreSQL, N workers / 1 worker (median of each configuration's runs): " + ", ".join(
            f"{n}: {statistics.median(rates) / one:.2f}x" for n, rates in sorted(by_workers.items()) if n != 1))


# ----------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=None, help="cases per server run (default 60; 15 with --quick)")
    parser.add_argument("--clients", type=worker_counts, default=[1, 8],
                        help="concurrent client threads, one run each on the same server (default 1,8)")
    parser.add_argument("--workers", type=worker_counts, default=[1, 2],
                        help="`mash serve` worker processes on PostgreSQL, one run each (default 1,2)")
    parser.add_argument("--sqlite-workers", type=worker_counts, default=[1],
                        help="worker processes on SQLite, one run each (default 1: its writers queue on one lock)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run every server configuration this many times, alternating (default 1)")
    parser.add_argument("--quick", action="store_true", help="a ~30 s run: fewer cases, SQLite only")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL even if installed")
    parser.add_argument("--retries", type=int, default=3,
                        help="retries of a request after a 5xx (each counted as an error)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (databases, server logs) and print it")
    args = parser.parse_args()
    cases = args.cases if args.cases is not None else (15 if args.quick else 60)
    clients = args.clients
    overall = time.perf_counter()

    import sqlite3

    from app.engine import ProcessBundle, compile_bundle

    definition = compile_bundle(ProcessBundle.from_directories(ROOT / "processes", ROOT / "forms"))
    names = step_names(definition)
    pg_bin = None if (args.quick or args.no_postgres) else postgres_bin()
    pg_note = ("" if pg_bin is not None else "; PostgreSQL skipped (" + (
        "--quick" if args.quick else "--no-postgres" if args.no_postgres else "no /usr/lib/postgresql/*/bin") + ")")
    workers_note = f"SQLite {','.join(map(str, args.sqlite_workers))}" + (
        f", PostgreSQL {','.join(map(str, args.workers))}" if pg_bin is not None else "")
    print(f"MASH task throughput | {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"SQLite {sqlite3.sqlite_version} | {cases} cases per run, client threads {','.join(map(str, clients))}, "
          f"server workers x 8 threads: {workers_note}{pg_note}")
    print("walk: contact -> screening (amber; police+health) -> police_check -> health_check -> mash_review"
          " -> decision (nfa) -> feedback_to_referrer")
    print(f"load average at start: {load_average()}")
    ceiling = engine_ceiling(definition, cases)
    raw = None if args.quick else raw_engine_ceiling()
    http: list[dict] = []
    postgres = ThrowawayPostgres(pg_bin, durable=True, max_connections=100 * max(args.workers)) if pg_bin else None
    workdir = Path(tempfile.mkdtemp(prefix="mash-bench-"))
    counted = statements_per_request(workdir, names)
    try:
        # Rounds alternate the configurations, so a burst of load from elsewhere on the machine does not land
        # on one of them only. Every run has a fresh database (PostgreSQL: on the same server).
        for round_no in range(1, args.rounds + 1):
            tag = f" #{round_no}" if args.rounds > 1 else ""
            for workers in args.sqlite_workers:
                run_dir = workdir / f"sqlite-{workers}w-{round_no}"
                run_dir.mkdir()
                http.extend(run_backend(f"SQLite{tag}", f"sqlite:///{run_dir / 'mash.db'}", run_dir, names, cases,
                                        clients, args.retries, workers=workers))
            for workers in args.workers if postgres is not None else ():
                run_dir = workdir / f"postgresql-{workers}w-{round_no}"
                run_dir.mkdir()
                http.extend(run_backend(f"PostgreSQL {postgres.version}{tag}",
                                        postgres.create_database(f"mash_bench_{workers}w_{round_no}"), run_dir, names,
                                        cases, clients, args.retries, workers=workers,
                                        database_pid=postmaster_pid(postgres)))
    finally:
        if postgres is not None:
            postgres.stop()
        if args.keep:
            print(f"\nKept {workdir} (server.log per run).")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    print(f"\n== In-memory ceiling: the same walk in app.engine alone (SpiffWorkflow, no database, no HTTP, 1 thread,"
          f" {cases} cases)")
    print(f"   {'variant':<30}{'starts/s':>10}{'completions/s':>15}{'ms/completion':>15}")
    for variant, figures in ceiling.items():
        print(f"   {variant:<30}{figures['starts_per_s']:10.1f}{figures['completions_per_s']:15.1f}"
              f"{1000 / figures['completions_per_s']:15.2f}")
    print_side_by_side(http, ceiling, cases)
    if counted:
        print("\n== Statements and commits per request (in-process, SQLite, counted by SQLAlchemy event listeners)")
        print(f"   {'request type':<15}{'requests':>9}{'statements':>12}{'max':>6}{'commits':>9}"
              f"{'before write lock':>19}{'ms in-process (p50)':>21}")
        for kind, row in counted.items():
            print(f"   {kind:<15}{row['requests']:9d}{row['statements']:12.1f}{row['max']:6d}{row['commits']:9.2f}"
                  f"{row['before_lock']:19.1f}{row['ms']:21.2f}")
    if raw is not None:
        print("\n== SpiffWorkflow alone, ../shared/bench/raw_engine_bench.py (its own diagram; the engine's ceiling)")
        print(raw)
    print(f"\nload average at end: {load_average()}   total run time {time.perf_counter() - overall:.0f} s.")
    if any(row["closed"] != row["cases"] for row in http):
        sys.exit(1)  # correctness: a case did not walk to closure (see "abandoned" above)


if __name__ == "__main__":
    main()
