"""Rules of a decision table that can never match, or that overlap where the hit policy wants one match.

Only entries that are literals or simple comparisons are understood (``"Red"``, ``> 5``, ``? in ("a", "b")``,
``1 <= ? < 5``, ``!= 0``); a rule with any other entry in a column is left alone there rather than guessed at,
so what is reported is certain: under UNIQUE two rules a case can both match (SpiffWorkflow quietly takes the
first), under FIRST a rule an earlier one always beats, and under any policy an entry nothing satisfies.
"""
from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.core.decision_tables import DecisionTable

_QUESTION = re.compile(r"""(\?)(?=(?:[^'"]|['"][^'"]*['"])*$)""")
_PLACEHOLDER = "dmninputexpr"
_INTEGRAL = frozenset({"integer", "long", "int"})


@dataclass(frozen=True)
class Values:
    """The input equals one of ``items`` (or, ``negated``, none of them)."""

    items: frozenset[Any]
    negated: bool = False


@dataclass(frozen=True)
class Interval:
    """A number between ``lo`` and ``hi`` (each bound included or not)."""

    lo: float = -math.inf
    lo_in: bool = False
    hi: float = math.inf
    hi_in: bool = False


class _Any:
    pass


ANY = _Any()
EMPTY = Values(frozenset())
Constraint = Values | Interval | _Any


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _literal(node: ast.AST) -> tuple[bool, Any]:
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def _link(op: ast.cmpop, value: Any) -> Constraint | None:
    """``? op value`` as a constraint."""
    if isinstance(op, (ast.Eq, ast.NotEq)):
        try:
            return Values(frozenset({value}), isinstance(op, ast.NotEq))
        except TypeError:
            return None
    if isinstance(op, (ast.In, ast.NotIn)) and isinstance(value, (tuple, list, set, frozenset)):
        try:
            return Values(frozenset(value), isinstance(op, ast.NotIn))
        except TypeError:
            return None
    if not _number(value):
        return None
    return {ast.Lt: Interval(hi=value), ast.LtE: Interval(hi=value, hi_in=True), ast.Gt: Interval(lo=value),
            ast.GtE: Interval(lo=value, lo_in=True)}.get(type(op))


_FLIPPED: dict[type, type] = {ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Gt: ast.Lt, ast.GtE: ast.LtE, ast.Eq: ast.Eq,
                              ast.NotEq: ast.NotEq}


def _compare(tree: ast.Compare, subject: str) -> Constraint | None:
    """A comparison (chain) of ``subject`` with literals as one constraint, or None."""
    parts = [tree.left, *tree.comparators]
    result: Constraint | None = ANY
    for op, left, right in zip(tree.ops, parts, parts[1:], strict=False):
        if isinstance(left, ast.Name) and left.id == subject:
            known, value = _literal(right)
            link = _link(op, value) if known else None
        elif isinstance(right, ast.Name) and right.id == subject and type(op) in _FLIPPED:
            known, value = _literal(left)
            link = _link(_FLIPPED[type(op)](), value) if known else None
        else:
            return None
        if link is None or result is None:
            return None
        result = intersect(result, link)
    return result


def constraint(entry: str | None) -> Constraint | None:
    """What an input entry lets through, as the engine reads it, or None when it is not a literal or a simple
    comparison."""
    if entry is None:
        return ANY
    text = entry.strip()
    replaced = _QUESTION.sub(_PLACEHOLDER, text)
    try:
        if _PLACEHOLDER in replaced:
            tree = ast.parse(replaced, mode="eval").body
            return _compare(tree, _PLACEHOLDER) if isinstance(tree, ast.Compare) else None
        try:
            body = ast.parse(text, mode="eval").body
        except SyntaxError:
            body = ast.parse(f"dmninputexpr {text}", mode="eval").body
            return _compare(body, _PLACEHOLDER) if isinstance(body, ast.Compare) else None
    except SyntaxError:
        return None
    known, value = _literal(body)
    if not known:
        return None
    try:
        return Values(frozenset({value}))
    except TypeError:
        return None


def _interval_empty(i: Interval, integral: bool) -> bool:
    if integral:
        lo = math.floor(i.lo) + 1 if not math.isinf(i.lo) and (not i.lo_in or i.lo != int(i.lo)) else i.lo
        hi = math.ceil(i.hi) - 1 if not math.isinf(i.hi) and (not i.hi_in or i.hi != int(i.hi)) else i.hi
        return lo > hi
    return i.lo > i.hi or (i.lo == i.hi and not (i.lo_in and i.hi_in))


def _inside(value: Any, i: Interval) -> bool:
    return _number(value) and (i.lo < value or (i.lo_in and i.lo == value)) and (
        value < i.hi or (i.hi_in and i.hi == value))


def intersect(a: Constraint, b: Constraint, integral: bool = False) -> Constraint | None:
    """What both let through (EMPTY when nothing), or None when that cannot be said for certain."""
    if isinstance(a, _Any):
        return b
    if isinstance(b, _Any):
        return a
    if isinstance(a, Interval) and isinstance(b, Values):
        a, b = b, a
    if isinstance(a, Values) and isinstance(b, Values):
        if not a.negated and not b.negated:
            return Values(a.items & b.items)
        if a.negated and b.negated:
            return Values(a.items | b.items, negated=True)
        positive, negative = (a, b) if not a.negated else (b, a)
        return Values(positive.items - negative.items)
    if isinstance(a, Values) and isinstance(b, Interval):
        if not a.negated:
            if not all(_number(v) for v in a.items):
                return None
            return Values(frozenset(v for v in a.items if _inside(v, b)))
        if _interval_empty(b, integral):
            return EMPTY
        if b.lo == b.hi and b.lo in a.items:
            return EMPTY
        return b if not integral or b.lo < b.hi else None
    if isinstance(a, Interval) and isinstance(b, Interval):
        lo, lo_in = max((a.lo, not a.lo_in), (b.lo, not b.lo_in))
        hi, hi_in = min((a.hi, a.hi_in), (b.hi, b.hi_in))
        joined = Interval(lo, not lo_in, hi, hi_in)
        return EMPTY if _interval_empty(joined, integral) else joined
    return None


def is_empty(c: Constraint | None, integral: bool = False) -> bool:
    if isinstance(c, Values):
        return not c.negated and not c.items
    if isinstance(c, Interval):
        return _interval_empty(c, integral)
    return False


def covers(a: Constraint, b: Constraint) -> bool:
    """Whether every value ``b`` lets through ``a`` lets through too (False when it cannot be said)."""
    if isinstance(a, _Any):
        return True
    if isinstance(b, _Any):
        return False
    if isinstance(a, Values) and isinstance(b, Values):
        if not a.negated:
            return not b.negated and b.items <= a.items
        return (b.negated and a.items <= b.items) or (not b.negated and not (a.items & b.items))
    if isinstance(a, Interval) and isinstance(b, Values):
        return not b.negated and all(_inside(v, a) for v in b.items)
    if isinstance(a, Values) and isinstance(b, Interval):
        return a.negated and not any(_inside(v, b) for v in a.items)
    if isinstance(a, Interval) and isinstance(b, Interval):
        low = a.lo < b.lo or (a.lo == b.lo and (a.lo_in or not b.lo_in))
        high = a.hi > b.hi or (a.hi == b.hi and (a.hi_in or not b.hi_in))
        return low and high
    return False


def rule_findings(table: DecisionTable) -> list[tuple[int, int | None, str]]:
    """(rule number, line, message) for every entry nothing satisfies, every pair of rules that overlap under
    UNIQUE, and every rule an earlier one always beats under FIRST."""
    integral = [item_type(table, column) in _INTEGRAL for column in range(len(table.inputs))]
    rows = [[constraint(entry) for entry in rule.inputs] for rule in table.rules]
    found: list[tuple[int, int | None, str]] = []
    possible: list[bool] = []
    for rule, row in zip(table.rules, rows, strict=True):
        never = [column for column, c in enumerate(row) if is_empty(c, integral[column])]
        possible.append(not never)
        for column in never:
            item = table.inputs[column]
            entry = (rule.inputs[column] or "").strip()
            found.append((rule.number, rule.line,
                          f"the rule can never match: no value of input '{item.label or item.id}' satisfies '{entry}'"))
    complete = [_complete(row) if fine else None for row, fine in zip(rows, possible, strict=True)]
    for later, (rule, entries) in enumerate(zip(table.rules, complete, strict=True)):
        if entries is None:
            continue
        for earlier in range(later):
            other, other_row = table.rules[earlier], complete[earlier]
            if other_row is None:
                continue
            if table.hit_policy == "UNIQUE" and all(
                    (both := intersect(a, b, integral[column])) is not None and not is_empty(both, integral[column])
                    for column, (a, b) in enumerate(zip(other_row, entries, strict=True))):
                found.append((rule.number, rule.line, (
                    f"the rule overlaps rule {other.number}: a case can match both, and under UNIQUE only one rule "
                    f"may match (SpiffWorkflow would take rule {other.number}): make the entries exclusive, or use "
                    "the FIRST hit policy")))
                break
            if table.hit_policy == "FIRST" and all(covers(a, b) for a, b in zip(other_row, entries, strict=True)):
                found.append((rule.number, rule.line, (
                    f"the rule can never match: rule {other.number} comes first and matches every case this one "
                    "would (hit policy FIRST)")))
                break
    return found


def _complete(row: list[Constraint | None]) -> list[Constraint] | None:
    """The row when every entry is understood (only then can two rules be compared for certain)."""
    known = [c for c in row if c is not None]
    return known if len(known) == len(row) else None


def item_type(table: DecisionTable, column: int) -> str:
    """The input's typeRef (lower case), as the table declares it."""
    return table.input_types[column].lower() if column < len(table.input_types) else ""
