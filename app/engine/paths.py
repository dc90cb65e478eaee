"""The way a case actually went: which element followed which, read from SpiffWorkflow's task tree.

The audit trail says when each element changed state but not which arrow a token travelled: two
branches meeting at a gateway look alike there. The task tree knows, because every task is created as
the child of the task that led to it. The process maps turn these pairs into the sequence flows taken.
"""
from __future__ import annotations

from dataclasses import dataclass

from SpiffWorkflow.util.task import TaskState

from app.engine.definitions import CompiledDefinition
from app.engine.runtime import CaseWorkflow, _is_internal


@dataclass(frozen=True)
class TakenPath:
    """A token went from ``source_id`` to ``target_id`` (BPMN ids in ``process_id``)."""

    process_id: str
    source_id: str
    target_id: str
    source_task_id: str
    target_task_id: str


def taken_paths(definition: CompiledDefinition, state: str) -> list[TakenPath]:
    """Every element-to-element move in a case's workflow, called processes included.

    Engine scaffolding (boundary-event splits and joins, start and end tasks) is skipped over, so a
    pair joins the two elements a person sees on the diagram. Only a completed element has sent a token
    on (the children of a running one are the engine's predictions). A branch that reached a parallel
    join and was merged there shows as a cancelled join task: its arrow was still taken. A case with no
    stored state (anonymised) has no paths."""
    if not state:
        return []
    workflow = CaseWorkflow.restore(definition, state).workflow
    found: list[TakenPath] = []
    for flow in (workflow, *workflow.subprocesses.values()):
        for task in flow.tasks.values():
            if _is_internal(task):
                continue
            source = task.parent
            while source is not None and _is_internal(source):
                source = source.parent
            if source is None or source.state != TaskState.COMPLETED:
                continue
            found.append(TakenPath(process_id=task.workflow.spec.name, source_id=source.task_spec.bpmn_id,
                                   target_id=task.task_spec.bpmn_id, source_task_id=str(source.id),
                                   target_task_id=str(task.id)))
    return found
