"""bench/task_throughput.py's server-side latency is read from `mash serve`'s access log: a line in the format the
server writes is read back as its request kind and milliseconds, and lines of other requests are left out."""
from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from app.web.server import ACCESS_LOG_FORMAT

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture
def throughput(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    return importlib.import_module("task_throughput")


def _line(method: str, path: str, microseconds: int) -> str:
    # gunicorn fills the format's atoms from the request: <pid>, host, method, path, status, bytes, microseconds.
    return ACCESS_LOG_FORMAT % {"p": "<4242>", "h": "127.0.0.1", "m": method, "U": path, "s": "200", "b": "1830",
                                "D": str(microseconds)}


def test_the_access_log_gives_each_walk_requests_time_in_the_server(throughput):
    log = "\n".join([
        _line("GET", "/api/v1/tasks/5f0c9a56-4b1e-4a49-9d53-1f0e8a1f1c2b", 4512),
        _line("POST", "/api/v1/tasks/5f0c9a56-4b1e-4a49-9d53-1f0e8a1f1c2b/complete", 13800),
        _line("GET", "/api/v1/cases/17", 3900),
        _line("POST", "/api/v1/contacts", 52000),
        _line("GET", "/api/v1/tasks", 2100),
        "[2026-12-07 08:00:00 +0000] [4242] [INFO] Booting worker with pid: 4242",
    ])
    assert throughput.served_ms(log) == {"GET task": [4.512], "POST complete": [13.8], "GET case": [3.9]}


@pytest.fixture
def floor(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    return importlib.import_module("request_floor")


def test_the_floor_bench_reads_its_own_requests_time_in_the_server_from_the_same_log(floor):
    # bench/request_floor.py times GET /healthz and an audited GET of a task no one has; both are read back from the
    # server's access log by path, and a request that is neither (or not a GET) is not counted
    log = "\n".join([_line("GET", "/healthz", 750), _line("GET", floor.NO_TASK, 1754),
                     _line("POST", floor.NO_TASK, 9999), _line("GET", "/api/v1/tasks", 2100)])
    assert floor.served_ms(log, "/healthz") == [0.75]
    assert floor.served_ms(log, floor.NO_TASK) == [1.754]
