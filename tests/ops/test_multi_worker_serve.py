"""`mash serve --workers 2` on PostgreSQL: both worker processes answer requests, one scheduler holds the lease,
and timers falling due fire exactly once, also after the leading worker is killed and a standby takes over."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.core.config import PROJECT_ROOT
from tests.conftest import wait_for
from tests.postgres_server import HOST, free_port

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

TIMER_DIAGRAM = PROJECT_ROOT / "bench" / "timer_bench"  # start -> timer at the case's own `due_at` -> end
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Serve:
    """`mash serve` as a child process, its output (gunicorn's log and access log) in a file."""

    def __init__(self, database_url: str, workdir: Path, workers: int) -> None:
        env = {**os.environ, "MASH_DATABASE_URL": database_url, "MASH_INSTANCE_PATH": str(workdir / "instance")}
        env.pop("MASH_TRAINING", None)
        mash = Path(sys.executable).parent / "mash"
        self.port = free_port()
        self.log_path = workdir / "serve.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115  (the server's output for its whole life; closed in stop)
        self.process = subprocess.Popen(
            [str(mash) if mash.exists() else shutil.which("mash"), "serve", "--host", HOST, "--port", str(self.port),
             "--workers", str(workers), "--threads", "4"],
            cwd=PROJECT_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def get(self, path: str) -> int:
        try:
            with _OPENER.open(f"http://{HOST}:{self.port}{path}", timeout=10) as response:
                return response.status
        except OSError:
            return 0

    def booted_workers(self) -> list[int]:
        return [int(pid) for pid in re.findall(r"Booting worker with pid: (\d+)", self.log())]

    def answering_workers(self) -> set[int]:
        """Worker pids from the access log (`<pid> host "GET /path" status ...`)."""
        return {int(pid) for pid in re.findall(r"^<(\d+)> \S+ \"GET ", self.log(), re.MULTILINE)}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def register_timer_diagram() -> int:
    from app.core.db import get_db
    from app.engine import ProcessBundle
    from app.process_models.registry import register_bundle

    bundle = ProcessBundle(bpmn={p.name: p.read_bytes() for p in TIMER_DIAGRAM.glob("*.bpmn")}, forms={})
    with get_db().unit_of_work() as session:
        return register_bundle(session, bundle, created_by="test", process_id="timer_bench").id


def cases_due(version_id: int, due_times: list[datetime]) -> list[int]:
    """Cases each waiting on one timer, stored from this process as another process's requests would be."""
    from app.cases.models import Case
    from app.casework.starting import start_workflow
    from app.core.actor import SYSTEM
    from app.core.db import get_db

    with get_db().unit_of_work() as session:
        cases = [Case(status="open", received_at=datetime.now(UTC), process_version_id=version_id)
                 for _ in due_times]
        session.add_all(cases)
        session.flush()
        for case, due in zip(cases, due_times, strict=True):
            case.reference = f"TIMER-{case.id:05d}"
            start_workflow(session, case, {"due_at": due.isoformat()}, SYSTEM)
    return [case.id for case in cases]


def firings() -> Counter[int]:
    """`timer.fired` audit events per case."""
    from app.audit.models import AuditEvent
    from app.core.db import get_db

    with get_db().unit_of_work(write=False) as session:
        return Counter(session.scalars(select(AuditEvent.case_id).where(AuditEvent.action == "timer.fired")))


def lease():
    from app.core.db import get_db
    from app.deadlines.models import SchedulerLease

    with get_db().unit_of_work(write=False) as session:
        rows = session.scalars(select(SchedulerLease)).all()
    assert len(rows) == 1, [(row.name, row.holder) for row in rows]
    return rows[0]


def holder_pid(row) -> int | None:
    found = re.fullmatch(r"[^:]*:(\d+):\w+", row.holder)  # "host:pid:random", set by DeadlineScheduler
    return int(found.group(1)) if found else None


def soon(*seconds: float) -> list[datetime]:
    now = datetime.now(UTC)
    return [now + timedelta(seconds=s) for s in seconds]


def test_two_workers_share_requests_and_one_scheduler_fires_each_timer_once_even_after_a_kill(database_url, tmp_path):
    from app.core.db import init_db

    init_db(database_url)
    version_id = register_timer_diagram()
    server = Serve(database_url, tmp_path, workers=2)
    try:
        booted = wait_for(lambda: server.get("/healthz") == 200 and len(server.booted_workers()) == 2, 90)
        assert booted, server.log()[-3000:]
        workers = set(server.booted_workers())

        # Both worker processes answer: concurrent bursts, until the access log names each of them.
        with ThreadPoolExecutor(max_workers=8) as pool:
            def both_answer() -> bool:
                assert set(pool.map(server.get, ["/healthz"] * 16)) == {200}
                return server.answering_workers() == workers
            assert wait_for(both_answer, 30, interval=0.1), (workers, server.answering_workers())

        # Timers falling due while both run: one scheduler acts, each timer fires once.
        first = cases_due(version_id, soon(1, 1.5, 2, 2.5, 3))
        assert wait_for(lambda: all(firings()[case] for case in first), 30), (firings(), server.log()[-3000:])
        leader = lease()
        assert holder_pid(leader) in workers and leader.expires_at > datetime.now(UTC), leader.holder

        # Kill the leader outright: it cannot hand the lease back. gunicorn boots a replacement, and once the
        # lease lapses (15 s) the standby or the new worker fires what fell due in the meantime.
        os.kill(holder_pid(leader), signal.SIGKILL)
        second = cases_due(version_id, soon(0.5, 1, 1.5, 2))
        assert wait_for(lambda: all(firings()[case] for case in second), 45), (firings(), server.log()[-3000:])
        assert wait_for(lambda: len(server.booted_workers()) == 3, 30), server.log()[-3000:]
        alive = set(server.booted_workers()) - {holder_pid(leader)}
        successor = lease()
        assert successor.holder != leader.holder and holder_pid(successor) in alive, successor.holder

        fired = firings()
        assert {case: fired[case] for case in first + second} == dict.fromkeys(first + second, 1)
        assert sum(fired.values()) == len(first + second)
    finally:
        server.stop()
    assert server.process.returncode == 0, server.log()[-2000:]
    # Stopped cleanly, the last leader handed its lease back: a new server need not wait for it to lapse.
    assert lease().expires_at <= datetime.now(UTC)
