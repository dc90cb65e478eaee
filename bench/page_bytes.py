"""The SLA wall's and the inboxes' HTML (or, with --case-pages, every case page as every demo user sees it) for one
fixed set of cases, written to files, to compare two builds byte for byte (a change that only makes the pages
cheaper must not change what anyone sees).

It fills a fresh SQLite hub at a frozen instant (`app.demo_volume.generate`: open cases at every stage, some
breached, some at risk, agency checks waiting, returned and late), adds a raised incident and claimed tasks, and
saves each page for each role that opens it. --case-pages first adds the demo's cases (`app.demo.seed_cases`: Ruby's
history of confirmed contacts, agency returns, a decision, feedback, an adult at risk, a missing episode, linked cases)
and a few volume cases, then saves /cases/<id> for every case as every demo user (one per role) sees it, refusals
included (the status is in the file name), in a fixed order: the "who has seen this case" lists grow alike in both
builds. What differs between two runs of the same build is replaced by
its order of appearance: CSRF tokens, CSP nonces, task ids and the template cases' random names.

    .venv/bin/python bench/page_bytes.py --out /tmp/pages-branch
    (cd /tmp/main-copy && /work/wt-x/.venv/bin/python bench/page_bytes.py --out /tmp/pages-main)
    diff -r /tmp/pages-main /tmp/pages-branch && echo same bytes
    .venv/bin/python bench/page_bytes.py --case-pages --out /tmp/case-pages-branch   (and the same on main)
"""
from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchlib import ROOT, use_project_venv  # bench/ is on sys.path when a script runs

use_project_venv()

import random  # noqa: E402
import uuid  # noqa: E402

#: Task ids are uuid4s and break ties in the inbox's order: made reproducible here, before anything imports uuid4.
_ids = random.Random(20)
uuid.uuid4 = lambda: uuid.UUID(int=_ids.getrandbits(128), version=4)

#: (file name, user, path).
PAGES = (
    ("wall", "mash-manager", "/dashboard"),
    ("wall-page-2", "mash-manager", "/dashboard?page=2"),
    ("wall-page-3", "mash-manager", "/dashboard?page=3"),
    ("wall-last-page", "mash-manager", "/dashboard?page=999"),
    ("wall-green", "mash-manager", "/dashboard?rag=green"),
    ("wall-fragment", "mash-manager", "/dashboard?fragment=1&page=2"),
    ("wall-screen", "mash-manager", "/dashboard?wall=1&refresh=30"),
    ("wall-red", "mash-manager", "/dashboard?rag=red"),
    ("wall-police", "mash-manager", "/dashboard?role=police&rag=amber"),
    ("wall-ops-manager", "ops-manager", "/dashboard"),
    ("inbox-mash-manager", "mash-manager", "/inbox"),
    ("inbox-mash-manager-page-2", "mash-manager", "/inbox?page=2"),
    ("inbox-mash-manager-last-page", "mash-manager", "/inbox?page=999"),
    ("inbox-mash-manager-mine", "mash-manager", "/inbox?mine=yes"),
    ("inbox-mash-manager-rag", "mash-manager", "/inbox?sort=rag&page=2"),
    ("inbox-mash-manager-breached", "mash-manager", "/inbox?due=breached"),
    ("inbox-mash-manager-step", "mash-manager", "/inbox?step=Chase+overdue+police+check&mine=yes"),
    ("inbox-mash-manager-bad-filters", "mash-manager", "/inbox?rag=purple&due=soon&sort=alphabetical"),
    ("inbox-mash-manager-bad-filters-again", "mash-manager", "/inbox?rag=purple&due=soon&sort=alphabetical"),
    ("inbox-police", "police", "/inbox"),
    ("inbox-health", "health", "/inbox"),
    ("inbox-ops-manager", "ops-manager", "/inbox"),
)

#: Values that differ between two runs of one build, each replaced by "<kind n>" in order of appearance.
VARYING = (
    ("csrf", re.compile(r'(?<=name="csrf_token" value=")[^"]+')),
    ("nonce", re.compile(r'(?<=nonce=")[^"]+')),
    ("uuid", re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")),
    ("name", re.compile(r"Template-[0-9a-f]{10}")),
)

#: When the cases are made, and when the pages are read (a day on: some at risk, some breached; London on GMT).
MADE = datetime(2026, 11, 16, 9, 40, tzinfo=UTC)
AT = MADE + timedelta(hours=26)


def normalised(page: str) -> str:
    for kind, pattern in VARYING:
        seen: dict[str, int] = {}
        page = pattern.sub(lambda match, kind=kind, seen=seen:
                           f"<{kind} {seen.setdefault(match.group(0), len(seen))}>", page)
    return page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="directory for the pages (made anew)")
    parser.add_argument("--cases", type=int, default=None,
                        help="open volume cases (default 160: several pages; 12 with --case-pages)")
    parser.add_argument("--case-pages", action="store_true",
                        help="every case page as every demo user sees it, instead of the wall and the inboxes")
    args = parser.parse_args()
    if args.cases is None:
        args.cases = 12 if args.case_pages else 160
    from sqlalchemy import select

    from app import create_app
    from app.auth.operations import user_by_username
    from app.core.clock import clock
    from app.core.config import load_settings
    from app.core.db import get_db
    from app.demo_volume import generate
    from app.inbox.models import OpenTask
    from app.inbox.operations import claim
    from app.incidents.models import Incident
    from tests.conftest import WebClient, _prepare

    workdir = Path(tempfile.mkdtemp(prefix="mash-page-bytes-"))
    try:
        url = f"sqlite:///{workdir / 'pages.db'}"
        clock.freeze(MADE)  # the demo's and the volume's walks go back in time from here and return to it
        _prepare(url, workdir)
        settings = load_settings(database_url=url, instance_path=workdir / "instance",
                                 processes_dir=ROOT / "processes", forms_dir=ROOT / "forms")
        app = create_app(settings)
        app.config.update(TESTING=True)
        if args.case_pages:
            from app.demo import seed_cases
            seed_cases()
            generate(args.cases, 6, seed=11)
        else:
            generate(args.cases, 20, seed=11)
        clock.freeze(AT)
        db = get_db()
        with db.unit_of_work() as session:
            manager = user_by_username(session, "mash-manager").as_actor()
            tasks = list(session.scalars(select(OpenTask).where(OpenTask.role == "mash-manager")
                                         .order_by(OpenTask.due_at, OpenTask.created_at, OpenTask.task_id)))
            case_ids = sorted({task.case_id for task in tasks})
            session.add(Incident(case_id=case_ids[1], kind="timer", attempts=3, error="Timer expression failed",
                                 element_id="police_check_deadline", first_failed_at=AT, last_failed_at=AT,
                                 raised_at=AT))
        for task in tasks[::7]:
            with db.unit_of_work() as session:
                claim(session, task.task_id, manager)
        if args.out.exists():
            shutil.rmtree(args.out)
        args.out.mkdir(parents=True)
        if args.case_pages:
            from app.cases.models import Case
            from app.demo import demo_users
            with db.unit_of_work(write=False) as session:
                every_case = list(session.scalars(select(Case.id).order_by(Case.id)))
            users = [username for username, _name, _roles in demo_users()]
            clients = {user: WebClient(app, user).client for user in users}
            for case_id in every_case:
                for user in users:
                    response = clients[user].get(f"/cases/{case_id}")
                    (args.out / f"case-{case_id}-{user}-{response.status_code}.html").write_text(
                        normalised(response.get_data(as_text=True)))
            print(f"{len(every_case)} cases' pages for {len(users)} users written to {args.out}")
            db.dispose()
            return
        clients = {user: WebClient(app, user).client for user in {user for _, user, _ in PAGES}}
        for name, user, path in PAGES:
            response = clients[user].get(path)
            if response.status_code != 200:
                sys.exit(f"{path} as {user}: {response.status_code}")
            (args.out / f"{name}.html").write_text(normalised(response.get_data(as_text=True)))
        print(f"{len(PAGES)} pages written to {args.out}")
        db.dispose()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
