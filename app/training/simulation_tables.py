"""The decision tables of a process on the token simulation page: a trainer types a case's data and sees which
rule it meets, evaluated by the engine as a case would be (the token itself does not run diagram code: routes
are chosen by hand, so a table is tried beside it, without script)."""
from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.core.decision_tables import DecisionTable
from app.engine import ProcessFault
from app.engine.trial import DecisionTrial, case_names, try_decision
from app.maps.diagram import Step
from app.maps.steps import MapPlace, decision_table


@dataclass
class TableTrial:
    """One business rule task's table on the page: what to ask for, and what the last try gave."""

    step: Step
    table: DecisionTable
    names: list[str]
    values: dict[str, str] = field(default_factory=dict)
    result: DecisionTrial | None = None
    fault: str | None = None

    @property
    def field_prefix(self) -> str:
        return f"{self.step.id}-"


def _value(text: str) -> Any:
    """What a trainer types, as case data: a Python literal (True, 3, "high", ["3A"]) or else the text itself."""
    stripped = text.strip()
    if not stripped:
        return None
    try:
        return ast.literal_eval(stripped)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return stripped


def table_trials(place: MapPlace, args: Mapping[str, str]) -> list[TableTrial]:
    """Each business rule task of the process with its table; the one named by ``try`` is run with the values."""
    trials = []
    for step in place.diagram.steps.values():
        table = decision_table(place.version, step.decision_ref) if step.decision_ref else None
        if table is None:
            continue
        trial = TableTrial(step=step, table=table, names=case_names(table))
        if args.get("try") == step.id:
            trial.values = {name: args.get(trial.field_prefix + name, "") for name in trial.names}
            data = {name: _value(text) for name, text in trial.values.items()}
            try:
                trial.result = try_decision(place.definition, table.decision_id, data)
            except ProcessFault as fault:
                trial.fault = str(fault)
        trials.append(trial)
    return trials
