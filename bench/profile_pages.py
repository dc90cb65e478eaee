"""Where a page's time goes: the case page, the case API, the person page, the SLA wall and the inboxes, each requested
in-process (Flask's test client signed in through the login form, or a bearer token for the API; no HTTP) against
the PostgreSQL database `bench/scale.py --data DIR` filled (its server is started again on DIR and stopped at the end).

Each page is requested --requests times for the median and p95 with its SQL milliseconds and statements, then as
many times more under cProfile, grouped by layer (GOV.UK Frontend's compiled macros, our compiled templates, Jinja's
runtime, SQLAlchemy, psycopg, Flask, each app package), with the top functions. Cases and people are drawn at random
each request; the deep pages are nine tenths of the way down, as in bench/scale.py. Figures under the profiler are
about twice the plain ones: compare layers with each other, and take speed from the medians (or bench/scale.py's
--in-process ones).

    .venv/bin/python bench/profile_pages.py --data DIR [--pages case,wall,inbox-deep] [--requests 30] [--top 25]
        [--sort cumulative|tottime] [--statements] [--no-profile] [--save PREFIX]
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import shutil
import tempfile
import time
from pathlib import Path

from benchlib import (  # bench/ is on sys.path when a script runs
    Layers,
    find_layer,
    percentile,
    print_layers,
    print_top,
    time_by_layer,
    use_project_venv,
)

use_project_venv()

from sqlalchemy import event  # noqa: E402

import scale  # noqa: E402
from task_throughput import load_average  # noqa: E402
from tests.postgres_server import ThrowawayPostgres, postgres_bin  # noqa: E402

#: --pages names for bench/scale.py's pages (its labels): its users, paths and deep pages are the ones profiled.
NAMES = {
    "case": "case page HTML /cases/<id>",
    "case-api": "GET /api/v1/cases/<id>",
    "person": "person page /people/<id>",
    "wall": "SLA wall /dashboard",
    "wall-deep": "SLA wall deep page",
    "wall-fragment": "SLA wall fragment (refresh)",
    "inbox": "inbox HTML (mash-manager)",
    "inbox-deep": "inbox HTML deep page (mash-manager)",
    "inbox-police": "inbox HTML (police)",
}
#: name -> (label, user, path pattern)
PAGES = {name: next(page for page in scale.PAGES if page[0] == label) for name, label in NAMES.items()}
LAYERS: Layers = (
    ("GOV.UK Frontend macros (compiled)", "/govuk_frontend_jinja/"),
    ("our templates (compiled)", ".html"),
    ("Jinja runtime", "/jinja2/"),
    ("markupsafe", "/markupsafe/"),
    ("SQLAlchemy", "/sqlalchemy/"),
    ("psycopg (the driver)", "/psycopg"),
    ("Flask + Werkzeug", "/flask"),
    ("Flask + Werkzeug", "/werkzeug/"),
    ("zoneinfo", "/zoneinfo/"),
)


def layer_of(filename: str) -> str:
    return find_layer(filename, LAYERS, app_packages=True)


def page_names(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in PAGES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown page {', '.join(unknown) or value!r}: pick of {', '.join(PAGES)}")
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="a directory bench/scale.py --data filled")
    parser.add_argument("--pages", type=page_names, default=list(PAGES),
                        help=f"comma-separated, of {', '.join(PAGES)} (default: all)")
    parser.add_argument("--requests", type=int, default=30,
                        help="requests of each page timed, then as many profiled (default 30)")
    parser.add_argument("--top", type=int, default=25, help="functions listed (default 25)")
    parser.add_argument("--sort", choices=("cumulative", "tottime"), default="cumulative",
                        help="list the top functions by cumulative time (default) or by their own time (tottime)")
    parser.add_argument("--no-profile", action="store_true", help="only the timings and statement counts, without "
                        "the profiler (quicker: for runs of two builds in turn)")
    parser.add_argument("--statements", action="store_true", help="list the statements of one request of each page")
    parser.add_argument("--save", type=Path, help="also save each page's raw profile (pstats) as SAVE.<page>.prof")
    args = parser.parse_args()
    filled = json.loads((args.data / "filled.json").read_text())
    postgres = ThrowawayPostgres(postgres_bin(), durable=False, directory=args.data)
    workdir = Path(tempfile.mkdtemp(prefix="mash-profile-pages-"))
    try:
        url = postgres.url("mash_scale")
        _counts, _tables, samples = scale.database_figures(url, vacuum=False)
        print(f"MASH page profile | PostgreSQL {postgres.version} | {filled['open']} open and {filled['closed']} "
              f"closed cases | {args.requests} requests a page | load average at start: {load_average()}", flush=True)
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
    captured: list[tuple[str, float]] = []  # (statement, milliseconds) of the request under way

    @event.listens_for(get_db().engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info["started"] = time.perf_counter()

    @event.listens_for(get_db().engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, (time.perf_counter() - conn.info["started"]) * 1000))

    clients, tokens = {}, {}
    rng = random.Random(3)
    for name in args.pages:
        _label, user, pattern = PAGES[name]
        if user not in clients:
            clients[user] = scale.signed_in_client(app, user, password)
        headers = {}
        if pattern.startswith("/api/"):
            if user not in tokens:
                with get_db().unit_of_work() as session:
                    tokens[user] = mint_token(session, user_by_username(session, user), "profile_pages")
            headers = {"Authorization": f"Bearer {tokens[user]}"}

        def get(client=clients[user], user: str = user, pattern: str = pattern, headers: dict = headers) -> int:
            """One request of a random case or person; its size in bytes."""
            path = pattern.format(case=rng.choice(samples["case"]), person=rng.choice(samples["person"]),
                                  wall_deep=samples["wall_deep"], inbox_deep=samples["inbox_deep"])
            response = client.get(path, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"{path} as {user}: {response.status_code}")
            return len(response.get_data())

        for _ in range(5):
            get()  # warm: the compiled process, templates, statement caches
        timings, sqls, counts, sizes = [], [], [], []
        for _ in range(args.requests):
            captured.clear()
            started = time.perf_counter()
            sizes.append(get())
            timings.append((time.perf_counter() - started) * 1000)
            sqls.append(sum(ms for _sql, ms in captured))
            counts.append(len(captured))
        shown = pattern.format(case="<id>", person="<id>", wall_deep=samples["wall_deep"],
                               inbox_deep=samples["inbox_deep"])
        summary = (f"\n## {name}: {shown} as {user} ({percentile(sizes, 0.5):,} bytes)\n"
                   f"   without the profiler median {percentile(timings, 0.5):.1f} ms (p95 "
                   f"{percentile(timings, 0.95):.1f}), SQL {percentile(sqls, 0.5):.1f} ms; statements per request "
                   f"{min(counts)}-{max(counts)} (median {percentile(counts, 0.5)})")
        if args.no_profile:
            print(summary)
        else:
            profiler = cProfile.Profile()
            for _ in range(args.requests):
                profiler.enable()
                get()
                profiler.disable()
            stats = pstats.Stats(profiler)
            total, by_layer = time_by_layer(stats, layer_of)
            print(f"{summary}; under the profiler {1000 * total / args.requests:.1f} ms")
            print_layers(by_layer, total, args.requests, "request")
            print_top(stats, args.top, args.sort)
            if args.save:
                stats.dump_stats(f"{args.save}.{name}.prof")
        if args.statements:
            captured.clear()
            get()
            print(f"   the statements of one request ({len(captured)}):")
            for sql, ms in captured:
                print(f"   {ms:7.2f} ms  {' '.join(sql.split())[:140]}")
    get_db().dispose()


if __name__ == "__main__":
    main()
