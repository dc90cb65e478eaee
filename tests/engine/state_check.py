"""A case's saved state read back by SpiffWorkflow's own task converter and by the app's, each compared with the live
workflow it was saved from (tests/conftest.py checks every save of every test this way).

app/engine/runtime.py writes and reads the state its own way (a task with no data without a delta, a task that
passes its parent's data on unchanged found with one comparison, finished tasks sharing their parent's values): the
format stays SpiffWorkflow's, and this is what says the meaning does too, on every diagram the tests run."""
from __future__ import annotations

import functools
from typing import Any

#: What a task is, for the comparison: its place in the tree, its state and its data.
TASK_ATTRIBUTES = ("_parent", "_children", "_state", "triggered", "last_state_change", "data", "internal_data")


@functools.cache
def stock_serializer() -> Any:
    """SpiffWorkflow's serializer with its own task converter (the workflow's class is app.engine.tree_walk's, saved
    by SpiffWorkflow's name; its specs are the definition's, as the app keeps them)."""
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter
    from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG
    from SpiffWorkflow.task import Task

    from app.engine import runtime

    stock = BpmnWorkflowSerializer.configure({**DEFAULT_CONFIG, Task: TaskConverter})
    runtime._LiveSpecConverter(runtime.QuickWalkWorkflow, stock, "BpmnWorkflow")
    return BpmnWorkflowSerializer(stock)


def stock_restore(definition: Any, state: str) -> Any:
    """The case's workflow as SpiffWorkflow's own task converter restores it (with the definition's parsed specs,
    as the app does), in a CaseWorkflow."""
    from app.engine import CaseWorkflow, runtime

    runtime._LiveSpecConverter.live.specs = (definition.spec, definition.subprocess_specs)
    try:
        return CaseWorkflow(definition, stock_serializer().deserialize_json(state))
    finally:
        runtime._LiveSpecConverter.live.specs = None


def differences(live: Any, restored: Any) -> list[str]:
    """How the restored workflow differs from the live one: its tasks (their tree, states and data), the workflow's
    own data and ending, its waiting events, and each subprocess the same way. Empty when they are the same case."""
    found = _differences(live, restored, "")
    if len(live.bpmn_events) != len(restored.bpmn_events):
        found.append("workflow bpmn_events")
    if live.subprocesses.keys() != restored.subprocesses.keys():
        return [*found, f"subprocesses {sorted(map(str, live.subprocesses.keys() ^ restored.subprocesses.keys()))}"]
    for key, subprocess in live.subprocesses.items():
        found += _differences(subprocess, restored.subprocesses[key], f"subprocess {key}: ")
    return found


def _differences(live: Any, restored: Any, where: str) -> list[str]:
    found = [f"{where}workflow {name}" for name in ("data", "success", "completed", "correlations")
             if getattr(live, name) != getattr(restored, name)]
    if (live.last_task and live.last_task.id) != (restored.last_task and restored.last_task.id):
        found.append(f"{where}workflow last_task")
    if live.task_tree.id != restored.task_tree.id:
        found.append(f"{where}workflow root")
    if live.tasks.keys() != restored.tasks.keys():
        return [*found, f"{where}tasks {sorted(map(str, live.tasks.keys() ^ restored.tasks.keys()))}"]
    for task_id, task in live.tasks.items():
        other = restored.tasks[task_id]
        name = f"{where}{task.task_spec.name} ({task_id})"
        if other.task_spec is not task.task_spec:
            found.append(f"{name}: task_spec {other.task_spec.name}")
        found += [f"{name}: {attribute}" for attribute in TASK_ATTRIBUTES
                  if getattr(task, attribute) != getattr(other, attribute)]
    return found
