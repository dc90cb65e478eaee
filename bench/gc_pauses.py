"""What CPython's garbage collector costs a worker, as Python sets it and as a started worker sets it (app.core.heap).

The referral walk in-process on a fresh SQLite hub (no HTTP), warmed with two cases, then timed: each setting runs in
a process of its own, in turn, so both start from the same heap. Printed per setting: the collector's time per task
completion (its passes over the whole walk, divided by the completions), its passes by generation, the longest
single pass (a request waits that long), and POST complete's mean and p95 in-process.

    .venv/bin/python bench/gc_pauses.py [--cases 80] [--rounds 1]

Fewer cases may end before the collector's first whole-heap pass (it comes once enough objects have lived long).
"""
from __future__ import annotations

import argparse
import gc
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import use_project_venv  # bench/ is on sys.path when a script runs

use_project_venv()

from task_throughput import in_process_hub, load_average, step_names, walk_in_process  # noqa: E402

SETTINGS = ("python", "worker")


def measure(setting: str, cases: int) -> dict:
    """One walk with ``setting``: "python" leaves the collector as Python starts it, "worker" applies
    app.core.heap.settle_after_start once the hub is warmed, as a started worker does."""
    from app.core.heap import settle_after_start

    names = step_names()
    passes: dict[int, int] = {}
    pauses: list[float] = []
    started = [0.0]

    def watch(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.append(time.perf_counter() - started[0])
            passes[info["generation"]] = passes.get(info["generation"], 0) + 1

    completions: list[float] = []
    timing = False
    workdir = Path(tempfile.mkdtemp(prefix="mash-gc-"))
    try:
        with in_process_hub(workdir) as (_app, request):
            def call(kind: str, user: str, method: str, path: str, body: dict | None = None) -> dict:
                began = time.perf_counter()
                response = request(user, method, path, body)
                if timing and kind == "POST complete":
                    completions.append((time.perf_counter() - began) * 1000)
                if response.status_code >= 300:
                    raise RuntimeError(f"{method} {path}: {response.status_code}")
                return response.get_json()

            walk_in_process(request, names, 2, call)  # compiled diagram, evaluator processes, caches
            if setting == "worker":
                settle_after_start()
            gc.callbacks.append(watch)
            timing = True
            walk_in_process(request, names, cases, call)
            gc.callbacks.remove(watch)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return {"setting": setting, "completions": len(completions),
            "gc_ms_per_completion": sum(pauses) * 1000 / len(completions),
            "passes": {str(k): v for k, v in sorted(passes.items())},
            "longest_pause_ms": max(pauses, default=0.0) * 1000,
            "complete_mean_ms": statistics.mean(completions),
            "complete_p95_ms": statistics.quantiles(completions, n=20)[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=80, help="cases walked per run (default 80)")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each setting, in turn (default 1)")
    parser.add_argument("--one", choices=SETTINGS, help=argparse.SUPPRESS)  # a run in its own process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.cases)))
        return
    print(f"load average at start: {load_average()}")
    print(f"{'collector':<10}{'gc ms/completion':>18}{'passes (gen: n)':>24}{'longest pause':>16}"
          f"{'POST complete mean / p95':>28}")
    for _ in range(args.rounds):
        for setting in SETTINGS:
            found = subprocess.run([sys.executable, __file__, "--one", setting, "--cases", str(args.cases)],
                                   check=True, capture_output=True, text=True).stdout
            row = json.loads(found.strip().splitlines()[-1])
            passes = " ".join(f"{k}:{v}" for k, v in row["passes"].items()) or "none"
            print(f"{setting:<10}{row['gc_ms_per_completion']:>15.2f} ms{passes:>24}"
                  f"{row['longest_pause_ms']:>13.1f} ms{row['complete_mean_ms']:>15.2f} / "
                  f"{row['complete_p95_ms']:.2f} ms")
    print(f"load average at end: {load_average()}")


if __name__ == "__main__":
    main()
