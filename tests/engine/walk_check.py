"""A walk of the task tree checked, task by task, against SpiffWorkflow's own ``TaskIterator`` run in step with it
over the same tree (tests/conftest.py wraps every walk of app/engine/tree_walk.py in it)."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from SpiffWorkflow.util.task import TaskIterator


def walked_in_step(walk: Callable[[Any, int], Iterator[Any]], workflow: Any, state: int,
                   disagreements: list[str]) -> Iterator[Any]:
    """The tasks ``walk`` yields, each compared with the iterator's next one as it is reached: a caller that changes
    the tree between two tasks (update_waiting_tasks does) changes it for both walks alike."""
    own = TaskIterator(workflow.task_tree, state=state)
    for task in walk(workflow, state):
        expected = next(own, None)
        if expected is not task:
            disagreements.append(f"state {state}: walked to {_name(task)} where SpiffWorkflow walks to "
                                 f"{_name(expected)}")
        yield task
    left = next(own, None)
    if left is not None:
        disagreements.append(f"state {state}: the walk ended before {_name(left)}, which SpiffWorkflow walks to")


def _name(task: Any) -> str:
    return "the end" if task is None else f"{task.task_spec.name} ({task.id})"
