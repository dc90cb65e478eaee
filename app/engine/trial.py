"""Trying one decision table with case data a person types in, through the engine boundary: the token simulation
lets a trainer see which rule a case would meet without any case existing.

The table runs exactly as in a case: a business rule task of a one-step process, SpiffWorkflow's DMN engine,
every entry evaluated by the sandboxed evaluator under the step budget. Nothing is stored.
"""
from __future__ import annotations

import ast
import threading
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from app.core.decision_tables import DecisionTable, read_stored_tables
from app.core.diagram_xml import parse_xml
from app.engine.definitions import CompiledDefinition
from app.engine.names import ALLOWED_BUILTINS
from app.engine.runtime import ProcessFault, _fault, _script_engine
from app.engine.table_engine import HubParser

_ONE_STEP = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="trial" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="trial" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="decide" />
    <bpmn:businessRuleTask id="decide" name="Decide" camunda:decisionRef="{decision}" />
    <bpmn:sequenceFlow id="f2" sourceRef="decide" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""
#: (content hash, decision id) -> the one-step process around the table and the names its outputs set: read
#: once per deployed version (parsing the version's tables costs more than running one).
_SPECS: dict[tuple[str, str], tuple[Any, list[str]]] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class DecisionTrial:
    """What the table decided: the outputs it set and the numbers of the rules that fitted."""

    outputs: dict[str, Any]
    rules: tuple[int, ...]


def case_names(table: DecisionTable) -> list[str]:
    """The case data names a table's inputs read, in column order (what to ask a trainer for)."""
    found: list[str] = []
    for item in table.inputs:
        try:
            tree = ast.parse(item.expression, mode="eval")
        except SyntaxError:
            continue
        bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in bound \
                    and node.id not in ALLOWED_BUILTINS and node.id not in found:
                found.append(node.id)
    return found


def _spec(definition: CompiledDefinition, decision_id: str) -> tuple[Any, list[str]]:
    key = (definition.content_hash, decision_id)
    with _LOCK:
        if key not in _SPECS:
            table = read_stored_tables(definition.bundle.dmn).get(decision_id)
            if table is None:
                raise KeyError(decision_id)
            parser = HubParser()
            parser.add_dmn_xml(parse_xml(definition.bundle.dmn[table.file]), filename=table.file)
            parser.add_bpmn_xml(parse_xml(_ONE_STEP.replace("{decision}", decision_id).encode()), filename="trial")
            _SPECS[key] = (parser.get_spec("trial"), [output.key.split(".")[0] for output in table.outputs])
        return _SPECS[key]


def try_decision(definition: CompiledDefinition, decision_id: str, data: dict[str, Any]) -> DecisionTrial:
    """Run one decision table of a deployed version with ``data``; raises ProcessFault as a case would, and
    KeyError when the version holds no such decision."""
    spec, output_names = _spec(definition, decision_id)
    workflow = BpmnWorkflow(spec, script_engine=_script_engine(definition))
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    environment = workflow.script_engine.environment
    environment.begin_step()
    try:
        workflow.do_engine_steps()
        decided = next(t for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id == "decide")
        rules = tuple(rule.row_number for rule in decided.task_spec.dmnEngine.decide(decided))
    except SpiffWorkflowException as error:
        raise _fault(error, "decide") from error
    finally:
        environment.end_step()
    return DecisionTrial(outputs={name: decided.data.get(name) for name in output_names}, rules=rules)


__all__ = ["DecisionTrial", "ProcessFault", "case_names", "try_decision"]
