"""The engine alone on the referral walk, with and without saving and restoring the case's state after every step.

Each request of the hub restores its case's workflow from the stored state and saves it again after the step, so
this is the floor under every completion. Two figures that stay readable on a shared machine:

- per step, the fastest of ``--walks`` walks (wall clock), plain and persisted, and persisted as a share of plain
  (issue 20's target: at least 60%);
- the CPU time of one restore and one save of a case's state after screening (the fastest of 7 batches of 50).

    .venv/bin/python bench/engine_persistence.py [--walks 30]
"""
from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from benchlib import ROOT, use_project_venv  # bench/ is on sys.path when a script runs

use_project_venv()

from app.core.roles import LANE_ROLES  # noqa: E402
from app.engine import CaseWorkflow, ProcessBundle, compile_bundle  # noqa: E402
from task_throughput import engine_case_data, engine_step  # noqa: E402
from tests.server_processes import REFERRAL_WALK  # noqa: E402

ROLES = frozenset(LANE_ROLES)


def _start(definition) -> CaseWorkflow:
    workflow, _ = CaseWorkflow.start(definition, engine_case_data("MASH-BENCH"))
    return workflow


def walk(definition, persist: bool) -> list[float]:
    """Seconds per step of one walk to closure."""
    workflow = _start(definition)
    if persist:
        workflow = CaseWorkflow.restore(definition, workflow.serialize())
    times = []
    for element, _user, form in REFERRAL_WALK:
        started = time.perf_counter()
        workflow = engine_step(definition, workflow, element, form, ROLES, persist=persist)
        times.append(time.perf_counter() - started)
    if not workflow.completed:
        raise RuntimeError("the walk did not close the case")
    return times


def fastest_walk(definition, persist: bool, walks: int) -> list[float]:
    """Seconds per step of the walk, each step's fastest of ``walks`` walks (readable on a shared machine)."""
    best: list[float] = []
    for _ in range(walks):
        times = walk(definition, persist)
        best = [min(a, b) for a, b in zip(best or times, times, strict=True)]
    return best


def cpu_ms(action: Callable[[], object], batch: int = 50, batches: int = 7) -> float:
    best = float("inf")
    for _ in range(batches):
        started = time.process_time()
        for _ in range(batch):
            action()
        best = min(best, (time.process_time() - started) / batch * 1000)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--walks", type=int, default=30, help="walks per variant (default 30)")
    args = parser.parse_args()
    print(f"load average at start: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    definition = compile_bundle(ProcessBundle.from_directories(ROOT / "processes", ROOT / "forms"))
    best: dict[bool, list[float]] = {}
    for persist in (False, True):
        best[persist] = fastest_walk(definition, persist, args.walks)
        label = "with save and restore each step" if persist else "plain"
        steps = " ".join(f"{t * 1000:.2f}" for t in best[persist])
        print(f"{label:<34}{len(best[persist]) / sum(best[persist]):8.1f} completions/s   ms per step: {steps}")
    print(f"persisted / plain: {sum(best[False]) / sum(best[True]):.0%}")
    workflow = _start(definition)
    element, _user, form = REFERRAL_WALK[0]
    workflow.complete_task(next(t for t in workflow.open_user_tasks() if t.info.bpmn_id == element).task_id,
                           form, ROLES)
    state = workflow.serialize()
    restored = CaseWorkflow.restore(definition, state)
    print(f"one case after screening ({len(restored.workflow.tasks)} tasks, {len(state):,} bytes of state): "
          f"restore {cpu_ms(lambda: CaseWorkflow.restore(definition, state)):.2f} ms, "
          f"save {cpu_ms(restored.serialize):.2f} ms of CPU")
    print(f"load average at end: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")


if __name__ == "__main__":
    main()
