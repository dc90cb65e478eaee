"""The hub's maintained list of lawful bases for sharing (``processes/lawful-bases.toml``).

An information governance lead keeps the list; the forms offer it and the sharing reports label
stored codes with it. A form field marked ``"x-lawful-bases"`` gets its choices from here when the
form is loaded, so nobody edits a form to follow a change in the law. The list is hub-wide and
current rather than part of a process version: a basis retired today must stop being offered on
every open case, and records made under it must stay readable (``retired = true``), so a basis is
retired, never deleted.

It lives in core, beside the SLA policies, because the form loader (a foundation under every
feature) reads it.
"""
from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from app.core.rule_files import RuleFile, processes_folder
from app.core.toml_lines import decode_error_line, key_line

LAWFUL_BASES_FILE = "lawful-bases.toml"

#: Kinds of entry, and how a report names them.
KINDS: dict[str, str] = {
    "art6": "UK GDPR Article 6",
    "art9-condition": "Special category condition (UK GDPR Article 9, DPA 2018 Schedule 1)",
    "part3": "DPA 2018 Part 3 (law enforcement)",
}

#: The form keyword: a list of kinds, or {"kinds": [...], "without_consent": true}.
FORM_KEYWORD = "x-lawful-bases"

_KEYS = ("code", "kind", "label", "hint", "consent", "retired")
_CODE = re.compile(r"^[a-z0-9]+(?:[-.][a-z0-9]+)*$")


@dataclass(frozen=True)
class LawfulBasis:
    code: str
    kind: str
    label: str
    hint: str | None = None
    consent: bool = False
    retired: bool = False


@dataclass(frozen=True)
class LawfulBasisProblem:
    message: str
    line: int | None = None

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class LawfulBasisError(Exception):
    """The list (or a form's use of it) was refused; every problem carries its line where there is one."""

    def __init__(self, file: str, problems: list[LawfulBasisProblem]) -> None:
        self.file = file
        self.problems = problems
        super().__init__(f"{file}: " + "; ".join(str(p) for p in problems))


@dataclass(frozen=True)
class LawfulBases:
    """A checked list, in the order the governance lead wrote it (the order forms offer it)."""

    bases: tuple[LawfulBasis, ...]

    def get(self, code: str | None) -> LawfulBasis | None:
        return next((b for b in self.bases if b.code == code), None)

    def label(self, code: str | None) -> str:
        """The label of a stored code; an unknown code is shown as itself, never hidden."""
        basis = self.get(code)
        return basis.label if basis else (code or "")

    def kind_of(self, code: str | None) -> str | None:
        basis = self.get(code)
        return basis.kind if basis else None

    def offered(self, kinds: Iterable[str], *, without_consent: bool = False) -> list[LawfulBasis]:
        """What a form may offer: not retired, of these kinds, and not consent-based where consent is missing."""
        wanted = set(kinds)
        return [b for b in self.bases if b.kind in wanted and not b.retired and not (without_consent and b.consent)]


def parse_lawful_bases(text: str, file: str = f"processes/{LAWFUL_BASES_FILE}") -> LawfulBases:
    """Read and check the list; raise LawfulBasisError naming every problem and its line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        problem = LawfulBasisProblem(f"not valid TOML: {error}", decode_error_line(error))
        raise LawfulBasisError(file, [problem]) from None
    reader = _Reader(text)
    bases = reader.read(data)
    if reader.problems:
        raise LawfulBasisError(file, reader.problems)
    return LawfulBases(tuple(bases))


_FILE = RuleFile(parse_lawful_bases, LawfulBasisError, what="lawful bases",
                 unreadable=lambda name, error: LawfulBasisError(
                     name, [LawfulBasisProblem(f"cannot be read: {error.strerror}")]))


def load_lawful_bases(path: Path, *, keep_last_good: bool = False) -> LawfulBases:
    """The list in a file, read again only when the file changes.

    ``keep_last_good`` is for readers (recording, reports): a list broken while the service runs must
    not stop safeguarding work, so the last good list stays in use and the error is logged. Loading
    forms (start-up, deploy) never keeps a stale list: there the broken file is refused.
    """
    return _FILE.load(path, keep_last_good=keep_last_good)


def hub_lawful_bases(*, keep_last_good: bool = True) -> LawfulBases:
    """The hub's list, next to the diagrams (``MASH_PROCESSES_DIR``, as the settings read it)."""
    return load_lawful_bases(processes_folder() / LAWFUL_BASES_FILE, keep_last_good=keep_last_good)


def with_lawful_bases(schema: Mapping[str, Any], bases: LawfulBases | None = None) -> Mapping[str, Any]:
    """The form schema with every ``x-lawful-bases`` field given its choices from the list.

    A field gets ``enum`` plus ``x-ui.labels``/``hints``; a conditional rule (no ``type``) gets only
    the narrower ``enum``, e.g. "not consent when consent was refused". Forms without the keyword are
    returned as they are and never read the list. Raises LawfulBasisError for a misused keyword or
    a field the list leaves with nothing to offer.
    """
    if not _uses_keyword(schema):
        return schema
    bases = bases if bases is not None else hub_lawful_bases(keep_last_good=False)
    expanded = copy.deepcopy(dict(schema))
    problems: list[LawfulBasisProblem] = []
    _expand(expanded, bases, problems, "")
    if problems:
        raise LawfulBasisError("the form", problems)
    return expanded


def _uses_keyword(node: Any) -> bool:
    if isinstance(node, Mapping):
        return FORM_KEYWORD in node or any(_uses_keyword(v) for k, v in node.items() if k != "x-ui")
    if isinstance(node, list):
        return any(_uses_keyword(v) for v in node)
    return False


def _expand(node: Any, bases: LawfulBases, problems: list[LawfulBasisProblem], where: str) -> None:
    if isinstance(node, list):
        for item in node:
            _expand(item, bases, problems, where)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key not in ("x-ui", FORM_KEYWORD):
            _expand(value, bases, problems, f"{where}.{key}" if where else key)
    if FORM_KEYWORD not in node:
        return
    spec = node.pop(FORM_KEYWORD)
    kinds, without_consent = _read_spec(spec)
    name = where.rsplit("properties.", 1)[-1] or "the form"
    if kinds is None:
        problems.append(LawfulBasisProblem(
            f'{name}: "{FORM_KEYWORD}" must list kinds of basis ({", ".join(KINDS)}), '
            'or be {"kinds": [...], "without_consent": true}'))
        return
    if "enum" in node or "const" in node:
        problems.append(LawfulBasisProblem(
            f'{name}: takes its choices from the lawful-bases list, so it has no "enum" of its own'))
        return
    offered = bases.offered(kinds, without_consent=without_consent)
    if not offered:
        problems.append(LawfulBasisProblem(f"{name}: the lawful-bases list offers nothing of kind {', '.join(kinds)}"))
        return
    node["enum"] = [b.code for b in offered]
    if "type" in node:
        ui = node.setdefault("x-ui", {})
        ui["labels"] = {b.code: b.label for b in offered}
        hints = {b.code: b.hint for b in offered if b.hint}
        if hints:
            ui["hints"] = hints


def _read_spec(spec: Any) -> tuple[list[str] | None, bool]:
    without_consent = False
    if isinstance(spec, Mapping):
        if set(spec) - {"kinds", "without_consent"} or not isinstance(spec.get("without_consent", False), bool):
            return None, False
        without_consent = spec.get("without_consent", False)
        spec = spec.get("kinds")
    if isinstance(spec, str):
        spec = [spec]
    if not isinstance(spec, list) or not spec or not all(isinstance(k, str) and k in KINDS for k in spec):
        return None, False
    return list(dict.fromkeys(spec)), without_consent


class _Reader:
    """Checks the parsed TOML against the text, so each problem points at its line."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.problems: list[LawfulBasisProblem] = []
        self.headers = [i for i, line in enumerate(self.lines) if re.match(r"^\s*\[\[\s*basis\s*\]\]", line)]

    def line_of(self, index: int | None, key: str | None = None) -> int | None:
        """The line of entry ``index`` (or of a top-level key when index is None)."""
        if index is None:
            end = self.headers[0] if self.headers else len(self.lines)
            return next((i + 1 for i in range(end)
                         if key and re.match(rf"^\s*\[*\s*{re.escape(key)}\b", self.lines[i])), None)
        if index >= len(self.headers):
            return None
        return key_line(self.lines, self.headers[index], key)

    def add(self, message: str, index: int | None, key: str | None = None) -> None:
        self.problems.append(LawfulBasisProblem(message, self.line_of(index, key)))

    def read(self, data: dict[str, Any]) -> list[LawfulBasis]:
        for key in data:
            if key != "basis":
                self.add(f"unknown setting '{key}': the file holds only [[basis]] entries", None, key)
        entries = data.get("basis", [])
        if not isinstance(entries, list) or not entries:
            self.problems.append(LawfulBasisProblem("lists no lawful bases: add [[basis]] entries", 1))
            return []
        bases: list[LawfulBasis] = []
        seen: dict[str, int] = {}
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                self.add("each basis must be a [[basis]] table", index)
                continue
            basis = self.entry(index, entry)
            if basis is None:
                continue
            if basis.code in seen:
                self.add(f"code '{basis.code}' is used twice (first at line {self.line_of(seen[basis.code], 'code')})",
                         index, "code")
                continue
            seen[basis.code] = index
            bases.append(basis)
        return bases

    def entry(self, index: int, entry: dict[str, Any]) -> LawfulBasis | None:
        ok = True
        for key in entry:
            if key not in _KEYS:
                self.add(f"basis has no setting '{key}' (known: {', '.join(_KEYS)})", index, key)
                ok = False
        code, kind, label = entry.get("code"), entry.get("kind"), entry.get("label")
        if not isinstance(code, str) or not _CODE.match(code) or len(code) > 60:
            self.add("code must be lower-case letters, digits and hyphens, at most 60 characters, e.g. uk-gdpr-6-1-e",
                     index, "code")
            ok = False
        if kind not in KINDS:
            self.add(f"kind must be one of {', '.join(KINDS)}", index, "kind")
            ok = False
        if not isinstance(label, str) or not label.strip() or len(label) > 200:
            self.add("label must be the text practitioners see, at most 200 characters", index, "label")
            ok = False
        hint = entry.get("hint")
        if hint is not None and (not isinstance(hint, str) or len(hint) > 500):
            self.add("hint must be text of at most 500 characters", index, "hint")
            ok = False
        for flag in ("consent", "retired"):
            if not isinstance(entry.get(flag, False), bool):
                self.add(f"{flag} must be true or false", index, flag)
                ok = False
        if not ok:
            return None
        # Each was checked above to be text.
        code, kind, label = cast(str, code), cast(str, kind), cast(str, label)
        return LawfulBasis(code=code, kind=kind, label=label.strip(), hint=hint.strip() if hint else None,
                           consent=entry.get("consent", False), retired=entry.get("retired", False))
