"""What changed in the decision tables between two versions, rule by rule.

Decisions are matched by decision id and rules by rule id (dmn-js and Camunda Modeler keep a rule's id when
its entries are edited or it is moved), so a rule edited in place is "changed" with each cell that differs,
a rule moved up or down says so (the order decides under FIRST), and the hit policy and the columns are
compared too. Stored files only: a table is shown even if it would not compile today.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.core.decision_tables import DecisionTable, TableRule, read_stored_tables

if TYPE_CHECKING:
    from app.process_models.diff import Change

ADDED, REMOVED, CHANGED = "added", "removed", "changed"


@dataclass(frozen=True)
class RuleDiff:
    """One rule added, removed or changed: its number in each version (None where it is not in it)."""

    status: str
    rule_id: str
    old_number: int | None
    new_number: int | None
    description: str
    changes: tuple[Change, ...] = ()

    def as_dict(self) -> dict:
        return {"status": self.status, "rule_id": self.rule_id, "old_number": self.old_number,
                "new_number": self.new_number, "description": self.description,
                "changes": [c.as_dict() for c in self.changes]}


@dataclass(frozen=True)
class TableDiff:
    """A decision table added, removed or changed: the table's own settings and columns, then rule by rule."""

    status: str
    decision_id: str
    name: str
    old_file: str | None
    new_file: str | None
    changes: tuple[Change, ...] = ()
    rules: tuple[RuleDiff, ...] = ()

    def as_dict(self) -> dict:
        return {"status": self.status, "decision_id": self.decision_id, "name": self.name,
                "old_file": self.old_file, "new_file": self.new_file,
                "changes": [c.as_dict() for c in self.changes], "rules": [r.as_dict() for r in self.rules]}


def diff_tables(old: dict[str, bytes], new: dict[str, bytes]) -> list[TableDiff]:
    """Every decision table that differs between two stored bundles' .dmn files."""
    before, after = read_stored_tables(old), read_stored_tables(new)
    found: list[TableDiff] = []
    for decision_id in [*before, *(d for d in after if d not in before)]:
        was, now = before.get(decision_id), after.get(decision_id)
        if was is None and now is not None:
            found.append(TableDiff(ADDED, decision_id, now.title, None, now.file,
                                   rules=tuple(_whole(ADDED, rule) for rule in now.rules)))
        elif now is None and was is not None:
            found.append(TableDiff(REMOVED, decision_id, was.title, was.file, None))
        elif was is not None and now is not None:
            changes, rules = _table_changes(was, now), _rule_diffs(was, now)
            if changes or rules:
                found.append(TableDiff(CHANGED, decision_id, now.title, was.file, now.file, changes, rules))
    return found


def _change(what: str, old: str | None, new: str | None) -> Change:
    from app.process_models.diff import Change  # one Change for the whole diff page
    return Change(what, old, new)


def _table_changes(was: DecisionTable, now: DecisionTable) -> tuple[Change, ...]:
    changes = []
    if was.name != now.name:
        changes.append(_change("Name", was.name or None, now.name or None))
    if (was.hit_policy, was.aggregation) != (now.hit_policy, now.aggregation):
        changes.append(_change("Hit policy", _policy(was), _policy(now)))
    if was.file != now.file:
        changes.append(_change("File", was.file, now.file))
    old_inputs = {item.id: item for item in was.inputs}
    new_inputs = {item.id: item for item in now.inputs}
    for item_id in [*old_inputs, *(i for i in new_inputs if i not in old_inputs)]:
        a, b = old_inputs.get(item_id), new_inputs.get(item_id)
        shown_input = b or a
        label = (shown_input.label if shown_input is not None else "") or item_id
        if a is None or b is None or (a.label, a.expression, a.type_ref) != (b.label, b.expression, b.type_ref):
            changes.append(_change(f"Input '{label}'", _input(a), _input(b)))
    old_outputs = {item.id: item for item in was.outputs}
    new_outputs = {item.id: item for item in now.outputs}
    for item_id in [*old_outputs, *(i for i in new_outputs if i not in old_outputs)]:
        c, d = old_outputs.get(item_id), new_outputs.get(item_id)
        if c is None or d is None or (c.label, c.name) != (d.label, d.name):
            shown = (d or c)
            changes.append(_change(f"Output '{shown.label or shown.name if shown else item_id}'",
                                   _output(c), _output(d)))
    return tuple(changes)


def _policy(table: DecisionTable) -> str:
    return f"{table.hit_policy} {table.aggregation}" if table.aggregation else table.hit_policy


def _input(item: object | None) -> str | None:
    if item is None:
        return None
    label, expression = getattr(item, "label", ""), getattr(item, "expression", "")
    return f"{label}: {expression}" if label else expression


def _output(item: object | None) -> str | None:
    if item is None:
        return None
    label, name = getattr(item, "label", ""), getattr(item, "name", "")
    return f"{label} ({name})" if label and name else label or name


def _cells(table: DecisionTable, rule: TableRule) -> dict[str, str]:
    """Column title -> entry ('-' for any value), the rule's description too."""
    cells = {f"When '{item.label or item.expression}'": entry.strip() if entry else "-"
             for item, entry in zip(table.inputs, rule.inputs, strict=False)}
    cells.update({f"Then '{item.label or item.key}'": entry or "(empty)"
                  for item, entry in zip(table.outputs, rule.outputs, strict=False)})
    if rule.description:
        cells["Description"] = rule.description
    return cells


def _whole(status: str, rule: TableRule) -> RuleDiff:
    return RuleDiff(status, rule.id, None if status == ADDED else rule.number,
                    rule.number if status == ADDED else None, rule.description)


def _rule_diffs(was: DecisionTable, now: DecisionTable) -> tuple[RuleDiff, ...]:
    old_rules = {rule.id: rule for rule in was.rules}
    new_rules = {rule.id: rule for rule in now.rules}
    found: list[RuleDiff] = []
    for rule in now.rules:
        before = old_rules.get(rule.id)
        if before is None:
            found.append(RuleDiff(ADDED, rule.id, None, rule.number, rule.description,
                                  tuple(_change(k, None, v) for k, v in _cells(now, rule).items())))
            continue
        a, b = _cells(was, before), _cells(now, rule)
        changes = [_change(k, a.get(k), b.get(k)) for k in [*a, *(k for k in b if k not in a)] if a.get(k) != b.get(k)]
        if before.number != rule.number:
            changes.append(_change("Position", f"rule {before.number}", f"rule {rule.number}"))
        if changes:
            found.append(RuleDiff(CHANGED, rule.id, before.number, rule.number, rule.description, tuple(changes)))
    found.extend(RuleDiff(REMOVED, rule.id, rule.number, None, rule.description,
                          tuple(_change(k, v, None) for k, v in _cells(was, rule).items()))
                 for rule in was.rules if rule.id not in new_rules)
    return tuple(found)
