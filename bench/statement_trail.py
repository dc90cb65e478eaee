"""Every SQL statement one referral walk sends, per request, with the app frames that sent it: where
`task_throughput.statements_per_request`'s counts come from, for cutting them (issue 20).

In-process on a fresh SQLite hub (the same hub and walk as the count). Prints, for the last case walked, each
request (kind and step) with its statements in order, each with the innermost app frames that sent it.

    .venv/bin/python bench/statement_trail.py [--cases 2] [--frames 3] [--only "POST complete"]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import traceback
from pathlib import Path

from benchlib import ROOT, use_project_venv  # bench/ is on sys.path when a script runs

use_project_venv()

from task_throughput import in_process_hub, step_names, walk_in_process  # noqa: E402

#: Frames of the request's frame (the unit of work, Flask's dispatch) say nothing about who asked.
QUIET = ("/app/core/db.py", "/app/api/__init__.py")


def app_frames(depth: int) -> str:
    frames = [frame for frame in traceback.extract_stack()
              if "/app/" in frame.filename and not frame.filename.endswith(QUIET)]
    return " < ".join(f"{Path(frame.filename).relative_to(ROOT)}:{frame.lineno} {frame.name}"
                      for frame in reversed(frames[-depth:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=2)
    parser.add_argument("--frames", type=int, default=3)
    parser.add_argument("--only", default=None, help="one request kind, e.g. 'POST complete'")
    args = parser.parse_args()
    from sqlalchemy import event

    workdir = Path(tempfile.mkdtemp(prefix="mash-trail-"))
    try:
        with in_process_hub(workdir) as (_app, request):
            from app.core.db import get_db

            sent: list[tuple[str, str, bool]] = []
            requests: list[tuple[str, str, list[tuple[str, str, bool]]]] = []
            event.listen(get_db().engine, "before_cursor_execute",
                         lambda _c, _cu, statement, _p, _x, many: sent.append(
                             (" ".join(statement.split()[:6]), app_frames(args.frames), many)))

            def call(kind: str, user: str, method: str, path: str, body: dict | None = None) -> dict:
                sent.clear()
                response = request(user, method, path, body)
                if response.status_code >= 300:
                    raise RuntimeError(f"{method} {path}: {response.status_code}")
                requests.append((kind, path, list(sent)))
                return response.get_json()

            walk_in_process(request, step_names(), args.cases, call)
        last_case = max(n for n, (kind, _, _) in enumerate(requests) if kind == "POST contacts")
        for kind, path, statements in requests[last_case:]:
            if args.only and kind != args.only:
                continue
            print(f"\n== {kind} {path}: {len(statements)} statements")
            for number, (text, frames, many) in enumerate(statements, 1):
                print(f"{number:3d} {'[many] ' if many else ''}{text}\n      {frames}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
