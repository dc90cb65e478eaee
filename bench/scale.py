"""Scale: the pages managers and practitioners open most, on a PostgreSQL database holding realistic volumes.

On a throwaway PostgreSQL server it runs `mash init-db` and `mash demo --cases OPEN --closed CLOSED`
(app/demo_volume.py), VACUUM ANALYZE, starts `mash serve`, then times --requests requests each, one at a time,
of: the inbox (HTML and GET /api/v1/tasks) for police and the MASH manager, the SLA wall (/dashboard), a case
page (HTML /cases/<id> and GET /api/v1/cases/<id>) and a person page (/people/<id>) for random cases and people.
It prints p50/p95/max per page (the SLA wall's first and a deep page, the inbox's first and a deep page),
the load average at the start and the end, and with --before a file saved by --save from an earlier run (main's)
side by side; then the SQL behind one request of each page (captured in-process with a
SQLAlchemy event hook) with EXPLAIN (ANALYZE, BUFFERS) of its slowest statements and the indexes they use.
Figures only: it exits 1 only when a page answers with an error.

Run: .venv/bin/python bench/scale.py   (defaults: 100,000 open and 1,000,000 closed cases; see --help)

Filling 1,000,000 closed cases takes 30-60 minutes, so `--data DIR` keeps the server's files in DIR: the first run
fills the database there (`--fill-only` stops after the fill and VACUUM ANALYZE) and later runs given the same DIR
start that server again and measure the filled database as it is (DIR/filled.json records what it holds and the
demo users' password). Delete DIR when done: it is about 14 GB at the defaults.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import re
import secrets
import shutil
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import percentile, use_project_venv

use_project_venv()

import subprocess  # noqa: E402

from sqlalchemy import create_engine, event, text  # noqa: E402

from task_throughput import ROOT, MashServer  # noqa: E402
from tests.postgres_server import ThrowawayPostgres, postgres_bin  # noqa: E402
from tests.server_processes import mash_command  # noqa: E402

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
#: (label, user, path; {case} and {person} are filled with a random case or person each request).
#: {wall_deep} and {inbox_deep} are pages nine tenths of the way down the wall and the MASH manager's inbox (a
#: build without paging ignores ?page= and shows its first rows: the "before" figures).
PAGES = (
    ("inbox HTML (police)", "police", "/inbox"),
    ("inbox HTML (mash-manager)", "mash-manager", "/inbox"),
    ("inbox HTML deep page (mash-manager)", "mash-manager", "/inbox?page={inbox_deep}"),
    ("GET /api/v1/tasks (police)", "police", "/api/v1/tasks"),
    ("SLA wall /dashboard", "mash-manager", "/dashboard"),
    ("SLA wall deep page", "mash-manager", "/dashboard?page={wall_deep}"),
    ("SLA wall fragment (refresh)", "mash-manager", "/dashboard?fragment=1"),
    ("case page HTML /cases/<id>", "mash-manager", "/cases/{case}"),
    ("GET /api/v1/cases/<id>", "mash-manager", "/api/v1/cases/{case}"),
    ("person page /people/<id>", "mash-manager", "/people/{person}"),
)


class Browser:
    """A signed-in session through the real login form (cookies + CSRF), or a bearer token for /api/."""

    def __init__(self, base: str, username: str, password: str, token: str) -> None:
        self.base, self.token = base, token
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                                  urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = self.opener.open(f"{base}/login", timeout=60).read().decode()
        form = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrf_token": CSRF.search(page).group(1)}).encode()
        with self.opener.open(f"{base}/login", data=form, timeout=60) as response:
            if urllib.parse.urlsplit(response.geturl()).path == "/login":
                raise RuntimeError(f"{username} could not sign in")

    def get(self, path: str) -> tuple[int, float, int]:
        headers = {"Authorization": f"Bearer {self.token}"} if path.startswith("/api/") else {}
        started = time.perf_counter()
        try:
            with self.opener.open(urllib.request.Request(self.base + path, headers=headers), timeout=300) as response:
                status, size = response.status, len(response.read())
        except urllib.error.HTTPError as error:
            status, size = error.code, 0
        return status, time.perf_counter() - started, size


def signed_in_client(app, username: str, password: str):
    """A Flask test client (in-process, no HTTP) signed in through the real login form (cookies + CSRF)."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    signed_in = client.post("/login", data={"username": username, "password": password,
                                            "csrf_token": CSRF.search(page).group(1)})
    if signed_in.status_code != 302:
        raise RuntimeError(f"{username} could not sign in (in-process)")
    return client


def generate(url: str, open_cases: int, closed_cases: int, seed: int, password: str) -> float:
    env = {**os.environ, "MASH_DATABASE_URL": url, "MASH_DEMO_PASSWORD": password}
    subprocess.run([*mash_command(), "init-db"], cwd=ROOT, env=env, check=True, capture_output=True)
    started = time.monotonic()
    subprocess.run([*mash_command(), "demo", "--cases", str(open_cases), "--closed", str(closed_cases),
                    "--seed", str(seed)], cwd=ROOT, env=env, check=True)
    return time.monotonic() - started


def database_figures(url: str, vacuum: bool = True) -> tuple[dict, list, dict]:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        started = time.monotonic()
        connection.execute(text("VACUUM ANALYZE" if vacuum else "ANALYZE"))
        vacuum_seconds = time.monotonic() - started
        counts = {name: connection.execute(text(sql)).scalar() for name, sql in (
            ("open cases", "SELECT count(*) FROM mash_case WHERE status = 'open'"),
            ("closed cases", "SELECT count(*) FROM mash_case WHERE status = 'closed'"),
            ("open tasks", "SELECT count(*) FROM open_task"),
            ("deadlines", "SELECT count(*) FROM deadline"),
            ("audit events", "SELECT count(*) FROM audit_event"),
            ("database size", "SELECT pg_size_pretty(pg_database_size(current_database()))"))}
        counts["VACUUM ANALYZE" if vacuum else "ANALYZE"] = f"{vacuum_seconds:.0f} s"
        tables = connection.execute(text(
            "SELECT relname, pg_size_pretty(pg_total_relation_size(relid)), n_live_tup FROM pg_stat_user_tables "
            "ORDER BY pg_total_relation_size(relid) DESC LIMIT 10")).all()
        samples = {
            "case": [r[0] for r in connection.execute(text("SELECT id FROM mash_case ORDER BY random() LIMIT 2000"))],
            "person": [r[0] for r in connection.execute(text("SELECT id FROM person ORDER BY random() LIMIT 2000"))],
            "wall_deep": max(1, counts["open cases"] * 9 // 10 // 50),
            "inbox_deep": max(1, connection.execute(text(
                "SELECT count(*) FROM open_task WHERE role = 'mash-manager'")).scalar() * 9 // 10 // 50)}
    engine.dispose()
    return counts, tables, samples


def measure(server: MashServer, samples: dict, requests: int, rng: random.Random, password: str) -> tuple[list, int]:
    browsers = {user: Browser(server.base, user, password, server.tokens[user]) for user in {p[1] for p in PAGES}}
    rows, failures = [], 0
    for label, user, pattern in PAGES:
        timings, sizes, statuses = [], [], {}
        for _ in range(requests):
            path = pattern.format(case=rng.choice(samples["case"]), person=rng.choice(samples["person"]),
                                  wall_deep=samples["wall_deep"], inbox_deep=samples["inbox_deep"])
            status, seconds, size = browsers[user].get(path)
            statuses[status] = statuses.get(status, 0) + 1
            timings.append(seconds * 1000)
            sizes.append(size)
        failures += sum(n for s, n in statuses.items() if s >= 400)
        rows.append((label, percentile(timings, 0.5), percentile(timings, 0.95), max(timings),
                     sum(sizes) // len(sizes), statuses))
    return rows, failures


def explain(url: str, workdir: Path, token: str, samples: dict, password: str, repeat: int = 1) -> None:
    """One request of each page in-process with every statement captured, then EXPLAIN of the slowest three;
    with ``repeat`` > 1 first the median of that many requests (random cases and people) in-process."""
    rng = random.Random(2)
    from app import create_app
    from app.core.config import load_settings
    from app.core.db import get_db

    app = create_app(load_settings(database_url=url, instance_path=workdir / "explain"))
    engine = get_db().engine
    captured: list[list] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info["started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        captured.append([statement, parameters, (time.perf_counter() - conn.info["started"]) * 1000])

    clients = {user: signed_in_client(app, user, password) for user in {p[1] for p in PAGES}}
    case_id, person_id = samples["case"][0], samples["person"][0]
    for label, user, pattern in PAGES:
        path = pattern.format(case=case_id, person=person_id, wall_deep=samples["wall_deep"],
                              inbox_deep=samples["inbox_deep"])
        headers = {"Authorization": f"Bearer {token[user]}"} if path.startswith("/api/") else {}
        clients[user].get(path, headers=headers)  # warm the caches (compiled process, statements)
        if repeat > 1:  # medians over random cases and people: steadier than one request on a busy machine
            totals, sqls = [], []
            for _ in range(repeat):
                again = pattern.format(case=rng.choice(samples["case"]), person=rng.choice(samples["person"]),
                                       wall_deep=samples["wall_deep"], inbox_deep=samples["inbox_deep"])
                captured.clear()
                started = time.perf_counter()
                clients[user].get(again, headers=headers)
                totals.append((time.perf_counter() - started) * 1000)
                sqls.append(sum(c[2] for c in captured))
            print(f"\n## {label}: median of {repeat} in-process: {percentile(totals, 0.5):.1f} ms, "
                  f"{percentile(sqls, 0.5):.1f} ms in SQL")
        captured.clear()
        started = time.perf_counter()
        status = clients[user].get(path, headers=headers).status_code
        total = (time.perf_counter() - started) * 1000
        statements = [c for c in captured if c[0].lstrip().upper().startswith("SELECT")]
        sql_ms = sum(c[2] for c in captured)
        print(f"\n## {label}: {path} -> {status}; {total:.0f} ms in-process, {len(captured)} statements, "
              f"{sql_ms:.0f} ms in SQL")
        for statement, parameters, ms in sorted(statements, key=lambda c: -c[2])[:3]:
            with engine.connect() as connection:
                raw = connection.connection.driver_connection
                plan = [r[0] for r in raw.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)]
                connection.rollback()
            indexes = sorted(set(re.findall(r"(?:Index|Index Only|Bitmap Index) Scan (?:Backward )?(?:using|on) (\w+)",
                                            "\n".join(plan))))
            scans = sorted(set(re.findall(r"Seq Scan on (\w+)", "\n".join(plan))))
            execution = next((line for line in plan if line.startswith("Execution Time")), "")
            print(f"  {ms:7.1f} ms  {' '.join(statement.split())[:230]}")
            print(f"           indexes: {', '.join(indexes) or '-'}; seq scans: {', '.join(scans) or '-'}; {execution}")
            for line in plan[:14]:
                print(f"             {line}")
    get_db().dispose()


def side_by_side(before: dict, rows: list) -> None:
    """This run's p50/p95 next to an earlier run's (``--before``), page by page."""
    earlier = {row["page"]: row for row in before["rows"]}
    print(f"\nbefore ({before['open']} open, {before['closed']} closed) and now, ms")
    print(f"{'page':36} {'p50 before':>10} {'p50 now':>8} {'p95 before':>10} {'p95 now':>8}")
    for label, p50, p95, *_ in rows:
        was = earlier.get(label)
        then = (f"{was['p50']:10.1f}", f"{was['p95']:10.1f}") if was else (f"{'-':>10}", f"{'-':>10}")
        print(f"{label:36} {then[0]} {p50:8.1f} {then[1]} {p95:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=100_000, help="open cases (default 100,000)")
    parser.add_argument("--closed", type=int, default=1_000_000, help="closed cases (default 1,000,000)")
    parser.add_argument("--requests", type=int, default=200, help="requests per page (default 200)")
    parser.add_argument("--scheduler", choices=("server", "process", "off"), default="server",
                        help="where the deadline scheduler runs while the pages are timed: in the server's worker "
                             "(`mash serve`, the default), in a process of its own (`mash scheduler` beside `mash "
                             "serve --no-scheduler`, as a large hub would run it), or not at all (the pages' own cost)")
    parser.add_argument("--settle", type=float, default=10.0,
                        help="seconds to wait after the server starts before timing (default 10): its worker's first "
                             "passes (the deadline scheduler's, the notification sender's) slow the first seconds' "
                             "requests on a database this size; 0 times them too")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-explain", action="store_true", help="skip the EXPLAIN (ANALYZE, BUFFERS) part")
    parser.add_argument("--save", type=Path, help="write the figures to this JSON file (e.g. a run of main)")
    parser.add_argument("--before", type=Path, help="a --save file from an earlier run (say, main's) to print "
                        "side by side with this one")
    parser.add_argument("--what-if", action="append", default=[], metavar="SQL",
                        help="after measuring, run this SQL (e.g. CREATE INDEX ...), ANALYZE, and measure again")
    parser.add_argument("--in-process", type=int, default=1, metavar="N", help="also time N requests of each page "
                        "in-process (SQL captured) and print the medians (steadier than served figures under load)")
    parser.add_argument("--data", type=Path, metavar="DIR", help="keep the PostgreSQL server's files in DIR and "
                        "reuse the database filled there by an earlier run (its --open/--closed/--seed win)")
    parser.add_argument("--fill-only", action="store_true", help="with --data: fill the database, then stop")
    args = parser.parse_args()
    if args.fill_only and args.data is None:
        parser.error("--fill-only needs --data DIR")
    bin_dir = postgres_bin()
    if bin_dir is None:
        sys.exit("PostgreSQL server binaries are not installed")
    workdir = Path(tempfile.mkdtemp(prefix="mash-bench-scale-"))
    # fsync off: this measures reads; the load writes tens of GB that a crash would have us redo anyway.
    postgres = ThrowawayPostgres(bin_dir, durable=False, directory=args.data)
    marker = args.data / "filled.json" if args.data else None
    server = scheduler = None
    try:
        filled = json.loads(marker.read_text()) if marker and marker.exists() else None
        if filled:
            args.open, args.closed, args.seed = filled["open"], filled["closed"], filled["seed"]
            url, password = postgres.url("mash_scale"), filled["password"]
            print(f"PostgreSQL {postgres.version}; reusing {args.data}: {args.open} open and {args.closed} closed "
                  f"cases filled {filled['when']}; load average {Path('/proc/loadavg').read_text().split()[0]}",
                  flush=True)
            counts, tables, samples = database_figures(url, vacuum=False)
            print(f"\nFilled earlier in {filled['seconds']:.0f} s; load average "
                  f"{' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
        else:
            if postgres.reused:
                postgres.execute("DROP DATABASE IF EXISTS mash_scale")  # an interrupted fill: start again
            postgres.execute("ALTER SYSTEM SET max_wal_size = '8GB'")
            postgres.execute("SELECT pg_reload_conf()")
            url = postgres.create_database("mash_scale")
            print(f"PostgreSQL {postgres.version}; {args.open} open and {args.closed} closed cases; "
                  f"load average {Path('/proc/loadavg').read_text().split()[0]}", flush=True)
            password = secrets.token_urlsafe(16)  # the demo users are made by this first `mash demo`
            seconds = generate(url, args.open, args.closed, args.seed, password)
            counts, tables, samples = database_figures(url)
            if marker:
                marker.write_text(json.dumps({"open": args.open, "closed": args.closed, "seed": args.seed,
                                              "password": password, "seconds": seconds,
                                              "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}))
            print(f"\nGeneration: {seconds:.0f} s ({(args.open + args.closed) / seconds:.0f} cases/s); "
                  f"load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
        for name, value in counts.items():
            print(f"  {name:15} {value}")
        print("  largest tables: " + "; ".join(f"{t[0]} {t[1]}" for t in tables))
        if args.fill_only:
            print(f"\nFilled; measure with --data {args.data}")
            return
        server = MashServer(url, workdir, scheduler=args.scheduler == "server")
        if args.scheduler == "process":
            scheduler = subprocess.Popen([*mash_command(), "scheduler"], cwd=ROOT, env=server.env,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(args.settle)
        failures = 0
        for round_ in range(2 if args.what_if else 1):
            if round_:
                engine = create_engine(url, isolation_level="AUTOCOMMIT")
                with engine.connect() as connection:
                    for sql in args.what_if:
                        started = time.monotonic()
                        connection.execute(text(sql))
                        print(f"\n# what if: {sql} ({time.monotonic() - started:.0f} s)")
                    connection.execute(text("ANALYZE"))
                engine.dispose()
            rows, failed = measure(server, samples, args.requests, random.Random(args.seed), password)
            failures += failed
            timed = f"; timed from {args.settle:g} s after the server started; scheduler: {args.scheduler}"
            print(f"\n{'page':36} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'bytes':>9}  statuses  "
                  f"(load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}{timed})")
            for label, p50, p95, worst, size, statuses in rows:
                print(f"{label:36} {p50:8.1f} {p95:8.1f} {worst:8.1f} {size:9d}  {statuses}")
            if args.save and not round_:
                args.save.write_text(json.dumps({"open": args.open, "closed": args.closed, "rows": [
                    {"page": r[0], "p50": r[1], "p95": r[2], "max": r[3], "bytes": r[4]} for r in rows]}, indent=1))
            if args.before and not round_:
                side_by_side(json.loads(args.before.read_text()), rows)
            if not args.no_explain:
                explain(url, workdir, server.tokens, samples, password, args.in_process)
        print(f"\nload average at the end {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
        if failures:
            print(f"\n{failures} requests failed", file=sys.stderr)
            sys.exit(1)
    finally:
        if scheduler is not None:
            scheduler.terminate()
            scheduler.wait(timeout=30)
        if server is not None:
            server.stop()
        postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)  # the server's log and instance folder


if __name__ == "__main__":
    main()
