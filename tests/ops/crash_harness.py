"""Crash safety: run the real server, kill it with SIGKILL in the middle of work, restart it on the same
database, and check that nothing the client was told happened was lost and nothing was done twice.

Shared by the reduced run in the suite (tests/ops/test_crash_safety.py) and the full run
(bench/crash_safety.py). The pieces:

- ``HubServer``: `mash serve` in a process group of its own, so one SIGKILL takes the gunicorn master and its
  workers at the same instant (a power cut, an OOM kill of the container), then started again.
- ``CrashRun``: client threads report contacts and walk each case to closure through the JSON API while the
  main thread kills the server at seeded random points. A request that gets no answer may or may not have
  happened: the client waits for the restart, re-reads, and carries on; a retried completion that had
  happened must get a 409.
- ``check_hub``: reads the database directly (and each case's workflow through app.engine) and returns every
  broken invariant in plain words.
"""
from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from app.core.config import PROJECT_ROOT
from tests import factories as f
from tests.postgres_server import free_port
from tests.server_processes import REFERRAL_WALK, mash_command, process_group_members

HOST = "127.0.0.1"
USERS = ("mash-manager", "police", "health", "business-support", "referrer")
#: (element id, acting user, form data): the walk every case takes, as in bench/task_throughput.py.
STEPS = REFERRAL_WALK
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only: never via a proxy


# ----------------------------------------------------------------------------- the server under test
class HubServer:
    """`mash serve` (1 worker x ``threads``) on a free loopback port, started, killed and restarted at will."""

    def __init__(self, database_url: str, workdir: Path, *, threads: int = 8) -> None:
        instance = workdir / "instance"
        instance.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, "MASH_DATABASE_URL": database_url, "MASH_INSTANCE_PATH": str(instance)}
        for key in ("MASH_TRAINING", "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
            self.env.pop(key, None)
        self.threads = threads
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.log_path = workdir / "server.log"
        self.process: subprocess.Popen | None = None

    def cli(self, *args: str) -> str:
        """Run another `mash` command against the same database (init-db, demo, audit verify)."""
        result = subprocess.run([*mash_command(), *args], cwd=PROJECT_ROOT, env=self.env, capture_output=True,
                                text=True)
        if result.returncode != 0:
            raise RuntimeError(f"mash {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
        return result.stdout

    def start(self) -> float:
        """Start and wait for /healthz; returns the seconds it took."""
        started = time.perf_counter()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [*mash_command(), "serve", "--host", HOST, "--port", str(self.port), "--workers", "1",
                 "--threads", str(self.threads)],
                cwd=PROJECT_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"mash serve exited ({self.process.returncode}):\n"
                                   + self.log_path.read_text(errors="replace")[-2000:])
            try:
                with _OPENER.open(f"{self.base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"mash serve did not answer /healthz within 90 s; see {self.log_path}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL to the whole process group (master and workers at once), then wait until none is left."""
        if self.process is None:
            return
        group = self.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        self.process.wait()
        self.process = None
        _wait_until_group_gone(group)

    def errors_logged(self, limit: int = 3) -> str:
        """The last few tracebacks the server wrote, to say why it answered 500 (empty when there were none)."""
        if not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace")
        found = text.split("\nTraceback (")[1:]  # the app's scrubbed form and Python's own
        return "".join(f"\n--- server traceback ---\nTraceback ({t[:3000]}" for t in found[-limit:])

    def stop(self) -> None:
        """The ordinary shutdown (SIGTERM), at the end of a run; SIGKILL if it does not stop in 20 s."""
        if self.process is None:
            return
        group = self.process.pid
        try:
            os.killpg(group, signal.SIGTERM)
            self.process.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            self.process.wait()
        self.process = None
        _wait_until_group_gone(group)


def _wait_until_group_gone(group: int, timeout: float = 15.0) -> None:
    """The workers are the master's children: they die with it, but are reaped by init, so look in /proc."""
    deadline = time.monotonic() + timeout
    while process_group_members(group):
        if time.monotonic() > deadline:
            raise RuntimeError(f"processes of group {group} still alive after SIGKILL: {process_group_members(group)}")
        time.sleep(0.02)


def mint_tokens(database_url: str, users: tuple[str, ...] = USERS) -> dict[str, str]:
    """A bearer token per demo user, minted in-process (the users must exist)."""
    from app.auth.operations import mint_token, user_by_username
    from app.core.db import init_db

    with init_db(database_url).unit_of_work() as session:
        return {user: mint_token(session, user_by_username(session, user), "crash-harness") for user in users}


def task_names() -> dict[str, str]:
    """The inbox name of each step of the walk, read from the diagram (the API lists tasks by name)."""
    from app.engine import ProcessBundle, compile_bundle

    definition = compile_bundle(ProcessBundle.from_directories(PROJECT_ROOT / "processes", PROJECT_ROOT / "forms"))
    return {element: definition.user_tasks[("referral", element)].name for element, _, _ in STEPS}


# ----------------------------------------------------------------------------- the invariants
@dataclass
class Told:
    """What the server acknowledged (2xx) to the client: all of it must survive every crash."""

    contacts: dict[str, tuple[int, str]] = field(default_factory=dict)  # Idempotency-Key -> (case id, reference)
    completions: dict[str, int] = field(default_factory=dict)  # task id -> case id


def check_hub(database_url: str, told: Told | None = None) -> list[str]:
    """Every broken invariant, in plain words (empty when the hub is consistent). One read-only snapshot."""
    from sqlalchemy import select

    from app.audit.chain import verify
    from app.audit.models import AuditEvent
    from app.cases.models import Case, CompletedTask, Subject
    from app.core.db import init_db
    from app.deadlines.models import Deadline
    from app.engine import CaseWorkflow
    from app.inbox.models import OpenTask
    from app.intake.models import Contact
    from app.process_models.registry import compiled_by_id

    told = told or Told()
    problems: list[str] = []
    with init_db(database_url).unit_of_work(write=False) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})  # one snapshot

        def by_case(rows) -> dict[int, list]:
            grouped: dict[int, list] = {}
            for row in rows:
                grouped.setdefault(row.case_id, []).append(row)
            return grouped

        cases = {case.id: case for case in session.scalars(select(Case))}
        contacts = by_case(session.scalars(select(Contact)))
        subjects = by_case(session.scalars(select(Subject)))
        open_rows = by_case(session.scalars(select(OpenTask)))
        completed = by_case(session.scalars(select(CompletedTask)))
        deadlines = by_case(session.scalars(select(Deadline)))
        audited: dict[str, list[AuditEvent]] = {}
        for event in session.scalars(select(AuditEvent).where(AuditEvent.action == "task.completed")):
            audited.setdefault(event.task_id, []).append(event)

        for table, rows in (("contact", contacts), ("subject", subjects), ("open task", open_rows),
                            ("completed task", completed), ("deadline", deadlines)):
            problems.extend(f"{len(rows[case_id])} {table} row(s) point at case {case_id}, which does not exist"
                            for case_id in sorted(set(rows) - set(cases)))
        done_ids = {row.task_id for rows in completed.values() for row in rows}
        for task_id, events in sorted(audited.items()):
            if task_id not in done_ids:
                problems.append(f"the audit trail says task {task_id} (case {events[0].case_id}) was completed, "
                                "but the case has no record of it")
            if len(events) > 1:
                problems.append(f"task {task_id} (case {events[0].case_id}) is in the audit trail as completed "
                                f"{len(events)} times")

        def workflow_of(case: Case) -> CaseWorkflow:
            return CaseWorkflow.restore(compiled_by_id(session, case.process_version_id), case.state)

        for case_id, case in sorted(cases.items()):
            problems += _check_case(case, contacts.get(case_id, []), subjects.get(case_id, []),
                                    open_rows.get(case_id, []), completed.get(case_id, []),
                                    deadlines.get(case_id, []), audited, workflow_of)

        keys = {row.idempotency_key: row for rows in contacts.values() for row in rows if row.idempotency_key}
        for key, (case_id, reference) in sorted(told.contacts.items()):
            row = keys.get(key)
            if row is None:
                problems.append(f"contact {reference} (case {case_id}) was accepted (201) but is not in the database")
            elif row.case_id != case_id or cases[row.case_id].reference != reference:
                problems.append(f"contact {reference} was accepted as case {case_id} but is stored as case "
                                f"{row.case_id} ({cases[row.case_id].reference})")
        done_case = {row.task_id: row.case_id for rows in completed.values() for row in rows}
        for task_id, case_id in sorted(told.completions.items()):
            if done_case.get(task_id) != case_id:
                problems.append(f"task {task_id} of case {case_id} was acknowledged as completed (2xx) but the "
                                "case has no record of it")

        chain = verify(session)
        if not chain.ok:
            problems.append(f"the audit hash chain does not verify: {chain.first_break}")
    return problems


def _check_case(case, contacts, subjects, open_rows, completed, deadlines, audited, workflow_of) -> list[str]:
    """One case's invariants: a whole contact, a workflow, inbox rows that are the engine's ready tasks,
    completions recorded once in the case and once in the audit trail, nothing open on a closed case."""
    name = f"case {case.id} ({case.reference})"
    problems = []
    if len(contacts) != 1:
        problems.append(f"{name} has {len(contacts)} contact rows (one expected)")
    if not subjects and case.anonymised_at is None:
        problems.append(f"{name} has no subjects")
    if not case.state:
        if case.anonymised_at is None:
            problems.append(f"{name} has no workflow state")
        return problems
    try:
        workflow = workflow_of(case)
    except Exception as error:  # noqa: BLE001  (any failure to load the state is the finding)
        return [*problems, f"{name}: its workflow state does not load ({type(error).__name__}: {error})"]
    ready = {task.task_id for task in workflow.open_user_tasks()}
    rows = {row.task_id for row in open_rows}
    if ready - rows:
        problems.append(f"{name}: the engine has ready task(s) {sorted(ready - rows)} with no open-task row")
    if rows - ready:
        problems.append(f"{name}: open-task row(s) {sorted(rows - ready)} are not ready in the engine")
    if workflow.completed != (case.status == "closed"):
        problems.append(f"{name} is '{case.status}' but its workflow is {'' if workflow.completed else 'not '}finished")
    if case.status == "closed":
        pending = [d.name for d in deadlines if d.met_at is None and d.cancelled_at is None and d.breached_at is None]
        if pending:
            problems.append(f"{name} is closed but has running deadline(s): {', '.join(sorted(pending))}")
        if case.next_timer_due is not None:
            problems.append(f"{name} is closed but has a timer due at {case.next_timer_due.isoformat()}")
    for row in completed:
        state = workflow.task_state(row.task_id)
        if state != "completed":
            problems.append(f"{name}: task {row.task_id} ({row.name}) is recorded as completed but the engine "
                            f"has it {state or 'missing'}")
        events = audited.get(row.task_id, [])
        if not events:
            problems.append(f"{name}: task {row.task_id} ({row.name}) was completed with no audit event")
        elif any(event.case_id != case.id for event in events):
            problems.append(f"{name}: the audit event for task {row.task_id} names another case")
    return problems


# ----------------------------------------------------------------------------- the client
@dataclass
class Answer:
    """A response, or none at all (``status`` None: refused, reset or timed out, so it may have happened)."""

    status: int | None
    body: object = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def message(self) -> str:
        if isinstance(self.body, dict) and self.body.get("errors"):
            return "; ".join(str(e.get("message")) for e in self.body["errors"])
        return self.error or str(self.body)[:200]


def _decoded(payload: bytes) -> object:
    try:
        return json.loads(payload or b"null")
    except ValueError:  # an error page from the server itself
        return payload[:200].decode(errors="replace")


class Gate:
    """Holds new requests back while the server is killed, restarted and checked, so the check reads a
    quiet database; tells a client whose request got no answer when the server is back."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._open = True
        self.restarts = 0
        self._in_flight: Counter[str] = Counter()

    def enter(self, kind: str) -> int:
        with self._changed:
            while not self._open:
                self._changed.wait()
            self._in_flight[kind] += 1
            return self.restarts

    def leave(self, kind: str) -> None:
        with self._changed:
            self._in_flight[kind] -= 1

    def close(self) -> Counter[str]:
        """Shut the gate; returns the requests already under way (the ones the kill will land on)."""
        with self._changed:
            self._open = False
            return +self._in_flight

    def reopen(self) -> None:
        with self._changed:
            self.restarts += 1
            self._open = True
            self._changed.notify_all()

    def wait_for_restart(self, seen: int) -> bool:
        """After no answer: wait until the server has been restarted since ``seen``. False at once when no kill
        was under way (the server failed on its own)."""
        with self._changed:
            if self._open and self.restarts == seen:
                return False
            while not (self._open and self.restarts > seen):
                self._changed.wait()
            return True


class RunAborted(Exception):
    """The run stopped (the server would not restart): client threads end at their next request."""


@dataclass
class CrashReport:
    """What a run did and found."""

    cases: int = 0
    closed: int = 0
    contacts: int = 0
    completions: int = 0  # tasks the walk completed: acknowledged, plus those that happened with no answer
    kills: int = 0
    in_flight_at_kill: list[Counter] = field(default_factory=list)
    no_answer: Counter = field(default_factory=Counter)  # requests that got none, by request type
    resolved: Counter = field(default_factory=Counter)  # how each of those turned out
    statuses: Counter = field(default_factory=Counter)  # every answer, by request type and status
    restart_seconds: list[float] = field(default_factory=list)
    checks: int = 0
    violations: list[str] = field(default_factory=list)
    completions_after_last_kill: int = 0


class CrashRun:
    """Walk ``cases`` cases from ``clients`` threads and kill the server ``kills`` times, checking after each
    restart."""

    def __init__(self, server: HubServer, database_url: str, *, cases: int, clients: int, kills: int, seed: int,
                 names: dict[str, str] | None = None) -> None:
        self.server, self.database_url = server, database_url
        self.cases, self.clients, self.kills = cases, clients, kills
        self.rng = random.Random(seed)
        self.run_tag = f"{seed}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
        self.names = names or task_names()
        self.tokens = mint_tokens(database_url)
        self.gate = Gate()
        self.told = Told()
        self.report = CrashReport()
        self._lock = threading.Lock()
        self._next_case = 0
        self._aborted = threading.Event()

    # ------------------------------------------------------------------ the killer (main thread)
    def run(self) -> CrashReport:
        report = self.report
        planned = self.cases * len(STEPS)
        # Kill points, as numbers of completions done, spread at random over the middle of the run.
        points = sorted(self.rng.sample(range(max(1, planned // 20), max(2, planned * 9 // 10)), self.kills))
        report.restart_seconds.append(self.server.start())
        threads = [threading.Thread(target=self._client, name=f"crash-client-{n}", daemon=True)
                   for n in range(self.clients)]
        for thread in threads:
            thread.start()
        try:
            for point in points:
                while report.completions < point and any(t.is_alive() for t in threads):
                    time.sleep(0.005)
                if not any(t.is_alive() for t in threads):
                    break
                time.sleep(self.rng.uniform(0, 0.03))  # anywhere inside whatever requests are under way
                self._kill_restart_check()
            completions_at_last_kill = report.completions
            for thread in threads:
                thread.join()
            report.completions_after_last_kill = report.completions - completions_at_last_kill
        except BaseException:
            self._aborted.set()  # the clients stop at their next request
            raise
        finally:
            self.gate.reopen()
            self.server.stop()
        self._check("at the end")  # once more, after the ordinary shutdown
        if report.closed != report.cases:
            report.violations.append(f"only {report.closed} of {report.cases} cases were walked to closure")
        return report

    def _kill_restart_check(self) -> None:
        in_flight = self.gate.close()
        self.server.kill()
        self.report.kills += 1
        self.report.in_flight_at_kill.append(in_flight)
        self.report.restart_seconds.append(self.server.start())
        self._check(f"after restart {self.report.kills}")
        self.gate.reopen()

    def _check(self, when: str) -> None:
        self.report.checks += 1
        with self._lock:
            told = Told(dict(self.told.contacts), dict(self.told.completions))
        found = check_hub(self.database_url, told)
        self.report.violations += [f"{when}: {problem}" for problem in found]

    # ------------------------------------------------------------------ the clients
    def _client(self) -> None:
        while True:
            with self._lock:
                if self._next_case >= self.cases:
                    return
                self._next_case += 1
                number = self._next_case
                self.report.cases += 1
            try:
                case_id = self._report_contact(number)
                if case_id is not None:
                    self._walk(case_id)
            except RunAborted:
                return
            except Exception as error:  # noqa: BLE001  (reported as a finding; the other clients go on)
                self._violation(f"client walking contact {number} failed: {type(error).__name__}: {error}")

    def _count(self, key: str, counter: str = "resolved") -> None:
        with self._lock:
            getattr(self.report, counter)[key] += 1

    def _violation(self, text: str) -> None:
        with self._lock:
            self.report.violations.append(text)

    def _send(self, kind: str, user: str, method: str, path: str, body: dict | None = None,
              headers: dict | None = None) -> Answer:
        """One request through the gate. No answer: wait for the restart before returning it."""
        if self._aborted.is_set():
            raise RunAborted
        data = json.dumps(body).encode() if body is not None else None
        # Only ever the hub this harness started on 127.0.0.1.
        request = urllib.request.Request(self.server.base + path, data=data, method=method, headers={  # noqa: S310
            "Authorization": f"Bearer {self.tokens[user]}", "Accept": "application/json", **(headers or {}),
            **({"Content-Type": "application/json"} if data is not None else {})})
        seen = self.gate.enter(kind)
        try:
            try:
                with _OPENER.open(request, timeout=60) as response:
                    status, payload = response.status, response.read()
            except urllib.error.HTTPError as error:
                status, payload = error.code, error.read()
            answer = Answer(status, _decoded(payload))
        except (OSError, http.client.HTTPException) as error:  # refused, reset, timed out, or cut short
            answer = Answer(None, error=f"{type(error).__name__}: {error}")
        finally:
            self.gate.leave(kind)
        if answer.status is None:
            self._count(kind, "no_answer")
            if not self.gate.wait_for_restart(seen):
                self._violation(f"{method} {path}: no answer although the server was not killed ({answer.error})")
                time.sleep(0.5)
        else:
            self._count(f"{kind} {answer.status}", "statuses")
        return answer

    def _read_case(self, case_id: int) -> dict | None:
        while True:
            answer = self._send("GET case", "mash-manager", "GET", f"/api/v1/cases/{case_id}")
            if answer.ok:
                return answer.body
            if answer.status is not None:
                self._violation(f"GET case {case_id} answered {answer.status}: {answer.message()}")
                return None

    def _contact_stored(self, key: str) -> bool:
        from sqlalchemy import select

        from app.core.db import init_db
        from app.intake.models import Contact

        with init_db(self.database_url).unit_of_work(write=False) as session:
            return session.scalar(select(Contact.id).where(Contact.idempotency_key == key)) is not None

    def _report_contact(self, number: int) -> int | None:
        """POST /contacts with an Idempotency-Key; after no answer, the same request again."""
        key = f"crash-{self.run_tag}-{number}"
        body = f.contact(given=f"Crash{number:05d}", family=f"Run{self.run_tag}")
        stored_before_retry = None
        while True:
            answer = self._send("POST contacts", "referrer", "POST", "/api/v1/contacts", body, {"Idempotency-Key": key})
            if answer.status is None:
                stored_before_retry = self._contact_stored(key)
                self._count("contact: had been stored" if stored_before_retry else "contact: had not been stored")
                continue
            if answer.status != 201:
                self._violation(f"contact {number}: POST /contacts answered {answer.status}: {answer.message()}")
                return None
            case_id, reference = answer.body["case_id"], answer.body["reference"]
            with self._lock:
                self.told.contacts[key] = (case_id, reference)
                self.report.contacts += 1
            if stored_before_retry is not None:
                self._count("contact: retried with the same key, one case")
            return case_id

    def _walk(self, case_id: int) -> None:
        for _ in range(3 * len(STEPS)):
            case = self._read_case(case_id)
            if case is None:
                return
            if case["status"] == "closed":
                with self._lock:
                    self.report.closed += 1
                return
            open_tasks = {task["name"]: task["task_id"] for task in case["open_tasks"]}
            step = next(((user, data, open_tasks[self.names[element]]) for element, user, data in STEPS
                         if self.names[element] in open_tasks), None)
            if step is None:
                self._violation(f"case {case_id} is open but none of the walk's tasks is: {sorted(open_tasks)}")
                return
            if not self._complete(case_id, *step):
                return
        self._violation(f"case {case_id} did not close after {3 * len(STEPS)} steps")

    def _complete(self, case_id: int, user: str, data: dict, task_id: str) -> bool:
        """Complete one task; after no answer, re-read the case and send it again: a completion that had
        happened must now get a 409, one that had not must now succeed. False when the walk cannot go on."""
        path = f"/api/v1/tasks/{task_id}/complete"
        answer = self._send("POST complete", user, "POST", path, data)
        happened = None
        while answer.status is None:
            case = self._read_case(case_id)
            if case is None:
                return False
            happened = task_id not in {task["task_id"] for task in case["open_tasks"]}
            self._count("completion: had happened" if happened else "completion: had not happened")
            answer = self._send("POST complete", user, "POST", path, data)
        if answer.ok and not happened:
            with self._lock:
                self.told.completions[task_id] = case_id
                self.report.completions += 1
            if happened is not None:
                self._count("completion: retried, done once")
            return True
        if answer.status == 409 and happened:
            if "already completed" not in answer.message():
                self._violation(f"task {task_id}: the 409 for a done task does not say so: {answer.message()}")
            self._count("completion: retried, 409 already completed")
            with self._lock:
                self.report.completions += 1
            return True
        if answer.ok:
            self._violation(f"task {task_id} of case {case_id} was done twice: it had happened before the kill, "
                            "and the retry succeeded again")
        else:
            self._violation(f"task {task_id} of case {case_id}: POST complete answered {answer.status}"
                            f"{' after it had happened' if happened else ''}: {answer.message()}")
        return False
