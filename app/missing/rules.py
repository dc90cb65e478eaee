"""The hub's repeat-missing rule (``processes/missing-episodes.toml``), read and checked line by line.

Hub-wide and current like the repeat-concern rules: a coordinator tightening the rule wants every notification
from now on to use it. A file broken while the service runs is refused with its lines and the last good rule
stays in use (a notification must never be refused because a rule file was mistyped)."""
from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from pathlib import Path

from app.core.rule_files import RuleFile, processes_folder
from app.core.toml_lines import decode_error_line, key_line

RULES_FILE = "missing-episodes.toml"
TABLE = "repeat"
_KEYS = {"episodes": (2, 50), "window_days": (1, 3660)}
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RepeatMissingRule:
    """``episodes`` or more episodes of one child within ``window_days`` (this one included)."""

    episodes: int = 3
    window_days: int = 90
    label: str = "3 or more missing episodes in 90 days"


class MissingRuleError(ValueError):
    """The rule file was refused: every problem, each with its line where there is one."""

    def __init__(self, file: str, problems: list[tuple[str, int | None]]) -> None:
        self.problems = problems
        super().__init__(f"{file}: " + "; ".join(f"line {line}: {text}" if line else text
                                                 for text, line in problems))


def parse_rule(text: str, file: str = f"processes/{RULES_FILE}") -> RepeatMissingRule:
    """Read and check the rule; raise MissingRuleError naming every problem and its line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise MissingRuleError(file, [(f"not valid TOML: {error}", decode_error_line(error))]) from None
    lines = text.splitlines()
    header = next((i for i, line in enumerate(lines) if line.strip() == f"[{TABLE}]"), 0)
    problems: list[tuple[str, int | None]] = [
        (f"unknown setting '{key}': the file holds only the [{TABLE}] table",
         next((i + 1 for i, line in enumerate(lines) if line.strip().startswith((key, f"[{key}"))), None))
        for key in data if key != TABLE]
    table = data.get(TABLE)
    if not isinstance(table, dict):
        raise MissingRuleError(file, [*problems, (f"has no [{TABLE}] table", 1)])
    problems += [(f"[{TABLE}] has no setting '{key}' (known: episodes, window_days, label)",
                  key_line(lines, header, key)) for key in table if key not in (*_KEYS, "label")]
    for key, (low, high) in _KEYS.items():
        value = table.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems.append((f"{key} must be a whole number from {low} to {high}", key_line(lines, header, key)))
    label = table.get("label", RepeatMissingRule.label)
    if not isinstance(label, str) or not label.strip() or len(label) > 200:
        problems.append(("label must be the text practitioners see, at most 200 characters",
                         key_line(lines, header, "label")))
    if problems:
        raise MissingRuleError(file, problems)
    return RepeatMissingRule(episodes=table["episodes"], window_days=table["window_days"], label=label.strip())


_FILE = RuleFile(parse_rule, MissingRuleError, what="repeat-missing rule",
                 unreadable=lambda name, error: MissingRuleError(name, [(f"cannot be read: {error.strerror}", None)]))


def load_rule(path: Path, *, keep_last_good: bool = True) -> RepeatMissingRule:
    """The rule in a file, read again only when it changes; a broken file keeps the last good rule when asked."""
    return _FILE.load(path, keep_last_good=keep_last_good)


def hub_rule() -> RepeatMissingRule:
    """The hub's rule, next to the diagrams (``MASH_PROCESSES_DIR``); the defaults when it was never readable."""
    try:
        return load_rule(processes_folder() / RULES_FILE)
    except MissingRuleError as error:
        logger.error("%s; the default repeat-missing rule is used", error)
        return RepeatMissingRule()
