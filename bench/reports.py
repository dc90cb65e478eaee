"""How fast the management information is on a year of a large hub's data, on SQLite and PostgreSQL.

For each backend: a fresh migrated database with the diagrams registered, then a year of contacts (24,000 by
default) written by direct bulk inserts the way the process writes them: cases with their RAG before and after,
outcomes and decision times, contacts with CIN sources and channels, subjects with person records (some merged,
so the person clusters matter), RAG changes, agency check requests (returned, late, or still open as tasks) and
strategy discussions. Then each step of the report is timed over several runs (p50 and p95): the four queries,
each figure on the rows they read, the whole report page's figures, and the row-level MI dataset (rows + CSV), for
the whole year and for one quarter from one source agency. Prints figures, never pass/fail.

    .venv/bin/python bench/reports.py [--contacts 24000] [--runs 7] [--no-postgres] [--postgres URL]
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from benchlib import on_sqlite_and_postgres, percentile, use_project_venv  # bench/ is on sys.path when a script runs

use_project_venv()

from sqlalchemy import insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app.auth.models import User  # noqa: E402
from app.cases.models import AgencyReturn, Case, RagChange, StrategyDiscussion, Subject  # noqa: E402
from app.cli import migrate  # noqa: E402
from app.core.calendar import calendar as hub_calendar  # noqa: E402
from app.core.config import load_settings  # noqa: E402
from app.core.db import init_db  # noqa: E402
from app.inbox.models import OpenTask  # noqa: E402
from app.intake.models import Contact  # noqa: E402
from app.people.models import Person  # noqa: E402
from app.process_models.registry import latest_version, register_directories  # noqa: E402
from app.reports import figures, queries  # noqa: E402
from app.reports.dataset import csv_text, mi_dataset  # noqa: E402
from app.reports.filters import ReportFilters  # noqa: E402
from app.reports.report import build_report  # noqa: E402

#: The hub's year ends here; the report is read the next morning.
YEAR_END = datetime(2027, 3, 31, 17, 0, tzinfo=UTC)
AT = YEAR_END + timedelta(hours=16)
SOURCES = (("6", 30), ("2A", 18), ("2B", 2), ("3A", 5), ("3B", 4), ("3C", 2), ("3E", 4), ("1A", 8), ("1B", 2),
           ("5A", 3), ("5D", 6), ("4", 3), ("7", 3), ("8", 6), ("9", 3), ("10", 1))
OUTCOMES_BY_RAG = {
    "red": (("strategy-discussion", 60), ("s17-assessment", 32), ("nfa", 3), ("marac", 5)),
    "amber": (("s17-assessment", 42), ("early-help", 25), ("nfa", 18), ("strategy-discussion", 10), ("lado", 2),
              ("adult-safeguarding", 3)),
    "green": (("nfa", 38), ("early-help", 37), ("advice", 15), ("s17-assessment", 10)),
    "blue": (("advice", 60), ("nfa", 40)),
}
#: Rough decision and check times in hours, per final RAG (median-ish; a lognormal spread around them).
TYPICAL_HOURS = {"red": 3, "amber": 22, "green": 55, "blue": 30}
FACTORS = ("3A", "3B", "16A", "17A", "18C", "19C", "4B", "2B", "1B", "10A", "11A", "24A", "21")
AGENCIES = ("police", "health", "education", "probation", "housing", "youth-justice", "adult-social-care")
RAGS = ("blue", "green", "amber", "red")
#: A serialized workflow is about 13 kB (the demo's average): it sits in every case row, as in a live hub.
STATE = json.dumps({"serializer_version": "bench", "data": {"tasks": [{"id": f"{i:032x}", "state": 64, "data": {
    "rag": "amber", "agencies": ["police", "health"]}, "children": [], "triggered": False} for i in range(90)]}})


def pick(rng: random.Random, weighted) -> str:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


def received_times(rng: random.Random, count: int) -> list[datetime]:
    """Mostly weekday office hours, some evenings and weekends, spread over the year."""
    start = YEAR_END - timedelta(days=365)
    found = []
    while len(found) < count:
        at = start + timedelta(seconds=rng.uniform(0, 365 * 86400))
        weekday, hour = at.weekday(), at.hour
        office = weekday < 5 and 8 <= hour < 18
        if office or rng.random() < 0.18:
            found.append(at.replace(microsecond=0))
    return sorted(found)


# ----------------------------------------------------------------------------- the year of data
def fill(url: str, contacts: int, seed: int = 6) -> None:
    rng = random.Random(seed)
    db = init_db(url)
    with db.unit_of_work() as session:
        version_id = latest_version(session).id
        session.add(User(username="bench-referrer", display_name="Bench referrer", agency="bench",
                         created_at=YEAR_END - timedelta(days=400)))
        session.flush()
        user_id = session.scalar(select(User.id).where(User.username == "bench-referrer"))
    children = int(contacts * 0.7)  # about 30% of contacts are about a child the hub has seen before
    people = [{"id": i, "given_name": f"Child{i}", "family_name": "Bench", "given_key": "", "family_key": "",
               "date_of_birth": date(2010, 1, 1) + timedelta(days=rng.randrange(0, 16 * 365)),
               "gender": rng.choice("12"), "created_at": YEAR_END - timedelta(days=400)}
              for i in range(1, children + 1)]
    # A contact's subject gets a person record of its own; 60% of repeat children were matched and merged.
    cases, contact_rows, subjects, rag_changes, returns, tasks, discussions = [], [], [], [], [], [], []
    next_person = children + 1
    subject_id = 0
    seen: set[int] = set()
    for case_id, received in enumerate(received_times(rng, contacts), start=1):
        child = rng.randint(1, children)
        person_id = child
        if child in seen and rng.random() < 0.6:
            person_id = next_person
            people.append({"id": next_person, "given_name": f"Child{child}", "family_name": "Bench", "given_key": "",
                           "family_key": "", "date_of_birth": None, "gender": None, "merged_into_id": child,
                           "created_at": received})
            next_person += 1
        seen.add(child)
        open_case = rng.random() < 0.06
        rag_initial = None if open_case else pick(rng, (("red", 10), ("amber", 35), ("green", 40), ("blue", 15)))
        rag = rag_initial
        if rag_initial and rng.random() < 0.15:
            moved = RAGS.index(rag_initial) + rng.choice((-1, 1))
            rag = RAGS[min(max(moved, 0), 3)]
        typical = TYPICAL_HOURS.get(rag or "", 24)
        decided = received + timedelta(hours=rng.lognormvariate(0, 0.6) * typical)
        still_open = decided > AT - timedelta(hours=12) or rng.random() < 0.01
        outcome = None if open_case or still_open else pick(rng, OUTCOMES_BY_RAG[rag])
        if rag == "blue" and rng.random() < 0.5:
            outcome = None  # advice given at feedback, no decision step
        status = "open" if still_open and not open_case else "closed"
        cases.append({
            "id": case_id, "reference": f"MASH-B-{case_id:06d}", "status": status,
            "closure": (("end_passed_to_allocated_worker" if open_case else "end_closed")
                        if status == "closed" else None),
            "rag": rag, "rag_initial": rag_initial, "outcome": outcome, "has_open_case": open_case,
            "immediate_risk": False, "received_at": received, "decided_at": decided if outcome else None,
            "decided_by": "mash-manager" if outcome else None, "closed_at": decided if status == "closed" else None,
            "current_step": "", "process_version_id": version_id, "state": STATE, "version": 1,
            "presenting_factors": None if open_case else rng.sample(FACTORS[:-1], rng.randint(1, 3)),
            "strategy_outcome": None})
        contact_rows.append({
            "id": case_id, "case_id": case_id, "source": pick(rng, SOURCES),
            "channel": "api" if rng.random() < 0.3 else "web", "referrer_name": "Referrer", "concern": "Concern.",
            "immediate_risk": False, "consent_status": "given", "created_by_id": user_id, "received_at": received})
        subject_id += 1
        subjects.append({"id": subject_id, "case_id": case_id, "position": 0, "role": "child", "given_name": "Child",
                         "family_name": "Bench", "gender": rng.choice("12"), "person_id": person_id,
                         "date_of_birth": date(2010, 1, 1) + timedelta(days=child % 5000)})
        if rng.random() < 0.6:
            subject_id += 1
            subjects.append({"id": subject_id, "case_id": case_id, "position": 1, "role": "parent",
                             "given_name": "Parent", "family_name": "Bench", "gender": "2", "person_id": None})
        if rag_initial:
            rag_changes.append({"case_id": case_id, "from_rag": None, "to_rag": rag_initial, "rationale": "Screened.",
                                "changed_by": "mash-manager", "changed_at": received + timedelta(minutes=30)})
            if rag != rag_initial:
                rag_changes.append({"case_id": case_id, "from_rag": rag_initial, "to_rag": rag,
                                    "rationale": "Re-rated.", "changed_by": "mash-manager",
                                    "changed_at": received + (decided - received) / 2})
        if rag_initial and rag_initial != "blue":
            requested = received + timedelta(minutes=30)
            window = {"red": timedelta(hours=4), "amber": timedelta(hours=30),
                      "green": timedelta(hours=80)}[rag_initial]
            for agency in rng.sample(AGENCIES, rng.randint(2, 4)):
                took = window * rng.lognormvariate(-0.5, 0.5)
                task_id = f"{case_id}-{agency}"
                if status == "open" and requested + took > AT:
                    tasks.append({"task_id": task_id, "case_id": case_id, "process_id": "referral",
                                  "bpmn_id": f"{agency}_check", "name": f"Check {agency} records", "role": agency,
                                  "form_key": "agency_check", "created_at": requested, "due_at": requested + window})
                else:
                    returns.append({"case_id": case_id, "task_id": task_id, "agency": agency, "nothing_known": True,
                                    "handling_restriction": "none", "requested_at": requested,
                                    "due_at": requested + window, "returned_by": agency,
                                    "returned_at": requested + took})
        if outcome == "strategy-discussion":
            held = decided + timedelta(hours=rng.uniform(2, 30))
            discussions.append({"case_id": case_id, "held_on": held.date(), "attendees": ["police", "health"],
                                "summary": "Held.", "recorded_by": "social-worker", "recorded_at": held,
                                "strategy_outcome": pick(rng, (("s47-joint", 40), ("s47-single", 20),
                                                               ("s17-assessment", 25), ("nfa", 15)))})
    with db.unit_of_work() as session:
        for model, rows in ((Person, people), (Case, cases), (Contact, contact_rows), (Subject, subjects),
                            (RagChange, rag_changes), (AgencyReturn, returns), (OpenTask, tasks),
                            (StrategyDiscussion, discussions)):
            for i in range(0, len(rows), 5000):
                session.execute(insert(model), rows[i:i + 5000])
    with db.engine.connect() as connection:  # fresh statistics, as a running hub's database has
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
    db.dispose()
    print(f"  filled: {len(cases)} contacts, {len(people)} person records, {len(returns)} agency returns, "
          f"{len(tasks)} open checks, {len(discussions)} strategy discussions", flush=True)


# ----------------------------------------------------------------------------- timing
def timed(runs: int, work: Callable[[], object]) -> tuple[float, float]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds) * 1000, percentile(seconds, 0.95) * 1000


def measure(url: str, runs: int) -> None:
    db = init_db(url)
    year = ReportFilters(date(2026, 4, 1), date(2027, 3, 31))
    quarter = ReportFilters(date(2027, 1, 1), date(2027, 3, 31), source_agency="police")
    for label, filters in (("whole year", year), ("one quarter, police only", quarter)):
        with db.unit_of_work(write=False) as session:
            rows = queries.report_rows(session, filters)
            print(f"  {label}: {len(rows.contacts)} contacts, {len(rows.checks)} checks, "
                  f"{len(rows.referrals)} referrals (with the 12 months before)")
            print(f"    {'step':<54} {'p50 ms':>9} {'p95 ms':>9}")
            for name, work in steps(session, filters, rows):
                p50, p95 = timed(runs, work)
                print(f"    {name:<54} {p50:>9.1f} {p95:>9.1f}", flush=True)
    db.dispose()


def steps(session: Session, filters: ReportFilters,
          rows: queries.ReportRows) -> list[tuple[str, Callable[[], object]]]:
    """Each query and figure of the report on its own, then the whole report and the MI dataset."""
    return [
        ("query: contacts", lambda: queries.contact_rows(session, filters)),
        ("query: strategy discussions", lambda: queries.strategy_rows(session, filters)),
        ("query: agency checks", lambda: queries.check_rows(session, filters)),
        ("query: referrals + person clusters", lambda: queries.referral_rows(session, filters)),
        ("figure: sources and outcomes", lambda: figures.source_outcomes(rows.contacts)),
        ("figure: time to decision", lambda: figures.timeliness(rows.contacts, rows.sla, AT)),
        ("figure: RAG before and after", lambda: figures.rag_movements(rows.contacts)),
        ("figure: agency responses", lambda: figures.agency_responses(rows.checks, AT)),
        ("figure: re-referrals", lambda: figures.re_referrals(rows.contacts, rows.referrals)),
        ("figure: conversions", lambda: figures.conversions(rows.contacts, rows.strategy)),
        ("figure: volume", lambda: figures.volume(rows.contacts, filters)),
        ("whole report (queries + figures + tables + charts)",
         lambda: (lambda r: (r.tables, r.charts))(build_report(session, filters, AT))),
        ("MI dataset (rows + CSV)", lambda: csv_text(mi_dataset(session, filters))),
    ]


def prepare(url: str, instance: Path) -> None:
    settings = load_settings(database_url=url, instance_path=instance)
    migrate(settings)
    db = init_db(url)
    with db.unit_of_work() as session:
        register_directories(session, settings.processes_dir, settings.forms_dir)
    db.dispose()


def run(backend: str, url: str, args: argparse.Namespace, workdir: Path) -> None:
    print(f"{backend}:", flush=True)
    started = time.perf_counter()
    prepare(url, workdir / backend)
    fill(url, args.contacts)
    print(f"  set up in {time.perf_counter() - started:.0f} s", flush=True)
    measure(url, args.runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=24_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--postgres", metavar="URL",
                        help="an empty PostgreSQL database to use instead of a throwaway server")
    args = parser.parse_args()
    print(f"Reports on {args.contacts} contacts over a year; {args.runs} runs per step. "
          f"Calendar: {hub_calendar.opens:%H:%M}-{hub_calendar.closes:%H:%M}.", flush=True)
    on_sqlite_and_postgres("reports", lambda label, url, workdir: run(label, url, args, workdir),
                           postgres_url=args.postgres, no_postgres=args.no_postgres)

if __name__ == "__main__":
    main()
