"""The hub's repeat-concern rules (``processes/repeat-concerns.toml``), read and checked line by line.

Hub-wide and current like the lawful-bases list, not part of a process version: a manager tightening
a rule wants every case screened from now on to use it. A file broken while the service runs is
refused with its lines and the last good rules stay in use (screening must not stop); with no good
rules at all the panel says the rules were refused rather than showing no flags.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from app.core.rule_files import RuleFile, processes_folder
from app.core.toml_lines import decode_error_line, key_line

RULES_FILE = "repeat-concerns.toml"

KINDS = ("contacts", "re-referral")
PUBLIC_CHOICES = ("one-agency", "not-an-agency")
#: Subject roles on a contact (forms/contact.json).
ROLES = ("child", "unborn", "adult", "parent", "carer", "household-member", "alleged-perpetrator", "other")
_KEYS = {"contacts": ("id", "kind", "label", "window_days", "min_contacts", "min_agencies", "public", "roles"),
         "re-referral": ("id", "kind", "label", "window_days", "roles")}
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class RepeatRule:
    id: str
    kind: str
    label: str
    window_days: int
    min_contacts: int = 0
    min_agencies: int = 0
    public: str = "one-agency"
    roles: tuple[str, ...] = ()

    def applies_to(self, role: str | None) -> bool:
        return not self.roles or role in self.roles


@dataclass(frozen=True)
class RuleProblem:
    message: str
    line: int | None = None

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class RepeatRulesError(Exception):
    """The rules file was refused; each problem names its line where there is one."""

    def __init__(self, file: str, problems: list[RuleProblem]) -> None:
        self.file = file
        self.problems = problems
        super().__init__(f"{file}: " + "; ".join(str(p) for p in problems))


def parse_rules(text: str, file: str = f"processes/{RULES_FILE}") -> tuple[RepeatRule, ...]:
    """Read and check the rules; raise RepeatRulesError naming every problem and its line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RepeatRulesError(file, [RuleProblem(f"not valid TOML: {error}", decode_error_line(error))]) from None
    reader = _Reader(text)
    rules = reader.read(data)
    if reader.problems:
        raise RepeatRulesError(file, reader.problems)
    return tuple(rules)


_FILE = RuleFile(parse_rules, RepeatRulesError, what="repeat-concern rules",
                 unreadable=lambda name, error: RepeatRulesError(
                     name, [RuleProblem(f"cannot be read: {error.strerror}")]))


def load_rules(path: Path, *, keep_last_good: bool = True) -> tuple[RepeatRule, ...]:
    """The rules in a file, read again only when it changes; a broken file keeps the last good rules
    when asked (and logs why), and raises when there are none to keep."""
    return _FILE.load(path, keep_last_good=keep_last_good)


def hub_rules(*, keep_last_good: bool = True) -> tuple[RepeatRule, ...]:
    """The hub's rules, next to the diagrams (``MASH_PROCESSES_DIR``)."""
    return load_rules(processes_folder() / RULES_FILE, keep_last_good=keep_last_good)


class _Reader:
    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.problems: list[RuleProblem] = []
        self.headers = [i for i, line in enumerate(self.lines) if re.match(r"^\s*\[\[\s*rule\s*\]\]", line)]

    def add(self, message: str, index: int | None, key: str | None = None) -> None:
        if index is None:
            line = next((i + 1 for i, text in enumerate(self.lines)
                         if key and re.match(rf"^\s*\[*\s*{re.escape(key)}\b", text)), None)
        else:
            line = key_line(self.lines, self.headers[index], key) if index < len(self.headers) else None
        self.problems.append(RuleProblem(message, line))

    def read(self, data: dict) -> list[RepeatRule]:
        for key in data:
            if key != "rule":
                self.add(f"unknown setting '{key}': the file holds only [[rule]] entries", None, key)
        entries = data.get("rule", [])
        if not isinstance(entries, list) or not entries:
            self.problems.append(RuleProblem("lists no rules: add [[rule]] entries", 1))
            return []
        rules: list[RepeatRule] = []
        seen: dict[str, int] = {}
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                self.add("each rule must be a [[rule]] table", index)
                continue
            rule = self.entry(index, entry)
            if rule is None:
                continue
            if rule.id in seen:
                self.add(f"id '{rule.id}' is used twice (first in rule {seen[rule.id] + 1})", index, "id")
                continue
            seen[rule.id] = index
            rules.append(rule)
        return rules

    def entry(self, index: int, entry: dict[str, Any]) -> RepeatRule | None:
        before = len(self.problems)
        kind = entry.get("kind")
        if kind not in KINDS:
            self.add(f"kind must be one of {', '.join(KINDS)}", index, "kind")
            return None
        for key in entry:
            if key not in _KEYS[kind]:
                self.add(f"a {kind} rule has no setting '{key}' (known: {', '.join(_KEYS[kind])})", index, key)
        rule_id, label = entry.get("id"), entry.get("label")
        if not isinstance(rule_id, str) or not _ID.match(rule_id) or len(rule_id) > 60:
            self.add("id must be lower-case letters, digits and hyphens, at most 60 characters, "
                     "e.g. multi-agency-90-days", index, "id")
        if not isinstance(label, str) or not label.strip() or len(label) > 200:
            self.add("label must be the text practitioners see, at most 200 characters", index, "label")
        numbers = {"window_days": (1, 3660)}
        if kind == "contacts":
            numbers |= {"min_contacts": (2, 100), "min_agencies": (1, 20)}
        for key, (low, high) in numbers.items():
            value = entry.get(key)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                self.add(f"{key} must be a whole number from {low} to {high}", index, key)
        public = entry.get("public", "one-agency")
        if public not in PUBLIC_CHOICES:
            self.add(f"public must be one of {', '.join(PUBLIC_CHOICES)}", index, "public")
        roles = entry.get("roles", [])
        if not isinstance(roles, list) or not all(r in ROLES for r in roles):
            self.add(f"roles must be a list of subject roles from {', '.join(ROLES)}", index, "roles")
        if len(self.problems) > before:
            return None
        # Both were checked above to be text.
        rule_id, label = cast(str, rule_id), cast(str, label)
        return RepeatRule(id=rule_id, kind=kind, label=label.strip(), window_days=entry["window_days"],
                          min_contacts=entry.get("min_contacts", 0), min_agencies=entry.get("min_agencies", 0),
                          public=public, roles=tuple(dict.fromkeys(roles)))
