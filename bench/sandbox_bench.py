"""What the diagram budget costs: per evaluation, and per task completion, before (diagram code in the app's own
process, RestrictedPython only) and after (in a bounded evaluator process, app.engine.evaluator).

Per evaluation: a gateway condition, a script and a deadline-function call, each evaluated ``--evaluations``
times against the referral's case data. Per completion: the referral walk (start, then screening -> police
check -> health check -> review -> decision -> feedback) in the engine alone, with a serialize and restore
around every step as the app does; the figure is per completed task (the start is counted as one). No
database or HTTP: those only add to a completion, so the share measured here is the most the budget can cost.
Prints figures and never judges them.

    .venv/bin/python bench/sandbox_bench.py [--evaluations 3000] [--walks 100] [--rounds 3]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

from benchlib import ROOT, use_project_venv  # bench/ is on sys.path when a script runs

use_project_venv()

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine  # noqa: E402

from app.core.clock import clock  # noqa: E402
from app.core.roles import LANE_ROLES  # noqa: E402
from app.core.vocabulary import SET_AT_CONTACT  # noqa: E402
from app.engine import CaseWorkflow, ProcessBundle, compile_bundle  # noqa: E402
from app.engine import runtime as runtime_module  # noqa: E402
from app.engine.evaluator import IsolatedEnvironment, warm_up  # noqa: E402
from app.engine.functions import diagram_functions  # noqa: E402
from app.engine.sandbox import RestrictedEnvironment  # noqa: E402
from tests.server_processes import REFERRAL_WALK  # noqa: E402

ALL_ROLES = frozenset(LANE_ROLES)
DATA = {"reference": "MASH-2026-000001", "received_at": "2026-12-04T10:00:00+00:00", "source": "2A",
        "immediate_risk": False, "has_open_case": False, "open_enquiry": None, "outcome": None,
        "strategy_outcome": None, "referral_date": None,
        "rag": "amber", "rag_rationale": "Rated amber on the information in the contact.", "consent": "given",
        "presenting_factors": ["16A"], "agencies": ["police", "health"]}
EVALUATIONS = {
    "condition": ("eval", 'rag == "red" and not immediate_risk'),
    "script": ("exec", 'outcome = "strategy-discussion" if rag == "red" else outcome\nchecks = len(agencies)'),
    "deadline function": ("eval", "add_working_days(received_at, 1)"),
}


class _InProcess(RestrictedEnvironment):
    """Before: the sandbox in the app's own process, with no budget."""

    def begin_step(self) -> None:
        return None

    def end_step(self) -> None:
        return None


def per_evaluation(environment: Any, kind: str, source: str, count: int) -> float:
    """Median of five runs of ``count`` evaluations, in microseconds per evaluation."""
    runs = []
    for _ in range(5):
        began = time.perf_counter()
        for _ in range(count):
            data = dict(DATA)
            if kind == "eval":
                environment.evaluate(source, data)
            else:
                environment.execute(source, data)
        runs.append((time.perf_counter() - began) / count * 1e6)
    return statistics.median(runs)


def walk(definition) -> int:
    """One referral from start to closure, restored and saved around every step; returns the steps taken."""
    workflow, _events = CaseWorkflow.start(definition, {k: DATA[k] for k in SET_AT_CONTACT})
    state = workflow.serialize()
    for element, _user, form in REFERRAL_WALK:
        workflow = CaseWorkflow.restore(definition, state)
        task = next(t for t in workflow.open_user_tasks() if t.info.bpmn_id == element)
        workflow.complete_task(task.task_id, form, ALL_ROLES)
        state = workflow.serialize()
    return 1 + len(REFERRAL_WALK)


def per_completion(definition, walks: int) -> tuple[float, float]:
    """Walks before and after, alternating walk by walk (a busy machine's drift hits both alike); the median
    walk of each, in milliseconds per completed task."""
    original = runtime_module._script_engine
    in_process = lambda d: PythonScriptEngine(environment=_InProcess(diagram_functions(d.sla)))  # noqa: E731
    times: dict[str, list[float]] = {"before": [], "after": []}
    for _ in range(walks):
        for name in ("before", "after"):
            runtime_module._script_engine = in_process if name == "before" else original  # type: ignore[assignment]
            try:
                began = time.perf_counter()
                steps = walk(definition)
                times[name].append((time.perf_counter() - began) / steps * 1e3)
            finally:
                runtime_module._script_engine = original  # type: ignore[assignment]
    return statistics.median(times["before"]), statistics.median(times["after"])


def counting(definition) -> int:
    """How many evaluations one walk makes (conditions, scripts, timer expressions)."""
    calls = 0
    original = IsolatedEnvironment._run

    def counted(self: IsolatedEnvironment, *args: Any) -> Any:
        nonlocal calls
        calls += 1
        return original(self, *args)

    IsolatedEnvironment._run = counted  # type: ignore[method-assign]
    try:
        walk(definition)
    finally:
        IsolatedEnvironment._run = original  # type: ignore[method-assign]
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--evaluations", type=int, default=3000)
    parser.add_argument("--walks", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    clock.reset()
    definition = compile_bundle(ProcessBundle.from_directories(ROOT / "processes", ROOT / "forms"))
    before = _InProcess(diagram_functions(definition.sla))
    after = IsolatedEnvironment(definition.content_hash, definition.sla,
                                frozenset(diagram_functions(definition.sla)))
    warm_up()
    after.evaluate("1", {})  # a started evaluator, as in a running app
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores shared: figures vary from run to run)")
    print(f"\nPer evaluation (µs, median of 5 × {args.evaluations}):")
    print(f"  {'':20} {'before':>9} {'after':>9} {'cost':>9}")
    for name, (kind, source) in EVALUATIONS.items():
        was = per_evaluation(before, kind, source, args.evaluations)
        now = per_evaluation(after, kind, source, args.evaluations)
        print(f"  {name:20} {was:9.1f} {now:9.1f} {now - was:+9.1f}")

    print(f"\nPer task completion (ms, engine only, state saved and restored every step; median walk of "
          f"{args.walks} walks of {1 + len(REFERRAL_WALK)} steps each, before and after alternating; "
          f"{counting(definition)} evaluations per walk):")
    print(f"  {'round':6} {'before':>9} {'after':>9} {'cost':>9} {'share':>7}")
    for round_number in range(1, args.rounds + 1):
        was, now = per_completion(definition, args.walks)
        print(f"  {round_number:<6} {was:9.3f} {now:9.3f} {now - was:+9.3f} {(now - was) / was:+7.1%}")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    print("\nA completion through the JSON API adds the database and HTTP (bench/task_throughput.py): the share of "
          "a real completion is smaller than the engine-only share above.")


if __name__ == "__main__":
    main()
