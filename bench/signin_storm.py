"""Sign-in storm: forty people sign in at once while others work; how long do the others wait?

For each configuration: a fresh SQLite database in a temp dir, `mash init-db` + `mash demo`, tokens from
`mash token`, and `mash serve --workers 1 --threads T` (bench/task_throughput.py's MashServer) with the hashing
pool set by MASH_HASHING_POOL_SIZE (0: off, every sign-in hashes at once, as before issue 20). A few clients
keep making ordinary API requests (GET /api/v1/tasks with a bearer token) throughout; after a quiet spell,
`--signins` browsers (default 40) each open the sign-in page (CSRF token and cookie from the page) and are
released together to POST the real form with a demo user's password. Prints p50/p95/max of the other requests
(alone, and while the storm lasts) and of the sign-in POSTs, sign-ins per second, every non-success status, and
the load average at the start and the end. Figures only: it never passes or fails.

    .venv/bin/python bench/signin_storm.py [--signins 40] [--others 4] [--pool 0,1] [--nice 10] [--threads 48]
"""
from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import shutil
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from benchlib import percentile, use_project_venv  # bench/ is on sys.path when a script runs

use_project_venv()

from app.demo import demo_users  # noqa: E402
from task_throughput import MashServer  # noqa: E402  (init-db, demo, tokens, mash serve on a free port)

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
OTHER_USERS = ("police", "health", "mash-manager", "business-support")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # the POST's own answer is what is timed
        return None


def _opener(jar: http.cookiejar.CookieJar | None = None) -> urllib.request.OpenerDirector:
    handlers: list = [urllib.request.ProxyHandler({}), _NoRedirect()]
    if jar is not None:
        handlers.append(urllib.request.HTTPCookieProcessor(jar))
    return urllib.request.build_opener(*handlers)


def _status(opener: urllib.request.OpenerDirector, request: urllib.request.Request | str) -> tuple[int | str, bytes]:
    try:
        with opener.open(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError as error:
        return f"connection: {error}"[:60], b""


class Others:
    """Clients making ordinary signed-in API requests in a loop, each timed with its start time."""

    def __init__(self, base: str, tokens: dict[str, str], count: int) -> None:
        self.base, self.tokens = base, tokens
        self.samples: list[tuple[float, float, int | str]] = []  # (started, ms, status)
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._loop, args=(OTHER_USERS[i % len(OTHER_USERS)],), daemon=True)
                         for i in range(count)]

    def _loop(self, user: str) -> None:
        opener = _opener()
        while not self._stop.is_set():
            request = urllib.request.Request(f"{self.base}/api/v1/tasks", headers={
                "Authorization": f"Bearer {self.tokens[user]}", "Accept": "application/json"})
            started = time.perf_counter()
            status, _ = _status(opener, request)
            self.samples.append((started, (time.perf_counter() - started) * 1000, status))
            time.sleep(0.05)  # a person's pace, not a flood: the point is how long each one waits

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()


def storm(base: str, usernames: list[str], password: str,
          count: int) -> tuple[list[tuple[float, int | str]], float, float]:
    """``count`` browsers open the sign-in page, then post the form together. Returns (ms, status) per sign-in,
    when they were let go (perf_counter) and the storm's wall-clock seconds."""
    ready = threading.Barrier(count + 1)
    results: list[tuple[float, int | str]] = []

    def one(i: int) -> None:
        jar = http.cookiejar.CookieJar()
        opener = _opener(jar)
        status, page = _status(opener, f"{base}/login")
        token = CSRF.search(page.decode(errors="replace"))
        ready.wait()
        if token is None:
            results.append((0.0, f"login page {status}"))
            return
        form = urllib.parse.urlencode({"username": usernames[i % len(usernames)], "password": password,
                                       "csrf_token": token.group(1)}).encode()
        started = time.perf_counter()
        status, _ = _status(opener, urllib.request.Request(f"{base}/login", data=form, method="POST"))
        results.append(((time.perf_counter() - started) * 1000, status))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    ready.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return results, began, time.perf_counter() - began


def _summary(label: str, values: list[float]) -> str:
    if not values:
        return f"{label:<34} (none)"
    return (f"{label:<34} n={len(values):>4}  p50 {percentile(values, 0.5):8.1f} ms  p95 "
            f"{percentile(values, 0.95):8.1f} ms  max {max(values):8.1f} ms")


def run(pool_size: int, nice: int, threads: int, args: argparse.Namespace, workdir: Path) -> dict:
    os.environ["MASH_HASHING_POOL_SIZE"] = str(pool_size)
    os.environ["MASH_HASHING_NICE"] = str(nice)
    server = MashServer(f"sqlite:///{workdir / 'storm.db'}", workdir, workers=1, threads=threads)
    try:
        others = Others(server.base, server.tokens, args.others)
        others.start()
        time.sleep(args.quiet)
        signins, storm_began, seconds = storm(server.base, [name for name, _display, _roles in demo_users()],
                                              server.env["MASH_DEMO_PASSWORD"], args.signins)
        storm_ended = time.perf_counter()
        time.sleep(1.0)
        others.stop()
    finally:
        server.stop()
    alone = [ms for started, ms, _ in others.samples if started < storm_began]
    during = [ms for started, ms, _ in others.samples if storm_began <= started <= storm_ended]
    ok = sum(1 for _ms, status in signins if status == 302)
    statuses: dict[str, int] = {}
    for _ms, status in signins:
        if status != 302:
            statuses[f"sign-in {status}"] = statuses.get(f"sign-in {status}", 0) + 1
    for _started, _ms, status in others.samples:
        if status != 200:
            statuses[f"other {status}"] = statuses.get(f"other {status}", 0) + 1
    label = f"pool {'off' if pool_size == 0 else f'{pool_size} nice {nice}'}, threads {threads}"
    print(f"\n== {label}: {args.signins} sign-ins at once, {args.others} other clients")
    print(_summary("other requests, before the storm", alone))
    print(_summary("other requests, during the storm", during))
    print(_summary("sign-in POST /login", [ms for ms, _status in signins]))
    print(f"{'sign-ins':<34} {ok}/{len(signins)} signed in in {seconds:.1f} s = {ok / seconds:.1f}/s")
    print(f"{'errors':<34} {statuses or 'none'}")
    return {"label": label, "during": during, "signins": [ms for ms, _ in signins], "ok": ok, "seconds": seconds,
            "errors": sum(statuses.values())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signins", type=int, default=40)
    parser.add_argument("--others", type=int, default=4, help="clients making other requests throughout")
    parser.add_argument("--pool", default="0,1", help="hashing pool sizes to run (0: off, as before issue 20)")
    parser.add_argument("--nice", default="10", help="MASH_HASHING_NICE values to run with each pool size > 0")
    parser.add_argument("--threads", default="48", help="`mash serve --threads` values to run")
    parser.add_argument("--quiet", type=float, default=2.0, help="seconds of other requests before the storm")
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    rows = []
    for threads in (int(x) for x in args.threads.split(",")):
        for pool_size in (int(x) for x in args.pool.split(",")):
            for nice in ([int(x) for x in args.nice.split(",")] if pool_size else [0]):
                workdir = Path(tempfile.mkdtemp(prefix="mash-bench-storm-"))
                try:
                    rows.append(run(pool_size, nice, threads, args, workdir))
                finally:
                    shutil.rmtree(workdir, ignore_errors=True)
    print(f"\n{'configuration':<30} {'others p95 (storm)':>19} {'others max':>11} {'sign-in p50':>12} "
          f"{'sign-in p95':>12} {'sign-ins/s':>11} {'errors':>7}")
    for row in rows:
        during, signins = row["during"] or [0.0], row["signins"] or [0.0]
        print(f"{row['label']:<30} {percentile(during, 0.95):16.1f} ms {max(during):8.1f} ms "
              f"{percentile(signins, 0.5):9.1f} ms {percentile(signins, 0.95):9.1f} ms "
              f"{row['ok'] / row['seconds']:11.1f} {row['errors']:7d}")
    print(f"\nload average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
