"""The hub's words for its messages (``processes/notifications.toml``): per kind the channel and the templates,
the agency teams' addresses and the secure domains. Checked when the app starts, refused with the line at fault,
and read once."""
from __future__ import annotations

import logging
import os
import re
import string
import threading
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.config import PROJECT_ROOT
from app.core.toml_lines import decode_error_line, key_line

log = logging.getLogger(__name__)

CATALOGUE_FILE = "notifications.toml"
#: The kinds the app sends (notify(kind=...)); "digest" is the sender's own, gathering the others.
KINDS: tuple[str, ...] = ("new-task", "at-risk", "breach", "chase", "feedback", "handover", "incident",
                          "duty-escalation")
DIGEST_KIND = "digest"
CHANNELS = ("email", "notify")
#: Filled by the app, not the caller: the page in the app the message points to.
LINK = "link"
_FIELD = re.compile(r"^[a-z][a-z0-9_]*$")
_ADDRESS = re.compile(r"^[^@\s]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_KIND_KEYS = {"channel", "subject", "body", "secure_body", "template_id", "secure_template_id", "personal",
              "urgent"}


@dataclass(frozen=True)
class MessageKind:
    name: str
    channel: str
    subject: str = ""
    body: str = ""
    secure_body: str | None = None
    template_id: str | None = None
    secure_template_id: str | None = None
    personal: frozenset[str] = frozenset()
    urgent: bool = False


@dataclass(frozen=True)
class Catalogue:
    kinds: dict[str, MessageKind]
    teams: dict[str, str]
    secure_domains: tuple[str, ...]
    source: str = field(default="")

    def kind(self, name: str) -> MessageKind:
        if name not in self.kinds or name == DIGEST_KIND:
            raise ValueError(f"unknown notification kind {name!r}: one of {', '.join(KINDS)}")
        return self.kinds[name]

    def team_address(self, agency: str) -> str:
        if agency not in self.teams:
            raise ValueError(f"no team address for agency {agency!r} in {CATALOGUE_FILE} [teams]")
        return self.teams[agency]

    def is_secure(self, address: str, council_domain: str = "") -> bool:
        """Whether the address's domain is on the secure list (or is the council's own, or under either)."""
        domain = address.rsplit("@", 1)[-1].strip().lower()
        listed = (*self.secure_domains, *((council_domain,) if council_domain else ()))
        return any(domain == d or domain.endswith("." + d) for d in listed)


class CatalogueError(ValueError):
    """notifications.toml was refused; the message names the file and the line."""


def placeholders(template: str) -> set[str]:
    """The ``{name}`` fields a template uses."""
    return {name for _text, name, _spec, _conv in string.Formatter().parse(template) if name is not None}


def _problem(path: Path, line: int | None, message: str) -> CatalogueError:
    return CatalogueError(f"{path.name}: line {line}: {message}" if line else f"{path.name}: {message}")


def _table_line(lines: list[str], header: str) -> int:
    """The 0-based index of ``[header]``, or 0 when it is not written out."""
    for i, text in enumerate(lines):
        if re.match(rf"^\s*\[\s*{re.escape(header)}\s*\]", text):
            return i
    return 0


def parse(path: Path) -> Catalogue:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _problem(path, decode_error_line(error), f"not valid TOML ({error})") from None
    unknown = set(data) - {"secure_domains", "teams", "kinds"}
    if unknown:
        key = sorted(unknown)[0]
        raise _problem(path, key_line(lines, -1, key) or None,
                       f"unknown setting {key!r} (secure_domains, [teams], [kinds.<kind>])")
    domains = data.get("secure_domains")
    if not isinstance(domains, list) or not all(isinstance(d, str) and d.strip() for d in domains):
        raise _problem(path, key_line(lines, -1, "secure_domains"), "secure_domains must be a list of domains")
    teams = data.get("teams", {})
    teams_at = _table_line(lines, "teams")
    for agency, address in teams.items():
        if not isinstance(address, str) or not _ADDRESS.match(address):
            raise _problem(path, key_line(lines, teams_at, agency), f"team {agency!r} needs an e-mail address")
    kinds_data = data.get("kinds", {})
    kinds = {}
    for name in (*KINDS, DIGEST_KIND):
        if name not in kinds_data:
            raise _problem(path, None, f"no [kinds.{name}]: every message kind needs its channel and words")
    for name, entry in kinds_data.items():
        kinds[name] = _kind(path, lines, name, entry)
    return Catalogue(kinds=kinds, teams=dict(teams), secure_domains=tuple(d.strip().lower() for d in domains),
                     source=str(path))


def _kind(path: Path, lines: list[str], name: str, entry: Any) -> MessageKind:
    at = _table_line(lines, f"kinds.{name}")

    def refuse(key: str | None, message: str) -> CatalogueError:
        return _problem(path, key_line(lines, at, key), f"[kinds.{name}] {message}")

    if name not in KINDS and name != DIGEST_KIND:
        raise refuse(None, f"is not a message kind the app sends ({', '.join(KINDS)}, {DIGEST_KIND})")
    if not isinstance(entry, dict):
        raise refuse(None, "must be a table")
    for key in entry:
        if key not in _KIND_KEYS:
            raise refuse(key, f"unknown key {key!r}")
    channel = entry.get("channel")
    if channel not in CHANNELS:
        raise refuse("channel", f"channel must be one of {', '.join(CHANNELS)}")
    personal = entry.get("personal", [])
    if not isinstance(personal, list) or not all(isinstance(p, str) and _FIELD.match(p) for p in personal):
        raise refuse("personal", "personal must be a list of field names")
    if not isinstance(entry.get("urgent", False), bool):
        raise refuse("urgent", "urgent must be true or false")
    texts: dict[str, str] = {}
    for key in ("subject", "body", "secure_body", "template_id", "secure_template_id"):
        if key in entry:
            if not isinstance(entry[key], str) or not entry[key].strip():
                raise refuse(key, f"{key} must be text")
            texts[key] = entry[key]
    if channel == "email":
        for key in ("subject", "body"):
            if key not in texts:
                raise refuse(None, f"an e-mail needs a {key}")
    elif "template_id" not in texts:
        raise refuse(None, "a GOV.UK Notify message needs its template_id")
    if "\n" in texts.get("subject", ""):
        raise refuse("subject", "a subject is one line")
    for key in ("subject", "body", "secure_body"):
        if key not in texts:
            continue
        try:
            used = placeholders(texts[key])
        except ValueError as error:
            raise refuse(key, f"{key}: {error}") from None
        bad = {n for n in used if not _FIELD.match(n)}
        if bad:
            raise refuse(key, f"{key}: {{{sorted(bad)[0]}}} is not a field name (lower case letters, digits, _)")
        leaked = used & set(personal)
        if key != "secure_body" and leaked:
            raise refuse(key, f"{key} uses personal field {{{sorted(leaked)[0]}}}: only secure_body may")
    return MessageKind(name=name, channel=channel, subject=texts.get("subject", ""), body=texts.get("body", ""),
                       secure_body=texts.get("secure_body"), template_id=texts.get("template_id"),
                       secure_template_id=texts.get("secure_template_id"), personal=frozenset(personal),
                       urgent=bool(entry.get("urgent", False)))


# ----------------------------------------------------------------------------- read once
_lock = threading.Lock()
_loaded: dict[Path, Catalogue] = {}


def catalogue_path(processes_dir: Path | None = None) -> Path:
    base = processes_dir or Path(os.environ.get("MASH_PROCESSES_DIR", PROJECT_ROOT / "processes"))
    return base / CATALOGUE_FILE


def load(processes_dir: Path | None = None) -> Catalogue:
    """The checked catalogue, read from disk once per file."""
    path = catalogue_path(processes_dir).resolve()
    with _lock:
        if path not in _loaded:
            _loaded[path] = parse(path)
        return _loaded[path]


_current: Catalogue | None = None


def use(catalogue: Catalogue | None) -> None:
    """Make this the catalogue messages are written from (the app at start; tests with their own words)."""
    global _current
    _current = catalogue


def current() -> Catalogue:
    return _current if _current is not None else load()
