"""SpiffWorkflow's decision-table engine, reading each input column once per decision.

SpiffWorkflow 3.2.0 evaluates a cell by pasting the column's input expression into it
(``(any(code in presenting_factors ...)) == (True)``) and evaluating the whole, so a table of n rules runs each
input expression up to n times, each a round trip to the evaluator process. Here the input is evaluated once
per decision (the case data cannot change while one table decides) and each cell compares its value, named
``dmninputexpr`` as SpiffWorkflow itself names it for cells written with ``?``. A cell that only compares is then
a plain condition (app/engine/plain_expressions.py) and costs no round trip. Matching, hit policies, outputs
and the rule number in an error are SpiffWorkflow's own.
"""
from __future__ import annotations

import re
import threading
from typing import Any, ClassVar

from SpiffWorkflow.bpmn.parser.task_parsers import GatewayParser
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine

from app.engine.joins import ParallelGateway

_QUESTION_MARK = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")  # outside quotes, as SpiffWorkflow finds it
INPUT = "dmninputexpr"


class OnceEachInput(DMNEngine):  # type: ignore[misc]
    def __init__(self, decision_table: Any) -> None:
        super().__init__(decision_table)
        # One compiled table serves every case of a version, on every thread: each decision keeps its own inputs.
        self._deciding = threading.local()

    def decide(self, task: Any) -> list[Any]:
        self._deciding.inputs = {}
        try:
            rules: list[Any] = super().decide(task)
            return rules
        finally:
            self._deciding.inputs = None

    def evaluate(self, input_expr: Any, match_expr: Any, task: Any) -> Any:
        inputs = getattr(self._deciding, "inputs", None)
        if match_expr is None or input_expr is None or inputs is None:
            return super().evaluate(input_expr, match_expr, task)
        script_engine = task.workflow.script_engine
        match = _QUESTION_MARK.sub(INPUT, match_expr)
        if INPUT not in match:
            match = f"({INPUT}) == ({match})" if self.needs_eq(script_engine, match) else f"{INPUT} {match}"
        if input_expr not in inputs:
            inputs[input_expr] = script_engine.evaluate(task, input_expr)
        return script_engine.evaluate(task, match, external_context={INPUT: inputs[input_expr]})


class HubParser(CamundaParser):  # type: ignore[misc]
    """Camunda Modeler's dialect, with decision tables run by OnceEachInput and parallel joins decided by
    app/engine/joins.py."""

    OVERRIDE_PARSER_CLASSES: ClassVar[dict[str, tuple[type, type]]] = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("parallelGateway"): (GatewayParser, ParallelGateway)}

    def get_engine(self, decision_ref: str, node: Any) -> DMNEngine:
        engine = super().get_engine(decision_ref, node)
        return OnceEachInput(engine.decision_table)
