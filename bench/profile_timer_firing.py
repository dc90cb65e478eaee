"""Where a timer firing's time goes: cProfile over the scheduler's firing pass (``fire_due``) on a burst of due
cases, in-process on a fresh SQLite hub (or the PostgreSQL URL given), with the SQL statements and commits of the
pass counted by SQLAlchemy event listeners.

The cases are bench/timer_bench's (start -> statutory timer on the case's own ``due_at`` -> end), created as
bench/timer_lateness.py does; the hub's clock is then moved past their due time and ``fire_due`` drains them.
A warm-up pass fires ``--warm`` cases first (compiled diagram, caches), unprofiled. Figures are under the
profiler (about twice as slow): compare parts with each other, and take speed from bench/timer_lateness.py.

    .venv/bin/python bench/profile_timer_firing.py [--cases 600] [--top 30] [--database-url URL] [--save f.prof]
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from benchlib import print_layers, print_top, time_by_layer, use_project_venv  # bench/ is on sys.path

use_project_venv()

from profile_completion import layer_of  # noqa: E402
from task_throughput import load_average  # noqa: E402
from timer_lateness import create_cases, prepare_database  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=600, help="due cases fired under the profiler (default 600)")
    parser.add_argument("--warm", type=int, default=50, help="cases fired first, unprofiled (default 50)")
    parser.add_argument("--top", type=int, default=30, help="functions listed by cumulative time (default 30)")
    parser.add_argument("--database-url", help="a PostgreSQL URL (an empty database); default a fresh SQLite file")
    parser.add_argument("--save", type=Path, help="also save the raw profile (pstats format) to this file")
    args = parser.parse_args()

    from sqlalchemy import event

    from app.casework.scheduler import fire_due
    from app.core.clock import clock, now
    from app.core.db import get_db

    workdir = Path(tempfile.mkdtemp(prefix="mash-timer-profile-"))
    url = args.database_url or f"sqlite:///{workdir / 'profile.db'}"
    print(f"MASH timer firing profile | {os.cpu_count()} CPUs, Python {sys.version.split()[0]} | "
          f"{args.cases} due cases | load average at start: {load_average()}")
    try:
        clock.reset()
        version_id = prepare_database(url, workdir)
        due = now() + timedelta(days=1)
        create_cases(version_id, [due] * args.warm, 500)
        clock.advance(due + timedelta(seconds=1) - now())
        fire_due()  # warm: the compiled diagram, the evaluator, caches
        due = now() + timedelta(days=1)  # far enough ahead that none falls due while the cases are created
        create_cases(version_id, [due] * args.cases, 500)
        clock.advance(due + timedelta(seconds=1) - now())

        statements: Counter[str] = Counter()
        commits = 0

        def on_statement(_conn, _cursor, statement, _params, _context, _many) -> None:
            statements[statement.lstrip().split(None, 1)[0].upper()] += 1

        def on_commit(_conn) -> None:
            nonlocal commits
            commits += 1

        engine = get_db().engine
        event.listen(engine, "before_cursor_execute", on_statement)
        event.listen(engine, "commit", on_commit)
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        fired = fire_due()
        profiler.disable()
        elapsed = time.perf_counter() - started
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(engine, "commit", on_commit)
        get_db().dispose()
    finally:
        clock.reset()
        shutil.rmtree(workdir, ignore_errors=True)

    if not fired:
        print("nothing fired")
        return 1
    stats = pstats.Stats(profiler)
    total, by_layer = time_by_layer(stats, layer_of)
    print(f"\n{fired} firings: {1000 * elapsed / fired:.2f} ms each under the profiler "
          f"({fired / elapsed:.0f}/s under the profiler)")
    print(f"SQL statements per firing: {sum(statements.values()) / fired:.2f} "
          f"({', '.join(f'{kind} {count / fired:.2f}' for kind, count in statements.most_common())}); "
          f"commits per firing: {commits / fired:.3f} ({commits} commits)\n")
    print_layers(by_layer, total, fired, "firing", decimals=3)
    print_top(stats, args.top)
    if args.save:
        stats.dump_stats(str(args.save))
        print(f"saved {args.save}")
    print(f"load average at end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
