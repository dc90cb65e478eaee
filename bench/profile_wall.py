"""Where a page's time goes: the SLA wall and the deep inbox page, in-process under cProfile, grouped by layer.

Runs on a database filled by `bench/scale.py --data DIR --fill-only` (its throwaway PostgreSQL server is started
again on DIR and stopped at the end). Each page is requested in-process (Flask's test client, signed in through the
form: no HTTP), first --requests times to print the median with its SQL statements and SQL milliseconds, then
--requests times more under cProfile. The profile is grouped by layer (our templates' compiled code, Jinja's
runtime, GOV.UK Frontend's macros, SQLAlchemy, the database driver, the app) and its top functions listed. Figures
under the profiler are about twice the plain ones: compare layers with each other, take speed from the medians.

    .venv/bin/python bench/profile_wall.py --data /tmp/wall-data [--requests 30] [--top 30] [--pages wall,inbox-deep]
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import re
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from benchlib import percentile, use_project_venv  # bench/ is on sys.path when a script runs

use_project_venv()

from sqlalchemy import create_engine, event, text  # noqa: E402

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

#: name -> (user, path); {wall_deep} and {inbox_deep} are nine tenths of the way down, as in bench/scale.py.
PAGES = {
    "wall": ("mash-manager", "/dashboard"),
    "wall-deep": ("mash-manager", "/dashboard?page={wall_deep}"),
    "wall-fragment": ("mash-manager", "/dashboard?fragment=1"),
    "inbox": ("mash-manager", "/inbox"),
    "inbox-deep": ("mash-manager", "/inbox?page={inbox_deep}"),
    "inbox-police": ("police", "/inbox"),
}

#: (layer, path fragment) in the order they are tried: the first fragment found in a function's file names it.
LAYERS: tuple[tuple[str, str], ...] = (
    ("GOV.UK Frontend macros (compiled)", "/govuk_frontend_jinja/"),
    ("our templates (compiled)", ".html"),
    ("Jinja runtime", "/jinja2/"),
    ("markupsafe", "/markupsafe/"),
    ("SQLAlchemy", "/sqlalchemy/"),
    ("psycopg", "/psycopg"),
    ("app.deadlines + app.inbox", "/app/deadlines/"),
    ("app.deadlines + app.inbox", "/app/inbox/"),
    ("app.audit", "/app/audit/"),
    ("app.web + app.auth", "/app/web/"),
    ("app.web + app.auth", "/app/auth/"),
    ("other app", "/app/"),
    ("Flask + Werkzeug", "/flask"),
    ("Flask + Werkzeug", "/werkzeug/"),
    ("zoneinfo + datetime", "zoneinfo"),
)


def layer_of(filename: str) -> str:
    for layer, fragment in LAYERS:
        if fragment in filename:
            return layer
    if filename.startswith("~") or "{" in filename:
        return "builtins (C calls)"
    return "other libraries"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="a directory filled by bench/scale.py --data")
    parser.add_argument("--requests", type=int, default=30, help="requests timed, then as many profiled")
    parser.add_argument("--top", type=int, default=30, help="functions listed by own time (default 30)")
    parser.add_argument("--pages", default="wall,wall-fragment,inbox-deep", help=f"of {', '.join(PAGES)}")
    parser.add_argument("--save", type=Path, help="save each page's raw profile as SAVE.<page>.prof")
    args = parser.parse_args()
    filled = json.loads((args.data / "filled.json").read_text())

    from tests.postgres_server import ThrowawayPostgres, postgres_bin

    postgres = ThrowawayPostgres(postgres_bin(), durable=False, directory=args.data)
    workdir = Path(tempfile.mkdtemp(prefix="mash-profile-pages-"))
    try:
        url = postgres.url("mash_scale")
        engine = create_engine(url)
        with engine.connect() as connection:
            deep = {"wall_deep": max(1, connection.execute(text("SELECT count(*) FROM sla_case")).scalar()
                                     * 9 // 10 // 50),
                    "inbox_deep": max(1, connection.execute(text(
                        "SELECT count(*) FROM open_task WHERE role = 'mash-manager'")).scalar() * 9 // 10 // 50)}
        engine.dispose()
        print(f"PostgreSQL {postgres.version}; {filled['open']} open and {filled['closed']} closed cases; "
              f"load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}", flush=True)
        profile(url, workdir, filled["password"], deep, args)
        print(f"\nload average at the end {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    finally:
        postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def profile(url: str, workdir: Path, password: str, deep: dict, args: argparse.Namespace) -> None:
    from app import create_app
    from app.core.config import load_settings
    from app.core.db import get_db

    app = create_app(load_settings(database_url=url, instance_path=workdir / "instance"))
    captured: list[float] = []

    @event.listens_for(get_db().engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info["started"] = time.perf_counter()

    @event.listens_for(get_db().engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        captured.append((time.perf_counter() - conn.info["started"]) * 1000)

    clients = {}
    for name in args.pages.split(","):
        user, pattern = PAGES[name]
        if user not in clients:
            client = app.test_client()
            page = client.get("/login").get_data(as_text=True)
            answer = client.post("/login", data={"username": user, "password": password,
                                                 "csrf_token": CSRF.search(page).group(1)})
            if answer.status_code != 302:
                raise RuntimeError(f"{user} could not sign in")
            clients[user] = client
        client, path = clients[user], pattern.format(**deep)
        for _ in range(3):  # warm: compiled templates, statement caches
            if client.get(path).status_code != 200:
                raise RuntimeError(f"{path} as {user} did not answer 200")
        totals, sqls, counts = [], [], []
        for _ in range(args.requests):
            captured.clear()
            started = time.perf_counter()
            response = client.get(path)
            totals.append((time.perf_counter() - started) * 1000)
            sqls.append(sum(captured))
            counts.append(len(captured))
        size = len(response.get_data())
        profiler = cProfile.Profile()
        for _ in range(args.requests):
            profiler.enable()
            client.get(path)
            profiler.disable()
        stats = pstats.Stats(profiler)
        total = sum(row[2] for row in stats.stats.values())  # type: ignore[attr-defined]
        by_layer: dict[str, float] = defaultdict(float)
        for (filename, _line, _name), row in stats.stats.items():  # type: ignore[attr-defined]
            by_layer[layer_of(filename)] += row[2]
        print(f"\n## {name}: {path}  ({size:,} bytes)\n   in-process median {percentile(totals, 0.5):.1f} ms "
              f"(p95 {percentile(totals, 0.95):.1f}), SQL {percentile(sqls, 0.5):.1f} ms in "
              f"{percentile(counts, 0.5)} statements; under the profiler {1000 * total / args.requests:.1f} ms")
        for layer, seconds in sorted(by_layer.items(), key=lambda item: -item[1]):
            print(f"   {layer:<40}{1000 * seconds / args.requests:8.2f} ms {100 * seconds / total:6.1f}%")
        stats.sort_stats("tottime").print_stats(args.top)
        if args.save:
            stats.dump_stats(f"{args.save}.{name}.prof")
    get_db().dispose()


if __name__ == "__main__":
    sys.exit(main())
