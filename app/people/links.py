"""Exploitation flags: several children linked to one adult of concern or one place within a window, by the
hub's rules (``processes/exploitation-links.toml``), read and checked line by line like the repeat-concern
rules: a broken file is refused with its lines and the last good rules stay in use.

Decisions the rules file leaves to the code:
- only confirmed links count; a pattern that needs a proposed link is "possible – if confirmed", and a
  rejected link never counts;
- a child is a person (every record merged into them counts once); an adult of concern likewise;
- the window is whole days up to today (the pattern as it stands now, the day the case is read), by the
  date each link was seen;
- a case is flagged when one of its subjects is the child or the adult of a link (not rejected) to the adult
  or place the pattern is about.
"""
from __future__ import annotations

import logging
import re
import tomllib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import BindParameter, bindparam, or_, select
from sqlalchemy.orm import Session, object_session

from app.cases.models import Case
from app.core.calendar import LONDON
from app.core.clock import now
from app.core.db import AnyRow, read_rows
from app.core.rule_files import RuleFile, processes_folder
from app.core.toml_lines import decode_error_line, key_line
from app.people.clusters import clusters, parents_above, roots_for
from app.people.models import Association, Person, Place
from app.people.places import ADULT_LINKS, PLACE_LINKS

RULES_FILE = "exploitation-links.toml"
logger = logging.getLogger(__name__)
KINDS = {"adult": ADULT_LINKS, "place": PLACE_LINKS}
_KEYS = ("id", "kind", "label", "min_children", "window_days", "links")
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class LinkRule:
    id: str
    kind: str
    label: str
    min_children: int
    window_days: int
    links: tuple[str, ...] = ()

    def counts(self, association: Association, today: date) -> bool:
        return ((not self.links or association.link in self.links)
                and association.seen_on > today - timedelta(days=self.window_days))


class LinkRulesError(Exception):
    """The rules file was refused; the message names each problem and its line."""


def parse_rules(text: str, file: str = f"processes/{RULES_FILE}") -> tuple[LinkRule, ...]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise LinkRulesError(f"{file}: line {decode_error_line(error)}: not valid TOML: {error}") from None
    lines = text.splitlines()
    headers = [i for i, line in enumerate(lines) if re.match(r"^\s*\[\[\s*rule\s*\]\]", line)]
    problems = [f"line {_line_of(lines, key)}: unknown setting '{key}': the file holds only [[rule]] entries"
                for key in data if key != "rule"]
    entries = data.get("rule", [])
    if not isinstance(entries, list) or not entries:
        problems.append("line 1: lists no rules: add [[rule]] entries")
        entries = []
    rules, seen = [], set()
    for index, entry in enumerate(entries):
        def add(message: str, key: str | None, index: int = index) -> None:
            line = key_line(lines, headers[index], key) if index < len(headers) else None
            problems.append(f"line {line}: {message}")
        rule = _entry(entry, add)
        if rule is not None and rule.id in seen:
            add(f"id '{rule.id}' is used twice", "id")
        elif rule is not None:
            seen.add(rule.id)
            rules.append(rule)
    if problems:
        raise LinkRulesError(f"{file}: " + "; ".join(problems))
    return tuple(rules)


def _line_of(lines: list[str], key: str) -> int:
    return next((i + 1 for i, text in enumerate(lines) if re.match(rf"^\s*\[*\s*{re.escape(key)}\b", text)), 1)


def _entry(entry: Any, add: Callable[[str, str | None], None]) -> LinkRule | None:
    if not isinstance(entry, dict):
        add("each rule must be a [[rule]] table", None)
        return None
    problems = 0

    def fail(message: str, key: str | None) -> None:
        nonlocal problems
        problems += 1
        add(message, key)
    for key in entry:
        if key not in _KEYS:
            fail(f"a rule has no setting '{key}' (known: {', '.join(_KEYS)})", key)
    kind = entry.get("kind")
    if kind not in KINDS:
        fail("kind must be one of adult, place", "kind")
    rule_id, label = entry.get("id"), entry.get("label")
    if not isinstance(rule_id, str) or not _ID.match(rule_id) or len(rule_id) > 60:
        fail("id must be lower-case letters, digits and hyphens, at most 60 characters", "id")
    if not isinstance(label, str) or not label.strip() or len(label) > 200:
        fail("label must be the text practitioners see, at most 200 characters", "label")
    for key, (low, high) in {"min_children": (2, 100), "window_days": (1, 3660)}.items():
        value = entry.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            fail(f"{key} must be a whole number from {low} to {high}", key)
    links = entry.get("links", [])
    if kind in KINDS and (not isinstance(links, list) or not all(link in KINDS[kind] for link in links)):
        fail(f"links must be a list of {kind} links from {', '.join(KINDS[kind])}", "links")
    if problems:
        return None
    return LinkRule(id=str(rule_id), kind=str(kind), label=str(label).strip(), min_children=entry["min_children"],
                    window_days=entry["window_days"], links=tuple(dict.fromkeys(links)))


_FILE = RuleFile(parse_rules, LinkRulesError, what="exploitation-link rules",
                 unreadable=lambda name, error: LinkRulesError(f"{name}: cannot be read: {error.strerror}"))


def load_rules(path: Path) -> tuple[LinkRule, ...]:
    """The rules in a file, read again only when it changes; a broken file keeps the last good rules (and
    logs why), and raises when there are none to keep."""
    return _FILE.load(path, keep_last_good=True)


def hub_rules() -> tuple[LinkRule, ...]:
    return load_rules(processes_folder() / RULES_FILE)


@dataclass(frozen=True)
class LinkFlag:
    rule_id: str
    label: str
    kind: str
    #: The adult's person (root) or the place the children are linked to.
    hub_id: int
    hub_name: str
    children: int
    explanation: str
    possible: bool
    #: Subjects of this contact linked to it (their positions on the contact).
    subject_positions: tuple[int, ...]
    association_ids: tuple[int, ...]

    def as_json(self) -> dict:
        return {"rule": self.rule_id, "label": self.label, "kind": self.kind,
                "person_id" if self.kind == "adult" else "place_id": self.hub_id, "children": self.children,
                "explanation": self.explanation, "possible": self.possible,
                "subject_positions": list(self.subject_positions), "association_ids": list(self.association_ids)}


def today() -> date:
    return now().astimezone(LONDON).date()


#: Built once: every answer about a case with people on record asks for their links.
_RECORDS: BindParameter[list[int]] = bindparam("records", expanding=True)
#: The live links of a case's subjects' records, as plain rows: every case answer asks, and the rules only read them.
_LINKS_OF = select(*Association.__table__.c).where(Association.status != "rejected", or_(
    Association.child_person_id.in_(_RECORDS), Association.adult_person_id.in_(_RECORDS)))


def _hubs_of(session: Session, case: Case) -> tuple[dict[int, int], Sequence[AnyRow], dict[int, int]]:
    """The case's subjects' records (record -> root), the live links they are part of, and record -> subject
    position."""
    positions = {s.person_id: s.position for s in case.subjects if s.person_id is not None}
    members = clusters(session, positions)
    if not members:
        return {}, [], {}
    own = read_rows(session, _LINKS_OF, {"records": list(members)})
    root_position = {members[record]: position for record, position in positions.items()}
    return members, own, {record: root_position[root] for record, root in members.items()}


def evaluate(session: Session, case: Case, rules: tuple[LinkRule, ...], on: date | None = None) -> list[LinkFlag]:
    """Every rule against every adult and place this case's subjects are linked to."""
    on = today() if on is None else on
    members, own, position_of = _hubs_of(session, case)
    if not own:
        return []
    adult_records = {a.adult_person_id for a in own if a.adult_person_id is not None and a.child_person_id in members}
    adult_records |= {a.adult_person_id for a in own if a.adult_person_id in members}
    adults = clusters(session, {r for r in adult_records if r is not None})
    places = {a.place_id for a in own if a.place_id is not None}
    links = list(session.scalars(select(Association).where(
        Association.status != "rejected",
        or_(Association.adult_person_id.in_(adults or [-1]), Association.place_id.in_(places or [-1])))))
    children = {a.child_person_id for a in links}
    child_root = roots_for(session, children, parents_above(session, children))
    by_hub: dict[tuple[str, int], list[Association]] = defaultdict(list)
    for a in links:
        key = ("adult", adults[a.adult_person_id]) if a.adult_person_id is not None else ("place", a.place_id or 0)
        by_hub[key].append(a)
    names = _hub_names(session, by_hub)
    flags = []
    for (kind, hub), found in sorted(by_hub.items()):
        mine = [a for a in found if a.child_person_id in members or a.adult_person_id in members]
        if not mine:
            continue
        positions = tuple(sorted({position_of[a.child_person_id] if a.child_person_id in members
                                  else position_of[a.adult_person_id or 0] for a in mine}))
        for rule in rules:
            if rule.kind != kind:
                continue
            counted = [a for a in found if rule.counts(a, on)]
            confirmed = {child_root[a.child_person_id] for a in counted if a.status == "confirmed"}
            everyone = {child_root[a.child_person_id] for a in counted}
            own_confirmed = any(a.status == "confirmed" and rule.counts(a, on) for a in mine)
            if len(confirmed) >= rule.min_children and own_confirmed:
                possible, number = False, len(confirmed)
            elif len(everyone) >= rule.min_children:
                possible, number = True, len(everyone)
            else:
                continue
            what = "this adult" if kind == "adult" else "this place"
            explanation = (f"{number} children linked to {what} in the {rule.window_days} days to "
                           f"{on:%-d %b %Y}" + (" if the proposed links are confirmed" if possible else ""))
            flags.append(LinkFlag(rule.id, rule.label, kind, hub, names.get((kind, hub), ""), number,
                                  explanation, possible, positions, tuple(sorted(a.id for a in counted))))
    return flags


def _hub_names(session: Session, hubs) -> dict[tuple[str, int], str]:
    people = [hub for kind, hub in hubs if kind == "adult"]
    places = [hub for kind, hub in hubs if kind == "place"]
    names: dict[tuple[str, int], str] = {}
    if people:
        names |= {("adult", p.id): p.full_name for p in session.scalars(select(Person).where(Person.id.in_(people)))}
    if places:
        names |= {("place", p.id): p.name for p in session.scalars(select(Place).where(Place.id.in_(places)))}
    return names


@dataclass
class LinkPanel:
    """The screening panel's part: the flags, or why the rules were not checked."""

    flags: list[LinkFlag]
    rules_error: str | None = None

    @property
    def confirmed_flags(self) -> list[LinkFlag]:
        return [f for f in self.flags if not f.possible]

    @property
    def possible_flags(self) -> list[LinkFlag]:
        return [f for f in self.flags if f.possible]


def link_panel(session: Session, case: Case) -> LinkPanel:
    if case.anonymised_at is not None:
        return LinkPanel([])
    try:
        rules = hub_rules()
    except LinkRulesError as error:
        return LinkPanel([], f"The exploitation-link rules were refused, so no link was checked: {error}")
    return LinkPanel(evaluate(session, case, rules))


def exploitation_links_json(case: Case) -> list[dict]:
    """The API's ``exploitation_links`` for a case read in a session (beside ``repeat_concerns``)."""
    session = object_session(case)
    if session is None or case.anonymised_at is not None:
        return []
    try:
        return [flag.as_json() for flag in evaluate(session, case, hub_rules())]
    except LinkRulesError as error:
        logger.error("exploitation links not checked for case %s: %s", case.id, error)
        return []
