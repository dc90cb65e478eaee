"""Where one task completion's time goes: cProfile over `POST /api/v1/tasks/{id}/complete` on the referral walk,
in-process on a fresh SQLite hub (no HTTP, no other requests profiled), grouped by layer.

The layers answer issue 20's question "is the app's own work per step under the engine's?": SpiffWorkflow is
the engine's own cost, app.engine the boundary around it (sandboxed evaluation, serialization), and the rest
is the app's bookkeeping (casework, deadlines, inbox, audit, the answer) and its database driver. Figures are
under the profiler (which slows Python calls about twofold): compare layers with each other, and take speed
from bench/task_throughput.py.

    .venv/bin/python bench/profile_completion.py [--cases 20] [--top 25] [--save completions.prof]
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
from pathlib import Path

from benchlib import (  # bench/ is on sys.path when a script runs
    Layers,
    find_layer,
    print_layers,
    print_top,
    time_by_layer,
    use_project_venv,
)

use_project_venv()

from task_throughput import STEPS, in_process_hub, load_average, step_names, walk_in_process  # noqa: E402

#: (layer, path fragment) in the order they are tried: the first fragment found in a function's file names it.
LAYERS: Layers = (
    ("SpiffWorkflow (the engine itself)", "/SpiffWorkflow/"),
    ("app.engine (boundary: sandbox, serializer)", "/app/engine/"),
    ("app.casework (progress, deadlines, timers)", "/app/casework/"),
    ("app.deadlines + app.inbox", "/app/deadlines/"),
    ("app.deadlines + app.inbox", "/app/inbox/"),
    ("app.audit (the chain)", "/app/audit/"),
    ("answer (need to know, case detail, people)", "/app/need_to_know/"),
    ("answer (need to know, case detail, people)", "/app/people/"),
    ("app.core (unit of work, clock)", "/app/core/"),
    ("other app", "/app/"),
    ("SQLAlchemy", "/sqlalchemy/"),
    ("Flask + Werkzeug", "/flask/"),
    ("Flask + Werkzeug", "/werkzeug/"),
    ("json", "/json/"),
)


def layer_of(filename: str) -> str:
    return find_layer(filename, LAYERS, builtins="builtins (database driver, pickle, C calls)")


def profile_walk(cases: int, database_url: str | None = None) -> tuple[pstats.Stats, int]:
    names = step_names()
    profiler = cProfile.Profile()
    completions = 0
    workdir = Path(tempfile.mkdtemp(prefix="mash-profile-"))
    try:
        with in_process_hub(workdir, database_url) as (_app, request):
            def call(kind: str, user: str, method: str, path: str, body: dict | None = None) -> dict:
                nonlocal completions
                profiled = kind == "POST complete" and warmed
                if profiled:
                    profiler.enable()
                response = request(user, method, path, body)
                if profiled:
                    profiler.disable()
                    completions += 1
                if response.status_code >= 300:
                    raise RuntimeError(f"{method} {path}: {response.status_code}")
                return response.get_json()

            warmed = False
            walk_in_process(request, names, 2, call)  # compiled diagram, evaluator processes, caches
            warmed = True
            walk_in_process(request, names, cases, call)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return pstats.Stats(profiler), completions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=20, help="cases walked under the profiler (default 20)")
    parser.add_argument("--top", type=int, default=25, help="functions listed by cumulative time (default 25)")
    parser.add_argument("--save", type=Path, help="also save the raw profile (pstats format) to this file")
    parser.add_argument("--postgres", action="store_true",
                        help="on a throwaway PostgreSQL server (durable commits) instead of SQLite")
    args = parser.parse_args()
    print(f"MASH completion profile | {os.cpu_count()} CPUs, Python {sys.version.split()[0]} | {args.cases} cases, "
          f"walk of {len(STEPS)} steps each | load average at start: {load_average()}")
    if args.postgres:
        from tests.postgres_server import ThrowawayPostgres, postgres_bin

        postgres = ThrowawayPostgres(postgres_bin(), durable=True)
        try:
            stats, completions = profile_walk(args.cases, postgres.create_database("mash_profile"))
        finally:
            postgres.stop()
    else:
        stats, completions = profile_walk(args.cases)
    total, by_layer = time_by_layer(stats, layer_of)
    print(f"\n{completions} completions profiled: {1000 * total / completions:.2f} ms each under the profiler\n")
    print_layers(by_layer, total, completions, "completion")
    engine = by_layer.get(LAYERS[0][0], 0.0)
    print(f"\n   the app's own work per completion (everything but SpiffWorkflow): "
          f"{1000 * (total - engine) / completions:.2f} ms against the engine's {1000 * engine / completions:.2f} ms")
    print_top(stats, args.top)
    if args.save:
        stats.dump_stats(str(args.save))
        print(f"saved {args.save}")
    print(f"load average at end: {load_average()}")


if __name__ == "__main__":
    main()
