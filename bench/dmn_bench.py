"""How long a decision table takes to evaluate through the engine boundary, against the engine-alone ceiling.

SpiffWorkflow's DMN engine evaluates every entry of every rule it reaches as its own expression, and each goes to
the sandboxed evaluator process (a pipe round trip): a UNIQUE table stops at the first matching rule, so the
cost grows with the rule that matches. Beside it, the same table with the in-process RestrictedPython environment
(no evaluator process, no budget), the engine-alone figure; note it compiles every entry on every evaluation,
while the evaluator keeps what it compiled, so on a table it is not a ceiling.

    .venv/bin/python bench/dmn_bench.py [--runs 40]
"""
from __future__ import annotations

import argparse
import os
import time

from benchlib import percentile, use_project_venv

use_project_venv()



from app.core.config import PROJECT_ROOT  # noqa: E402
from app.engine import (  # noqa: E402
    ProcessBundle,
    compile_bundle,
    trial,
)
from app.engine.evaluator import warm_up  # noqa: E402
from app.engine.functions import diagram_functions  # noqa: E402
from app.engine.runtime import PythonScriptEngine  # noqa: E402
from app.engine.sandbox import RestrictedEnvironment  # noqa: E402

CASES = {
    "threshold, rule 1 (immediate risk)": ("threshold", {"immediate_risk": True, "presenting_factors": [],
                                                         "youngest_child_age": 4, "repeat_concern": False}),
    "threshold, rule 6 (below the threshold)": ("threshold", {"immediate_risk": False, "presenting_factors": ["20"],
                                                              "youngest_child_age": 4, "repeat_concern": False}),
    "domestic_abuse, rule 1 (high, children)": ("domestic_abuse", {
        "dash_risk_level": "high", "dash_ticks": 3, "escalation": False, "children_in_household": 1,
        "pregnancy": False}),
    "domestic_abuse, rule 14 (standard, none)": ("domestic_abuse", {
        "dash_risk_level": "standard", "dash_ticks": 3, "escalation": False, "children_in_household": 0,
        "pregnancy": False}),
}


class _InProcess(RestrictedEnvironment):
    """The sandbox without the evaluator process or budgets: the ceiling."""

    def begin_step(self) -> None:
        pass

    def end_step(self) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    runs = parser.parse_args().runs
    print(f"load average at start: {os.getloadavg()}")
    definition = compile_bundle(ProcessBundle.from_directories(PROJECT_ROOT / "processes", PROJECT_ROOT / "forms"))
    warm_up(wait=True)
    for label, (decision, data) in CASES.items():
        isolated = _timed(runs, lambda d=decision, x=data: trial.try_decision(definition, d, x))
        original = trial._script_engine
        trial._script_engine = lambda _definition: PythonScriptEngine(  # type: ignore[assignment]
            environment=_InProcess(diagram_functions(definition.sla)))
        try:
            ceiling = _timed(runs, lambda d=decision, x=data: trial.try_decision(definition, d, x))
        finally:
            trial._script_engine = original
        print(f"{label}: evaluator p50 {percentile(isolated, .5):.1f} ms, p95 {percentile(isolated, .95):.1f} ms; "
              f"in-process sandbox p50 {percentile(ceiling, .5):.1f} ms, p95 {percentile(ceiling, .95):.1f} ms")
    print(f"load average at end: {os.getloadavg()}")


def _timed(runs: int, run) -> list[float]:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        timings.append((time.perf_counter() - start) * 1000)
    return timings


if __name__ == "__main__":
    main()
