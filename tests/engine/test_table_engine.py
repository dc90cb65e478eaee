"""A decision table reads each input once per decision and decides exactly as SpiffWorkflow's own engine: the same
rule and outputs for every combination of the shipped tables' inputs, with a fraction of the evaluator's work."""
from __future__ import annotations

import itertools
from collections import Counter

import pytest
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine

from app.core.config import PROJECT_ROOT
from app.engine import ProcessBundle, compile_bundle, trial
from app.engine.table_engine import OnceEachInput

THRESHOLD = [dict(zip(("immediate_risk", "presenting_factors", "youngest_child_age", "repeat_concern"), row,
                      strict=True))
             for row in itertools.product((True, False), ([], ["1B"], ["11A", "2B"], ["4C"]), (None, 0, 1, 5, 17),
                                          (True, False))]
DOMESTIC_ABUSE = [dict(zip(("dash_risk_level", "dash_ticks", "escalation", "children_in_household", "pregnancy"),
                           row, strict=True))
                  for row in itertools.product(("standard", "medium", "high"), (0, 9, 14, 27), (True, False),
                                               (0, 2), (True, False))]


@pytest.fixture(scope="module")
def definition():
    return compile_bundle(ProcessBundle.from_directories(PROJECT_ROOT / "processes", PROJECT_ROOT / "forms"))



@pytest.mark.parametrize(("decision", "grid"), [("threshold", THRESHOLD), ("domestic_abuse", DOMESTIC_ABUSE)])
def test_each_table_decides_as_spiffworkflows_own_engine_would(definition, monkeypatch, decision, grid):
    ours = [trial.try_decision(definition, decision, dict(data)) for data in grid]
    # The same tables with SpiffWorkflow's engine: every business rule task's engine swapped back.
    spec, _outputs = trial._spec(definition, decision)
    task_spec = spec.task_specs["decide"]
    assert isinstance(task_spec.dmnEngine, OnceEachInput)
    monkeypatch.setattr(task_spec, "dmnEngine", DMNEngine(task_spec.dmnEngine.decision_table))
    theirs = [trial.try_decision(definition, decision, dict(data)) for data in grid]
    assert ours == theirs
    assert len({answer.rules for answer in ours}) > 3  # the grid meets many rules, not one


@pytest.fixture
def evaluations(monkeypatch) -> list[str]:
    """Every expression the diagram's code asks for, answered here (plain) or by the evaluator process."""
    from app.engine.evaluator import IsolatedEnvironment

    seen: list[str] = []
    evaluate = IsolatedEnvironment.evaluate

    def counted(self, expression, context, external_context=None):
        seen.append(expression)
        return evaluate(self, expression, context, external_context)

    monkeypatch.setattr(IsolatedEnvironment, "evaluate", counted)
    return seen


def test_an_input_is_read_once_per_decision(definition, asks, evaluations, monkeypatch):
    below_threshold = {"immediate_risk": False, "presenting_factors": [], "youngest_child_age": 10,
                       "repeat_concern": False}
    assert trial.try_decision(definition, "threshold", dict(below_threshold)).rules == (6,)
    table = trial._spec(definition, "threshold")[0].task_specs["decide"].dmnEngine.decision_table
    inputs = [expression for expression in evaluations if expression in {i.expression for i in table.inputs}]
    # Each input the rules tried look at is read once per decision, however many rules are tried (the trial
    # decides twice: to run its step, then to name the rules that fitted).
    assert sorted(Counter(inputs).values()) == [2, 2, 2, 2]
    # Its two any(...) inputs are plain (a flat comprehension over a literal): no round trip to the evaluator.
    assert any(expression.startswith("any(") for expression in inputs)
    assert asks == []
    evaluations.clear()
    task_spec = trial._spec(definition, "threshold")[0].task_specs["decide"]
    monkeypatch.setattr(task_spec, "dmnEngine", DMNEngine(task_spec.dmnEngine.decision_table))
    trial.try_decision(definition, "threshold", dict(below_threshold))
    # SpiffWorkflow's own engine: every cell of every rule tried evaluates its input again, inside the cell's test
    assert sum(f"({table.inputs[0].expression})" in expression for expression in evaluations) > 2
