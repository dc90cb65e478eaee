"""Compiling a process from several threads at once, as the first requests after a start do: no two XML Schemas are
ever parsed at the same time, and every compile succeeds.

libxml2 sets up its built-in schema types on a process's first XML Schema, and two threads parsing schemas at that
moment could leave every later schema of the process failing: tests/ops/test_crash_safety.py saw every completion
answer 500 after a restart, and eight threads building SpiffWorkflow's BPMN validator at once in a fresh process
broke it in about one process in four. That needs a fresh process and luck to show; this test shows the cause
instead: each schema parse is made slow, so two that are not kept apart overlap every time."""
from __future__ import annotations

import threading
import time

from lxml import etree

from app.core.config import PROJECT_ROOT
from app.engine import ProcessBundle, compile_bundle, xml_schemas

THREADS = 6


def test_threads_compiling_at_once_never_parse_two_schemas_together(monkeypatch):
    monkeypatch.setattr(xml_schemas, "_built", {})  # the validators are built again, as in a fresh process
    parsing = {"now": 0, "most": 0, "schemas": 0}
    guard = threading.Lock()
    real = etree.XMLSchema

    def slow_schema(*args, **kwargs):
        with guard:
            parsing["now"] += 1
            parsing["schemas"] += 1
            parsing["most"] = max(parsing["most"], parsing["now"])
        try:
            time.sleep(0.02)  # long enough for any other thread let in meanwhile to be seen
            return real(*args, **kwargs)
        finally:
            with guard:
                parsing["now"] -= 1

    # every schema built: SpiffWorkflow's validators (the hub's BPMN and DMN ones, and one for each DMN file it reads)
    monkeypatch.setattr(etree, "XMLSchema", slow_schema)
    bundle = ProcessBundle.from_directories(PROJECT_ROOT / "processes", PROJECT_ROOT / "forms")
    barrier = threading.Barrier(THREADS)
    failures: list[str] = []

    def compile_once() -> None:
        barrier.wait()
        try:
            compile_bundle(bundle)
        except Exception as error:  # noqa: BLE001 - any failure is the finding
            failures.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=compile_once) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert parsing["schemas"] >= THREADS, "the compiles parsed no schema of their own: this test tests nothing"
    assert parsing["most"] == 1, f"{parsing['most']} schemas were parsed at the same time"
