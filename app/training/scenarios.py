"""The scenario library: TOML files a trainer can read and edit, checked against the diagram the hub runs now.

A scenario is data, never code: the contact as the intake form takes it, then the steps in order, each with
the diagram step it completes (bpmn id), the demo user who does it, the answers exactly as that step's form
takes them, a note the trainer reads out and an optional clock move made first. Every file is checked with
the real contact and task forms, the current diagram and the users in the database, so a diagram change
that breaks a scenario shows on the library page (and in ``mash training check``) before a class does.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.authorisation import INTAKE_ROLES
from app.auth.models import User
from app.core.calendar import LONDON, calendar
from app.core.config import PROJECT_ROOT
from app.core.errors import ProcessFailed, ValidationFailed
from app.core.vocabulary import DECISION_FORM, FEEDBACK_FORM
from app.deadlines.training_clock import parse_duration
from app.engine import CompiledDefinition, UserTaskInfo
from app.forms import FormDefinition, validate
from app.intake.contact_types import CONTACT, ContactType, type_of, without_type
from app.intake.operations import contact_form
from app.process_models.registry import compiled, latest_version
from app.sharing.forms import feedback_form_after

#: Where the shipped library lives; MASH_SCENARIOS_DIR points at a council's own.
SCENARIOS_DIR = PROJECT_ROOT / "training" / "scenarios"

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
_TOP_KEYS = {"title", "summary", "learning_points", "reported_by", "contact", "earlier_contacts", "steps", "expect",
             "starts_at"}
#: When the story starts, as the hub sees it: "saturday 02:10" or "working-day 10:00" (the next such moment).
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_STARTS_AT = re.compile(rf"^({'|'.join(_DAYS)}|working-day) ([01]\d|2[0-3]):([0-5]\d)$")
_STEP_KEYS = {"step", "user", "answers", "note", "advance", "advance_past"}
_EXPECT_KEYS = {"status", "closure", "rag", "outcome", "strategy_outcome", "open_steps"}
_SHORT_DURATION = re.compile(r"^\s*(?:(\d+)\s*w)?\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*$", re.I)
_RELATIVE_DATE = re.compile(r"^today\s*(?:([+-])\s*(\d+))?$")
NEXT_DEADLINE = "next deadline"
#: tomllib puts the place of a syntax error at the end of its message.
_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column \d+\)")


@dataclass(frozen=True)
class ScenarioProblem:
    """What is wrong with a scenario file, where: the file, the step number and the line of its [[steps]]."""

    file: str
    message: str
    step: int | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.file + (f", step {self.step}" if self.step else "") + (f" (line {self.line})" if self.line else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ClockMove:
    """How far the training clock moves before a step: a duration, to the case's next deadline, or just past
    a named deadline (a timer's name in the diagram, such as "Police check due")."""

    duration: timedelta | None = None
    next_deadline: bool = False
    past: str | None = None

    def describe(self) -> str:
        if self.past:
            return f"just past “{self.past}”"
        if self.next_deadline:
            return "to the case's next deadline"
        return f"forward {describe_duration(self.duration)}"


@dataclass(frozen=True)
class ScriptedStep:
    number: int
    bpmn_id: str
    username: str
    answers: dict
    note: str | None = None
    clock: ClockMove | None = None
    line: int | None = None
    #: From the diagram (filled in when the scenario is checked).
    name: str = ""
    role: str | None = None


@dataclass(frozen=True)
class Scenario:
    id: str
    file: str
    title: str
    summary: str
    learning_points: tuple[str, ...]
    contact: dict
    reported_by: str
    earlier_contacts: tuple[dict, ...]
    steps: tuple[ScriptedStep, ...]
    expect: dict[str, Any] = field(default_factory=dict)
    #: e.g. "saturday 02:10": the training clock moves to the next such moment before the contact arrives,
    #: so a story set at night is handled by the out-of-hours team whatever the hour the class meets.
    starts_at: str | None = None

    def start_moment(self, after: datetime) -> datetime | None:
        """The next moment after ``after`` matching ``starts_at`` (Europe/London), or None."""
        match = _STARTS_AT.match(self.starts_at or "")
        if match is None:
            return None
        day, hour, minute = match.group(1), int(match.group(2)), int(match.group(3))
        local = after.astimezone(LONDON)
        for ahead in range(1, 15):
            candidate = local.date() + timedelta(days=ahead)
            wanted = calendar.is_working_day(candidate) if day == "working-day" else _DAYS[candidate.weekday()] == day
            if wanted:
                return datetime.combine(candidate, datetime.min.time().replace(hour=hour, minute=minute), LONDON)
        return None

    @property
    def path(self) -> str:
        """The route through the diagram it teaches, in the diagram's own step names."""
        return " → ".join(step.name or step.bpmn_id for step in self.steps)


@dataclass(frozen=True)
class LibraryEntry:
    """A file of the library: its scenario when it is sound, else what is wrong with it."""

    id: str
    file: str
    title: str
    scenario: Scenario | None
    problems: tuple[ScenarioProblem, ...] = ()

    @property
    def broken(self) -> bool:
        return bool(self.problems)


def describe_duration(delta: timedelta | None) -> str:
    minutes = int((delta or timedelta(0)).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{n} {unit}{'s' if n != 1 else ''}"
             for n, unit in ((days, "day"), (hours, "hour"), (minutes, "minute")) if n]
    return " ".join(parts) or "0 minutes"


def parse_clock_move(text: str) -> ClockMove:
    """"5h", "1d 4h", "90m", "2w", an ISO 8601 duration ("PT5H") or "next deadline". Raises ValueError."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(text)
    if text.strip().lower() == NEXT_DEADLINE:
        return ClockMove(next_deadline=True)
    short = _SHORT_DURATION.match(text)
    if short and any(short.groups()):
        weeks, days, hours, minutes = (int(g or 0) for g in short.groups())
        delta = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes)
    else:
        delta = parse_duration(text)
    if delta <= timedelta(0):
        raise ValueError(text)
    return ClockMove(duration=delta)


# ----------------------------------------------------------------------------- reading a file
def _header_lines(text: str, table: str) -> list[int]:
    """Line numbers of each ``[[table]]`` header, so a problem in step 3 names the line that starts it."""
    pattern = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]")
    return [number for number, line in enumerate(text.splitlines(), start=1) if pattern.match(line)]


def _plain(value: Any) -> Any:
    """TOML dates written without quotes become the ISO text the forms take."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _text(raw: dict, key: str, problems: list[str], *, required: bool = True) -> str:
    value = raw.get(key)
    if value is None:
        if required:
            problems.append(f"{key} is missing")
        return ""
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{key} must be text")
        return ""
    return value.strip()


def parse_scenario(path: Path) -> tuple[Scenario | None, list[ScenarioProblem]]:
    """Read one file's structure (no database, no diagram): TOML syntax, keys, types, clock moves."""
    file = path.name
    scenario_id = path.stem
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except UnicodeDecodeError:
        return None, [ScenarioProblem(file, "The file is not UTF-8 text")]
    except tomllib.TOMLDecodeError as error:
        where = _TOML_WHERE.search(str(error))
        message = _TOML_WHERE.sub("", str(error)).strip()
        return None, [ScenarioProblem(file, f"Not valid TOML: {message}", line=int(where.group(1)) if where else None)]
    problems: list[ScenarioProblem] = []
    top: list[str] = []
    if not _ID.match(scenario_id):
        top.append("The file name must be lower-case letters, digits and hyphens (it is the scenario's address)")
    top += [f"Unknown setting {key!r} (a typo?)" for key in sorted(set(raw) - _TOP_KEYS)]
    title = _text(raw, "title", top)
    summary = _text(raw, "summary", top)
    points = raw.get("learning_points", [])
    if not isinstance(points, list) or not all(isinstance(p, str) and p.strip() for p in points):
        top.append("learning_points must be a list of text")
        points = []
    reported_by = _text(raw, "reported_by", top, required=False) or "referrer"
    starts_at = raw.get("starts_at")
    if starts_at is not None and (not isinstance(starts_at, str) or not _STARTS_AT.match(starts_at.strip().lower())):
        top.append('starts_at must be a day and a time, such as "saturday 02:10" or "working-day 10:00"')
        starts_at = None
    contact = raw.get("contact")
    if not isinstance(contact, dict):
        top.append("[contact] is missing: the contact as the intake form takes it")
        contact = {}
    earlier = raw.get("earlier_contacts", [])
    if not isinstance(earlier, list) or not all(isinstance(c, dict) for c in earlier):
        top.append("earlier_contacts must be [[earlier_contacts]] tables")
        earlier = []
    expect = raw.get("expect", {})
    if not isinstance(expect, dict):
        top.append("[expect] must be a table")
        expect = {}
    top += [f"Unknown setting expect.{key} (use {', '.join(sorted(_EXPECT_KEYS))})"
            for key in sorted(set(expect) - _EXPECT_KEYS)]
    problems += [ScenarioProblem(file, message) for message in top]

    raw_steps = raw.get("steps")
    lines = _header_lines(text, "steps")
    steps: list[ScriptedStep] = []
    if not isinstance(raw_steps, list) or not raw_steps:
        problems.append(ScenarioProblem(file, "There are no [[steps]]: a scenario needs at least one step"))
        raw_steps = []
    for index, item in enumerate(raw_steps):
        number, line = index + 1, lines[index] if index < len(lines) else None
        step, step_problems = _parse_step(item, number, line)
        problems += [ScenarioProblem(file, message, step=number, line=line) for message in step_problems]
        if step is not None:
            steps.append(step)
    if problems:
        return None, problems
    return Scenario(id=scenario_id, file=file, title=title, summary=summary,
                    learning_points=tuple(p.strip() for p in points), contact=_plain(contact),
                    reported_by=reported_by, earlier_contacts=tuple(_plain(c) for c in earlier),
                    steps=tuple(steps), expect=_plain(expect),
                    starts_at=starts_at.strip().lower() if starts_at else None), []


def _parse_step(item: Any, number: int, line: int | None) -> tuple[ScriptedStep | None, list[str]]:
    if not isinstance(item, dict):
        return None, ["A step must be a [[steps]] table"]
    problems = [f"Unknown setting {key!r} (use {', '.join(sorted(_STEP_KEYS))})"
                for key in sorted(set(item) - _STEP_KEYS)]
    bpmn_id = _text(item, "step", problems)
    username = _text(item, "user", problems)
    note = _text(item, "note", problems, required=False) or None
    answers = item.get("answers")
    if not isinstance(answers, dict):
        problems.append("[steps.answers] is missing: the form answers for this step")
        answers = {}
    clock = None
    if "advance" in item and "advance_past" in item:
        problems.append("Give either advance or advance_past, not both")
    elif "advance" in item:
        try:
            clock = parse_clock_move(item["advance"])
        except (ValueError, TypeError):
            problems.append(f"advance {item['advance']!r} is not a clock move: use a duration such as \"5h\", "
                            f"\"1d 4h\", \"30m\" or \"PT5H\", or \"{NEXT_DEADLINE}\"")
    elif "advance_past" in item:
        past = _text(item, "advance_past", problems)
        clock = ClockMove(past=past) if past else None
    if problems:
        return None, problems
    return ScriptedStep(number=number, bpmn_id=bpmn_id, username=username, answers=_plain(answers), note=note,
                        clock=clock, line=line), []


# ----------------------------------------------------------------------------- checking against the hub
def resolve_answers(form: FormDefinition, answers: dict, today: date) -> dict:
    """Date answers may say "today", "today+2" or "today-1": a scenario stays realistic whenever it is run.
    Everything else is passed exactly as written."""
    resolved = dict(answers)
    for key, value in answers.items():
        widget = found.widget if (found := form.field(key)) else None
        match = _RELATIVE_DATE.match(value.strip()) if widget == "date" and isinstance(value, str) else None
        if match:
            days = int(match.group(2) or 0) * (-1 if match.group(1) == "-" else 1)
            resolved[key] = (today + timedelta(days=days)).isoformat()
    return resolved


def typed_contact(definition: CompiledDefinition, contact_form: FormDefinition, contact: dict,
                  today: date) -> tuple[FormDefinition, dict]:
    """A scenario's contact may name a ``type`` (a police missing-person notification): its form, and its answers
    without the type, dates like "today-2" resolved as for a step."""
    kind = _kind(contact)
    if kind is CONTACT or kind.form not in definition.forms:
        return contact_form, contact
    form = definition.forms[kind.form]
    return form, resolve_answers(form, without_type(contact), today)


def as_received(session: Session, contact: dict, today: date) -> dict:
    """The contact the front door is sent: a typed contact's relative dates resolved on the training clock."""
    kind = _kind(contact)
    version = latest_version(session) if kind is not CONTACT else None
    form = compiled(version).forms.get(kind.form) if version is not None else None
    return contact if form is None else resolve_answers(form, contact, today)


def _kind(contact: dict) -> ContactType:
    try:
        return type_of(contact)
    except ValidationFailed:
        return CONTACT  # an unknown type: the contact form's check says what is wrong


def london_today(at: datetime) -> date:
    return at.astimezone(LONDON).date()


def user_task(definition: CompiledDefinition, bpmn_id: str) -> list[UserTaskInfo]:
    """The user tasks with this bpmn id in any process of the definition (call activities included)."""
    return [info for (_process, task_id), info in definition.user_tasks.items() if task_id == bpmn_id]


def _decision_answers(definition: CompiledDefinition, steps: list[ScriptedStep]) -> dict[str, Any] | None:
    """The answers of the scenario's latest decision step before this one, if it has one."""
    for earlier in reversed(steps):
        infos = user_task(definition, earlier.bpmn_id)
        if infos and infos[0].form_key == DECISION_FORM:
            return earlier.answers
    return None


def check_scenario(scenario: Scenario, definition: CompiledDefinition, contact_form: FormDefinition,
                   users: dict[str, frozenset[str]], today: date) -> tuple[Scenario, list[ScenarioProblem]]:
    """Check a parsed scenario against the diagram, its forms and the users; returns it with each step's
    name and role filled in from the diagram, and every problem found (not just the first)."""
    file = scenario.file
    problems: list[ScenarioProblem] = []
    for label, contact in (("contact", scenario.contact),
                           *((f"earlier contact {n}", c) for n, c in enumerate(scenario.earlier_contacts, start=1))):
        typed_form, answers = typed_contact(definition, contact_form, contact, today)
        problems += [ScenarioProblem(file, f"{label}: {error.field or 'the form'}: {error.message}")
                     for error in validate(typed_form, answers)]
    reporter = users.get(scenario.reported_by)
    if reporter is None:
        problems.append(ScenarioProblem(file, f"reported_by: there is no user called {scenario.reported_by!r} "
                                              "(run 'mash demo' for the demo users)"))
    elif not reporter & INTAKE_ROLES:
        problems.append(ScenarioProblem(file, f"reported_by: {scenario.reported_by} cannot report a concern"))
    timer_names = {timer.name for timer in definition.timers.values() if timer.name is not None}
    steps = []
    for step in scenario.steps:
        where = {"step": step.number, "line": step.line}
        matches = user_task(definition, step.bpmn_id)
        if len(matches) != 1:
            known = ", ".join(sorted({task_id for _process, task_id in definition.user_tasks}))
            message = (f"{step.bpmn_id!r} is not a user task of the diagram (steps are: {known})" if not matches
                       else f"{step.bpmn_id!r} is a user task in more than one process")
            problems.append(ScenarioProblem(file, message, **where))
            steps.append(step)
            continue
        info = matches[0]
        step = replace(step, name=info.name, role=info.role)
        steps.append(step)
        roles = users.get(step.username)
        if roles is None:
            problems.append(ScenarioProblem(file, f"user: there is no user called {step.username!r} "
                                                  "(run 'mash demo' for the demo users)", **where))
        elif info.role not in roles:
            problems.append(ScenarioProblem(file, f"user: {step.username} cannot do “{info.name}”: it is in the "
                                                  f"{info.lane} lane", **where))
        form = definition.forms.get(info.form_key or "")
        if form is not None and info.form_key == FEEDBACK_FORM:  # fitted to the scenario's own decision (#18)
            form = feedback_form_after(form, definition.forms.get(DECISION_FORM),
                                       _decision_answers(definition, steps[:-1]))
        if form is None:
            problems.append(ScenarioProblem(file, f"“{info.name}” has no form {info.form_key!r}", **where))
        else:
            problems += [ScenarioProblem(file, f"answers: {error.field or 'the form'}: {error.message}", **where)
                         for error in validate(form, resolve_answers(form, step.answers, today))]
        if step.clock and step.clock.past and step.clock.past not in timer_names:
            problems.append(ScenarioProblem(file, f"advance_past: the diagram has no deadline called "
                                                  f"{step.clock.past!r} (deadlines: {', '.join(sorted(timer_names))})",
                                            **where))
    for bpmn_id in scenario.expect.get("open_steps", []) or []:
        if not user_task(definition, bpmn_id):
            problems.append(ScenarioProblem(file, f"expect.open_steps: {bpmn_id!r} is not a user task of the diagram"))
    return replace(scenario, steps=tuple(steps)), problems


def users_and_roles(session: Session) -> dict[str, frozenset[str]]:
    return {user.username: user.role_names
            for user in session.scalars(select(User).where(User.is_active_user.is_(True)))}


def load_library(session: Session, directory: Path, at: datetime) -> list[LibraryEntry]:
    """Every scenario file, checked against the diagram new contacts start on now."""
    definition, form, users = _checking_context(session)
    return [load_entry(path, definition, form, users, london_today(at)) for path in scenario_files(directory)]


def load_scenario(session: Session, directory: Path, scenario_id: str, at: datetime) -> LibraryEntry | None:
    """One scenario by its id (the file name without .toml), or None when there is no such file."""
    path = directory / f"{scenario_id}.toml"
    if not _ID.match(scenario_id) or not path.is_file():
        return None
    definition, form, users = _checking_context(session)
    return load_entry(path, definition, form, users, london_today(at))


def _checking_context(session: Session) -> tuple[CompiledDefinition, FormDefinition, dict[str, frozenset[str]]]:
    version = latest_version(session)
    if version is None:
        raise ProcessFailed("No process is deployed: run 'mash init-db' first.")
    definition = compiled(version)
    return definition, contact_form(session), users_and_roles(session)


def scenario_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.toml")) if directory.is_dir() else []


def load_entry(path: Path, definition: CompiledDefinition, contact_form: FormDefinition,
               users: dict[str, frozenset[str]], today: date) -> LibraryEntry:
    scenario, problems = parse_scenario(path)
    if scenario is not None:
        scenario, problems = check_scenario(scenario, definition, contact_form, users, today)
    title = scenario.title if scenario is not None else _title_of(path)
    return LibraryEntry(id=path.stem, file=path.name, title=title, scenario=None if problems else scenario,
                        problems=tuple(problems))


def _title_of(path: Path) -> str:
    """A broken file's title, if it can still be read, for the library list."""
    try:
        title = tomllib.loads(path.read_text(encoding="utf-8")).get("title")
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        title = None
    return title.strip() if isinstance(title, str) and title.strip() else path.stem
