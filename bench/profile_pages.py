"""Where a case page's and a person page's time goes: cProfile over N requests of each, in-process (a Flask test
client signed in as the MASH manager, no HTTP) against the PostgreSQL database `bench/scale.py --data DIR` filled,
grouped by layer (templates, SQLAlchemy, the driver, each app package), with the statements per request.

Figures are under the profiler (which slows Python calls about twofold): compare layers with each other, and take
speed from bench/scale.py (its --in-process medians).

    .venv/bin/python bench/profile_pages.py --data DIR [--requests 50] [--top 25] [--save pages.prof]
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import re
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from benchlib import percentile, use_project_venv  # bench/ is on sys.path when a script runs

use_project_venv()

from sqlalchemy import event  # noqa: E402

from scale import CSRF, database_figures  # noqa: E402
from task_throughput import load_average  # noqa: E402
from tests.postgres_server import ThrowawayPostgres, postgres_bin  # noqa: E402

#: (label, path; {case} and {person} are a random case and person each request).
PAGES = (("case page HTML /cases/<id>", "/cases/{case}"), ("GET /api/v1/cases/<id>", "/api/v1/cases/{case}"),
         ("person page /people/<id>", "/people/{person}"))
#: (layer, path fragment) in the order they are tried: the first fragment found in a function's file names it.
LAYERS: tuple[tuple[str, str], ...] = (
    ("templates (compiled Jinja of app/ and govuk_frontend_jinja)", ".html"),
    ("Jinja2 runtime", "/jinja2/"),
    ("SQLAlchemy", "/sqlalchemy/"),
    ("psycopg (the driver)", "/psycopg"),
    ("Flask + Werkzeug", "/flask/"),
    ("Flask + Werkzeug", "/werkzeug/"),
)


def layer_of(filename: str) -> str:
    for layer, fragment in LAYERS:
        if fragment in filename:
            return layer
    found = re.search(r"/app/(\w+)", filename)
    if found:
        return f"app.{found.group(1)}"
    if filename.startswith("~") or "{" in filename:
        return "builtins (C calls)"
    return "other libraries"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="a directory bench/scale.py --data filled")
    parser.add_argument("--requests", type=int, default=50, help="requests of each page profiled (default 50)")
    parser.add_argument("--top", type=int, default=25, help="functions listed by cumulative time (default 25)")
    parser.add_argument("--no-profile", action="store_true", help="only the timings without the profiler and the "
                        "statement counts (quicker: for runs of two builds in turn)")
    parser.add_argument("--statements", action="store_true", help="list the statements of one request of each page")
    parser.add_argument("--save", type=Path, help="also save each page's raw profile (pstats) as SAVE.<n>")
    args = parser.parse_args()
    filled = json.loads((args.data / "filled.json").read_text())
    postgres = ThrowawayPostgres(postgres_bin(), durable=False, directory=args.data)
    workdir = Path(tempfile.mkdtemp(prefix="mash-profile-pages-"))
    try:
        url = postgres.url("mash_scale")
        _counts, _tables, samples = database_figures(url, vacuum=False)
        print(f"MASH page profile | {filled['open']} open and {filled['closed']} closed cases | "
              f"{args.requests} requests a page | load average at start: {load_average()}")
        profile(url, workdir, filled["password"], samples, args)
        print(f"\nload average at end: {load_average()}")
    finally:
        postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def profile(url: str, workdir: Path, password: str, samples: dict, args: argparse.Namespace) -> None:
    from app import create_app
    from app.auth.operations import mint_token, user_by_username
    from app.core.config import load_settings
    from app.core.db import get_db

    app = create_app(load_settings(database_url=url, instance_path=workdir / "instance"))
    statements: list[str] = []
    event.listen(get_db().engine, "before_cursor_execute", lambda _c, _k, sql, *_: statements.append(sql))
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    signed_in = client.post("/login", data={"username": "mash-manager", "password": password,
                                            "csrf_token": CSRF.search(page).group(1)})
    if signed_in.status_code != 302:
        raise RuntimeError("mash-manager could not sign in")
    with get_db().unit_of_work() as session:
        token = mint_token(session, user_by_username(session, "mash-manager"), "profile_pages")
    rng = random.Random(3)
    for number, (label, pattern) in enumerate(PAGES):
        headers = {"Authorization": f"Bearer {token}"} if pattern.startswith("/api/") else {}

        def get(pattern: str = pattern, headers: dict = headers) -> None:
            path = pattern.format(case=rng.choice(samples["case"]), person=rng.choice(samples["person"]))
            response = client.get(path, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: {response.status_code}")

        for _ in range(5):
            get()  # warm: the compiled process, templates, statement caches
        timings, counts = [], []
        for _ in range(args.requests):
            statements.clear()
            started = time.perf_counter()
            get()
            timings.append((time.perf_counter() - started) * 1000)
            counts.append(len(statements))
        summary = (f"\n## {label}: without the profiler median {percentile(timings, 0.5):.1f} ms, p95 "
                   f"{percentile(timings, 0.95):.1f} ms; statements per request {min(counts)}-{max(counts)} (median "
                   f"{percentile(counts, 0.5):.0f})")
        if args.no_profile:
            print(summary)
            continue
        profiler = cProfile.Profile()
        for _ in range(args.requests):
            profiler.enable()
            get()
            profiler.disable()
        stats = pstats.Stats(profiler)
        total = sum(row[2] for row in stats.stats.values())  # type: ignore[attr-defined]
        by_layer: dict[str, float] = defaultdict(float)
        for (filename, _line, _name), row in stats.stats.items():  # type: ignore[attr-defined]
            by_layer[layer_of(filename)] += row[2]  # tottime: time in the function itself
        print(f"{summary}; under the profiler {1000 * total / args.requests:.1f} ms")
        print(f"   {'layer (own time of its functions)':<62}{'ms/request':>11}{'share':>8}")
        for layer, seconds in sorted(by_layer.items(), key=lambda item: -item[1]):
            print(f"   {layer:<62}{1000 * seconds / args.requests:11.2f}{100 * seconds / total:7.1f}%")
        print(f"\n   top {args.top} functions by cumulative time")
        stats.sort_stats("cumulative").print_stats(args.top)
        if args.statements:
            statements.clear()
            get()
            print(f"   the statements of one request ({len(statements)}):")
            for sql in statements:
                print(f"     {' '.join(sql.split())[:150]}")
        if args.save:
            stats.dump_stats(f"{args.save}.{number}")
    get_db().dispose()


if __name__ == "__main__":
    sys.exit(main())
