"""Realistic volumes for measuring the hub at scale: `mash demo --cases N --closed M`.

Walking 1.1 million cases through the engine would take days, so a few template cases per step are walked
through the real operations (intake, screening, agency checks, review, decision, feedback, strategy
discussion, timers firing), then their rows are copied in bulk with fresh ids, references, names and times.
Every row a step writes is copied (case with its serialized workflow, contact, subject, person, open tasks,
deadlines, completed tasks, agency returns, RAG changes, sharing decisions, feedback, audit events), and the
workflow state is rewritten consistently: each task id gets a new one everywhere it appears, and every time
inside it moves with the case. So a copied open case is as workable as the template it came from.

Open cases are moved back in time only as far as keeps their next timer after the run ends (a copy must not
make the scheduler fire thousands of timers at once); some templates started days ago and had their timers
fired, so the wall shows at-risk and breached cases. Closed cases spread over ``CLOSED_YEARS`` years. To keep
a million of them within a few gigabytes, a closed copy keeps no serialized workflow (about 30 KB each; nothing
runs a closed case again, and its map then shows no taken paths, as for an anonymised contact), and its audit
trail keeps the actions people took (contact, tasks, sharing, RAG, closure) but not the engine's per-element
step events, which are most of a trail's rows and only feed the replay of a case's map. Audit events are
hash-chained in the order written, so `mash audit verify` holds.

On PostgreSQL a large load drops the copied tables' secondary indexes and rebuilds them at the end (also
after an error); a load killed outright leaves them dropped, so start again from a fresh database.
"""
from __future__ import annotations

import json
import random
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, ColumnElement, Table, func, select

from app.audit.chain import entry_hash
from app.audit.models import AuditEvent
from app.cases.models import AgencyReturn, Case, CompletedTask, RagChange, ReferrerFeedback, StrategyDiscussion, Subject
from app.casework.timers import fire_due_timers
from app.core.actor import SYSTEM
from app.core.clock import clock, now
from app.core.db import Base, UTCDateTime, get_db, run_in_transaction
from app.deadlines.models import Deadline
from app.deadlines.tracking import rebuild_sla_projection
from app.demo import SCREEN_AMBER, _actor, _contact, _do, _walk_to_closure, confirm_immediate_risk
from app.inbox.models import OpenTask
from app.intake.models import Contact
from app.intake.operations import receive_contact
from app.people.models import Person
from app.people.names import family_key, given_key
from app.sharing.models import SharingDecision

CLOSED_YEARS = 3
#: How far past the end of generation every copied open case's next timer must stay.
TIMER_MARGIN = timedelta(hours=6)
#: How far back an open copy may move from its template (bounded by its next timer).
OPEN_SPREAD = timedelta(days=10)
BATCH = 2000
#: From this many copies on, PostgreSQL's secondary indexes are rebuilt after the load instead of kept during it.
BULK_INDEX_DROP = 20_000

GIVEN = ["Amelia", "Olivia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Freya", "Florence", "Grace", "Ella", "Sophia",
         "Evie", "Rosie", "Willow", "Poppy", "Harper", "Noah", "Oliver", "Leo", "George", "Arthur", "Muhammad",
         "Oscar", "Theo", "Harry", "Jack", "Henry", "Charlie", "Freddie", "Archie", "Alfie", "Jacob", "Thomas",
         "Finley", "Isaac", "Reggie", "Ezra", "Hugo", "Ruby", "Maya", "Zara", "Aisha", "Hannah", "Chloe", "Kai",
         "Jayden", "Tyler", "Ethan"]
FAMILY = ["Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson", "Roberts",
          "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall", "Lewis", "Harris",
          "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill", "Ward", "Morris", "Moore",
          "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen", "James", "Scott", "Phillips", "Watson",
          "Davis", "Parker", "Price", "Bennett", "Young", "Griffiths", "Mitchell", "Kelly", "Cook", "Carter",
          "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy", "Miller", "Cox", "Richards", "Khan", "Marshall",
          "Anderson", "Simpson", "Ellis", "Adams", "Singh", "Begum", "Wilkinson", "Foster", "Chapman", "Powell",
          "Webb", "Rogers", "Gray", "Mason", "Ali", "Hunt", "Hussain", "Campbell", "Matthews", "Owen", "Palmer",
          "Holmes", "Mills", "Barnes"]
STREETS = ("High Street", "Station Road", "Church Lane", "Victoria Road", "Park Avenue", "Mill Lane", "Orchard Close",
           "Queens Road", "Manor Way", "The Crescent")
CONCERNS = (
    "Child arrived at school hungry three days running and said they were scared to go home.",
    "Nursery saw a bruise on the child's cheek; the explanation given did not fit the injury.",
    "Police attended a domestic incident; the child was present and distressed.",
    "Child disclosed that an adult they met online has asked to meet them.",
    "Child was not brought to two paediatric appointments; the surgery could not reach the parent.",
    "Parent asked the school for advice about managing the child's behaviour at home.",
    "Neighbour reports the children are often left alone in the evenings.",
    "Child has been missing from home twice this month and returned with new belongings.",
)


# ----------------------------------------------------------------------------------------------- templates
def _screen(rag: str, agencies: list[str]) -> dict:
    return {**SCREEN_AMBER, "rag": rag, "agencies": agencies,
            "rag_rationale": f"Rated {rag} on the information in the contact."}


def _check(nothing_known: bool = False) -> dict:
    return {"nothing_known": nothing_known, "handling_restriction": "none",
            **({} if nothing_known else {"findings": "Known to us; details in our record of the last month."})}


REVIEW = {"rerate": "no", "analysis": "Risks, needs and protective factors weighed together."}
#: A blue contact has no decision, so its feedback step also records that the product stays in the hub.
FEEDBACK = {"feedback_method": "email", "feedback_summary": "Thank you; we have decided what happens next.",
            "information_product_recipients": ["none"], "sharing_consent": "given"}

#: (name, share of open cases, immediate risk, steps as (bpmn id, username, form data)).
OPEN_STAGES: tuple[tuple[str, float, bool, tuple], ...] = (
    ("awaiting screening", 0.20, False, ()),
    ("agency checks requested", 0.15, False, (
        ("screening", "mash-manager", _screen("amber", ["police", "health", "education"])),)),
    ("agency checks part returned", 0.25, False, (
        ("screening", "mash-manager", _screen("red", ["police", "health"])),
        ("police_check", "police", _check()))),
    ("awaiting review", 0.10, False, (
        ("screening", "mash-manager", _screen("green", ["education"])),
        ("education_check", "education", _check(True)))),
    ("awaiting decision", 0.10, False, (
        ("screening", "mash-manager", _screen("green", ["health"])),
        ("health_check", "health", _check()),
        ("mash_review", "mash-manager", REVIEW))),
    ("awaiting feedback", 0.10, False, (
        ("screening", "mash-manager", _screen("amber", ["police"])),
        ("police_check", "police", _check()),
        ("mash_review", "mash-manager", REVIEW),
        ("decision", "mash-manager", {"outcome": "nfa", "outcome_rationale": "No role for services on the checks.",
                                      "information_product_recipients": ["none"], "sharing_consent": "given"}))),
    ("strategy discussion", 0.10, True, (("confirm_immediate_risk", "", {}),)),
)
#: Open templates start this long before generation; their due timers are then fired, so the wall shows breaches.
OPEN_AGES = (timedelta(0), timedelta(days=4))
#: (outcome, share of closed cases, rag, agencies); "advice" is a Blue contact closed after feedback.
CLOSED_OUTCOMES: tuple[tuple[str, float, str, list[str]], ...] = (
    ("advice", 0.15, "blue", []), ("nfa", 0.35, "green", ["education"]),
    ("early-help", 0.30, "amber", ["police", "health"]),
    ("s17-assessment", 0.20, "amber", ["police", "health", "education"]))

#: Tables copied with a case, parent first; person rows are copied through subject.person_id.
CASE_TABLES: tuple[Table, ...] = tuple(Base.metadata.tables[m.__tablename__] for m in (
    Case, Contact, Person, Subject, OpenTask, Deadline, CompletedTask, AgencyReturn, RagChange, SharingDecision,
    ReferrerFeedback, StrategyDiscussion))
AUDIT = Base.metadata.tables[AuditEvent.__tablename__]
TASK_ID_COLUMNS = {"task_id", "timer_task_id", "attached_task_id"}
_TOKEN = re.compile(r'(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-)[0-9a-f]{12}'
                    r'|(?P<dt>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?\+00:00)'
                    r'|"last_state_change": (?P<ts>\d+\.\d+)'
                    r'|(?P<ref>MASH-\d{4}-\d+)')


def _template_contact(rng: random.Random, serial: int, **options) -> dict:
    """A contact about a child no one else has (a unique family name), so no earlier case changes its route."""
    return _contact(rng.choice(GIVEN), f"Template-{secrets.token_hex(5)}", f"{rng.randrange(2008, 2024)}-06-01",
                    CONCERNS[serial % len(CONCERNS)], **options)


def _walk_open(stage: tuple, age: timedelta, serial: int, referrer, rng: random.Random) -> int:
    _name, _share, immediate, steps = stage
    with clock.set_to(now() - age):
        payload = _template_contact(rng, serial, immediate=immediate)
        case = run_in_transaction(receive_contact, payload, referrer, channel="web")[0]
        for bpmn_id, username, data in steps:
            if bpmn_id == "confirm_immediate_risk":  # within the hour, by whoever holds it at that time of day
                clock.advance(timedelta(minutes=20))
                confirm_immediate_risk(case.id)
                continue
            clock.advance(timedelta(hours=2))
            _do(case.id, bpmn_id, username, data)
    if age:
        run_in_transaction(fire_due_timers, case.id, SYSTEM)
    return case.id


def _walk_closed(outcome: tuple, serial: int, referrer, rng: random.Random) -> int:
    name, _share, rag, agencies = outcome
    with clock.set_to(now() - timedelta(days=60)):
        payload = _template_contact(rng, serial)
        case = run_in_transaction(receive_contact, payload, referrer, channel="web")[0]
        if name == "advice":
            _do(case.id, "screening", "mash-manager", {**_screen("blue", []), "presenting_factors": ["21"]})
            _do(case.id, "feedback_to_referrer", "business-support", FEEDBACK)
        else:
            _walk_to_closure(case.id, name, rag, agencies)
    return case.id


# ----------------------------------------------------------------------------------------------- copying
def _kind(column) -> str | None:
    """How a value of this column is written: JSON as text, and on SQLite times, dates and flags as stored there."""
    if isinstance(column.type, JSON):
        return "json"
    if isinstance(column.type, UTCDateTime):
        return "dt"
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return None
    return {date: "date", bool: "bool"}.get(python_type)


class Values:
    """Python values as the bulk writer sends them: COPY takes most as they are; SQLite stores text and numbers."""

    def __init__(self, dialect: str) -> None:
        self.sqlite = dialect == "sqlite"

    def convert(self, kind: str | None, value):
        if value is None or kind is None:
            return value
        if kind == "json":
            return json.dumps(value)
        if not self.sqlite:
            return value
        if kind == "dt":
            return self.time(value)
        return value.isoformat() if kind == "date" else int(value)

    def time(self, value: datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else value


# What a copy changes in a template row (patch kinds).
CASE, NEW_ID, TASK, TIME, REFERENCE, STATE, PERSON, PERSONAL, CONCERN = range(9)
PERSONAL_COLUMNS = ("given_name", "family_name", "date_of_birth", "address", "given_key", "family_key")


@dataclass
class Template:
    """One walked case and every row it wrote, compiled into base rows and the patches a copy applies."""

    case_id: int
    share: float
    closed: bool
    reference: str
    received_at: datetime
    max_shift: timedelta
    people: int = 0
    tables: list[tuple[str, list[tuple[list, list]]]] = field(default_factory=list)
    audit: list[tuple[dict, bool]] = field(default_factory=list)
    state_parts: list = field(default_factory=list)


def _load_template(session, values: Values, case_id: int, share: float, closed: bool, end: datetime) -> Template:
    case = session.get(Case, case_id)
    if closed:
        max_shift = timedelta(days=365 * CLOSED_YEARS)
    else:
        slack = (case.next_timer_due - end - TIMER_MARGIN) if case.next_timer_due else OPEN_SPREAD
        max_shift = max(timedelta(0), min(slack, OPEN_SPREAD))
    template = Template(case_id, share, closed, case.reference, case.received_at, max_shift)
    if not closed:
        template.state_parts = _split_state(case.state)
    subjects = Base.metadata.tables[Subject.__tablename__]
    person_ids = list(session.scalars(select(subjects.c.person_id).where(subjects.c.case_id == case_id)
                                      .order_by(subjects.c.position)))
    template.people = len(person_ids)
    for table in CASE_TABLES:
        where: ColumnElement[bool]
        if table.name == "person":
            where = table.c.id.in_(person_ids)
        else:
            where = (table.c.id if table.name == "mash_case" else table.c.case_id) == case_id
        rows = [dict(r) for r in session.execute(select(table).where(where)).mappings()]
        template.tables.append((table.name, [_compile(table, values, row, template, person_ids) for row in rows]))
    events = session.execute(select(AUDIT).where(AUDIT.c.case_id == case_id).order_by(AUDIT.c.seq)).mappings()
    for event in events:
        if closed and event["action"].startswith("step."):
            continue
        details = event["details"] or {}
        varies = any(isinstance(v, str) and (v == case.reference or _is_time(v)) for v in details.values()) \
            or "decision_id" in details or "person_ids" in details
        template.audit.append((dict(event, details=details, details_json=json.dumps(details)), varies))
    return template


def _is_time(value: str) -> bool:
    return len(value) >= 25 and value[4] == "-" and value[10] == "T"


def _compile(table: Table, values: Values, row: dict, template: Template, person_ids: list[int]) -> tuple[list, list]:
    """A row as the writer sends it, and where each copy differs: (column index, patch kind, template value)."""
    base: list[Any] = []
    patches: list[tuple[int, int, Any]] = []
    for index, column in enumerate(table.c):
        name, value = column.name, row[column.name]
        kind = _kind(column)
        base.append(values.convert(kind, value))
        if table.name == "mash_case" and name in ("id", "reference", "state"):
            patch = {"id": (CASE, None), "reference": (REFERENCE, None),
                     "state": (STATE, None) if not template.closed else None}[name]
            if patch is None:
                base[index] = ""  # a closed copy keeps no workflow state (see the module docstring)
                continue
            patches.append((index, *patch))
        elif table.name == "person" and name == "id":
            patches.append((index, PERSON, person_ids.index(value)))
        elif name == "id":
            patches.append((index, NEW_ID, value))
        elif name == "case_id":
            patches.append((index, CASE, None))
        elif name in TASK_ID_COLUMNS and value:
            patches.append((index, TASK, value[:24]))
        elif kind == "dt" and value is not None:
            patches.append((index, TIME, value))
        elif table.name in ("person", "subject") and name in PERSONAL_COLUMNS:
            position = person_ids.index(row["id"] if table.name == "person" else row["person_id"])
            patches.append((index, PERSONAL, (position, name)))
        elif table.name == "subject" and name == "person_id":
            patches.append((index, PERSON, person_ids.index(value)))
        elif table.name == "contact" and name == "concern":
            patches.append((index, CONCERN, None))
    return base, patches


def _split_state(state: str) -> list:
    """The serialized workflow as literal text and the tokens a copy rewrites (task ids, times, reference)."""
    parts: list = []
    last = 0
    for match in _TOKEN.finditer(state):
        kind = match.lastgroup
        if kind is None:  # never: every alternative of the pattern is a named group
            continue
        start, end = match.span() if kind == "uuid" else match.span(kind)  # a task id is rewritten whole
        parts.append(state[last:start])
        value = match.group(kind)
        if kind == "dt":
            value = datetime.fromisoformat(value)
        elif kind == "ts":
            value = float(value)
        parts.append((kind, value))
        last = end
    parts.append(state[last:])
    return parts


@dataclass
class Copy:
    """What one copy changes: its case id, task-id suffix, time shift, reference, people and concern."""

    case_id: int
    suffix: str
    shift: timedelta
    reference: str
    people: list[dict]
    person_ids: list[int]
    concern: str

    def task_id(self, value: str | None) -> str | None:
        return value[:24] + self.suffix if value else value

    def state(self, parts: list) -> str:
        out = []
        for part in parts:
            if type(part) is str:
                out.append(part)
                continue
            kind, value = part
            if kind == "uuid":
                out.append(value + self.suffix)
            elif kind == "dt":
                out.append((value - self.shift).isoformat())
            elif kind == "ts":
                out.append(repr(value - self.shift.total_seconds()))
            else:
                out.append(self.reference)
        return "".join(out)


def _person(rng: random.Random, values: Values, received: datetime) -> dict:
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    born = received.date() - timedelta(days=rng.randrange(30, 17 * 365))
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    return {"given_name": given, "family_name": family, "date_of_birth": values.convert("date", born),
            "address": f"{rng.randrange(1, 200)} {rng.choice(STREETS)}, Exampletown EX{rng.randrange(1, 9)} "
                       f"{rng.randrange(1, 9)}{rng.choice(letters)}{rng.choice(letters)}",
            **dict(zip(("given_key", "family_key"), _keys(given, family), strict=True))}


_KEYS: dict[str, tuple[str, str]] = {}


def _keys(given: str, family: str) -> tuple[str, str]:
    key = given + "\0" + family
    if key not in _KEYS:
        _KEYS[key] = (given_key(given), family_key(family))
    return _KEYS[key]


class Ids:
    """The next free id per table, read once; every copied row takes its id from here."""

    def __init__(self, session) -> None:
        self.next = {t.name: (session.scalar(select(func.max(t.c.id))) or 0) + 1
                     for t in (*CASE_TABLES, AUDIT) if "id" in t.c and t.c.id.primary_key}

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


def _copy_rows(template: Template, copy: Copy, ids: Ids, values: Values, out: dict[str, list]) -> dict[int, int]:
    """Every row of the template, re-keyed, moved in time and about a new child; returns sharing-decision ids."""
    shift = copy.shift
    decisions: dict[int, int] = {}
    for table, rows in template.tables:
        target = out.setdefault(table, [])
        for base, patches in rows:
            row = base.copy()
            for index, kind, value in patches:
                if kind == TIME:
                    row[index] = values.time(value - shift)
                elif kind == TASK:
                    row[index] = value + copy.suffix
                elif kind == CASE:
                    row[index] = copy.case_id
                elif kind == NEW_ID:
                    row[index] = ids.take(table)
                    if table == "sharing_decision":
                        decisions[value] = row[index]
                elif kind == PERSONAL:
                    row[index] = copy.people[value[0]][value[1]]
                elif kind == PERSON:
                    row[index] = copy.person_ids[value]
                elif kind == REFERENCE:
                    row[index] = copy.reference
                elif kind == STATE:
                    row[index] = copy.state(template.state_parts)
                elif kind == CONCERN:
                    row[index] = copy.concern
            target.append(row)
    return decisions


def _copy_event(event: dict, varies: bool, template: Template, copy: Copy, decisions: dict[int, int]) -> dict:
    details, details_json = event["details"], event["details_json"]
    if varies:
        details = dict(details)
        for key, value in details.items():
            if isinstance(value, str):
                if value == template.reference:
                    details[key] = copy.reference
                elif _is_time(value):
                    details[key] = (datetime.fromisoformat(value) - copy.shift).isoformat()
        if "decision_id" in details:
            details["decision_id"] = decisions.get(details["decision_id"], details["decision_id"])
        if "person_ids" in details:
            details["person_ids"] = copy.person_ids[:len(details["person_ids"])]
        details_json = json.dumps(details)
    summary = event["summary"] or ""
    if template.reference in summary:
        summary = summary.replace(template.reference, copy.reference)
    task_id = copy.task_id(event["task_id"])
    return {"at": event["at"] - copy.shift, "user_id": event["user_id"], "username": event["username"],
            "action": event["action"], "case_id": copy.case_id, "task_id": task_id, "element_id": event["element_id"],
            "summary": summary, "details": details_json, "details_value": details}


# ----------------------------------------------------------------------------------------------- the run
@dataclass
class VolumeResult:
    open_cases: int
    closed_cases: int
    templates: int
    seconds: float


def generate(open_cases: int, closed_cases: int, *, seed: int = 1,
             progress: Callable[[str], None] | None = None) -> VolumeResult:
    """Add ``open_cases`` open and ``closed_cases`` closed cases (templates included) to the database."""
    started = time.monotonic()
    rng = random.Random(seed)  # noqa: S311  (made-up cases, reproducible by seed; nothing secret)
    say = progress or (lambda _message: None)
    referrer = _actor("referrer")
    serial = 0
    walked: list[tuple[int, float, bool]] = []
    if open_cases:
        for stage in OPEN_STAGES:
            for age in OPEN_AGES:
                serial += 1
                walked.append((_walk_open(stage, age, serial, referrer, rng), stage[1] / len(OPEN_AGES), False))
    if closed_cases:
        for outcome in CLOSED_OUTCOMES:
            serial += 1
            walked.append((_walk_closed(outcome, serial, referrer, rng), outcome[1], True))
    say(f"{len(walked)} template cases walked through the workflow in {time.monotonic() - started:.0f} s")
    db = get_db()
    dialect = db.engine.dialect.name
    values = Values(dialect)
    end = now()
    with db.unit_of_work(write=False) as session:
        templates = [_load_template(session, values, *w, end) for w in walked]
        ids = Ids(session)
    open_t = [t for t in templates if not t.closed]
    closed_t = [t for t in templates if t.closed]
    plan = [False] * max(0, open_cases - len(open_t)) + [True] * max(0, closed_cases - len(closed_t))
    raw = db.engine.raw_connection()
    try:
        if values.sqlite:
            _write_all(raw, values, plan, open_t, closed_t, ids, rng, say, started)
        else:
            cursor = raw.cursor()
            # A bulk load, not hub work: a crash loses the batch in flight, and the load is redone anyway.
            cursor.execute("SET synchronous_commit = off")
            cursor.execute("SET maintenance_work_mem = '256MB'")
            dropped = _drop_secondary_indexes(cursor) if len(plan) >= BULK_INDEX_DROP else []
            raw.commit()
            try:
                _write_all(raw, values, plan, open_t, closed_t, ids, rng, say, started)
            finally:
                raw.rollback()
                for _name, definition in dropped:
                    cursor.execute(definition)
                    raw.commit()
                if dropped:
                    say(f"{len(dropped)} indexes rebuilt ({time.monotonic() - started:.0f} s)")
            for table in ids.next:  # ids were given here, not by the sequences: move the sequences past them
                # Table names come from the models, never from input.
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                               f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")
            raw.commit()
    finally:
        raw.close()
    with db.unit_of_work() as session:  # the copies' SLA wall rows, from their deadlines (exact, one statement)
        rebuild_sla_projection(session)
    say(f"SLA wall projection rebuilt ({time.monotonic() - started:.0f} s)")
    return VolumeResult(len(open_t) + plan.count(False), len(closed_t) + plan.count(True), len(templates),
                        time.monotonic() - started)


def _write_all(raw, values: Values, plan: list[bool], open_t: list[Template], closed_t: list[Template], ids: Ids,
               rng: random.Random, say: Callable[[str], None], started: float) -> None:
    for start in range(0, len(plan), BATCH):
        _write_batch(raw, values, plan[start:start + BATCH], open_t, closed_t, ids, rng)
        if (start // BATCH) % 25 == 0 or start + BATCH >= len(plan):
            say(f"{min(start + BATCH, len(plan))} of {len(plan)} copies written ({time.monotonic() - started:.0f} s)")


def _drop_secondary_indexes(cursor) -> list[tuple[str, str]]:
    """PostgreSQL: indexes of the copied tables that back no constraint, dropped for the load and rebuilt after
    (building an index once is several times cheaper than updating it row by row)."""
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema()"
        " AND i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
        " WHERE c.conindid = to_regclass(quote_ident(i.schemaname) || '.' || quote_ident(i.indexname)))",
        ([t.name for t in (*CASE_TABLES, AUDIT)],))
    found = cursor.fetchall()
    for name, _definition in found:
        cursor.execute(f'DROP INDEX "{name}"')
    return found


def _write_batch(raw, values: Values, plan: Iterable[bool], open_t: list[Template], closed_t: list[Template],
                 ids: Ids, rng: random.Random) -> None:
    """One transaction: a batch of copies, their audit events chained on the locked chain head."""
    cursor = raw.cursor()
    if values.sqlite:
        cursor.execute("BEGIN IMMEDIATE")
        cursor.execute("SELECT seq, hash FROM audit_chain_head WHERE id = 1")
    else:
        cursor.execute("SELECT seq, hash FROM audit_chain_head WHERE id = 1 FOR UPDATE")
    seq, head = cursor.fetchone()
    out: dict[str, list] = {}
    events = out.setdefault("audit_event", [])
    audit_columns = [c.name for c in AUDIT.c]
    open_weights = [t.share for t in open_t]
    closed_weights = [t.share for t in closed_t]
    for closed in plan:
        template = rng.choices(closed_t, closed_weights)[0] if closed else rng.choices(open_t, open_weights)[0]
        case_id = ids.take("mash_case")
        shift = timedelta(seconds=rng.uniform(0, template.max_shift.total_seconds()))
        received = template.received_at - shift
        people = [_person(rng, values, received) for _ in range(template.people)]
        copy = Copy(case_id, f"{case_id:012x}", shift, f"MASH-{received:%Y}-{case_id:06d}", people,
                    [ids.take("person") for _ in people], rng.choice(CONCERNS))
        decisions = _copy_rows(template, copy, ids, values, out)
        for source, varies in template.audit:
            event = _copy_event(source, varies, template, copy, decisions)
            seq += 1
            event.update(id=ids.take("audit_event"), seq=seq, prev_hash=head)
            # The chain's one hash function, so a generated trail verifies exactly like a lived one.
            head = event["hash"] = entry_hash(head, seq=seq, at=event["at"], user_id=event["user_id"],
                                              username=event["username"], action=event["action"],
                                              case_id=event["case_id"], task_id=event["task_id"],
                                              element_id=event["element_id"], summary=event["summary"],
                                              details=event["details_value"])
            event["at"] = values.time(event["at"])
            events.append([event[c] for c in audit_columns])
    _write(cursor, values, out)
    param = "?" if values.sqlite else "%s"
    # Only the driver's placeholder style is formatted in; the values are bound.
    cursor.execute(f"UPDATE audit_chain_head SET seq = {param}, hash = {param} WHERE id = 1", (seq, head))  # noqa: S608
    if values.sqlite:
        cursor.execute("COMMIT")
    else:
        raw.commit()
    cursor.close()


def _write(cursor, values: Values, out: dict[str, list]) -> None:
    """Rows in bulk, parents first: COPY on PostgreSQL, executemany on SQLite."""
    for table in (*CASE_TABLES, AUDIT):
        rows = out.get(table.name)
        if not rows:
            continue
        names = ", ".join(c.name for c in table.c)
        if values.sqlite:
            placeholders = ", ".join("?" * len(table.c))
            # Table and column names come from the models, never from input.
            cursor.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({placeholders})", rows)  # noqa: S608
        else:
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
