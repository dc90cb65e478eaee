"""The task tree walked in SpiffWorkflow's own order without SpiffWorkflow's per-task iterator.

SpiffWorkflow 3.2.0 walks the whole task tree with a ``TaskIterator`` after every task it completes (to update the
WAITING ones) and each time it looks for READY tasks to run. The iterator pays for generality on every task it
passes: a filter object with six tests, a depth kept by walking parents back up at every leaf, a subprocess lookup,
a list popped from its front. On the referral diagram those walks were about a third of a step's time.

``QuickWalkWorkflow`` walks the same tree in the same order (depth first, children in order), descends where the
iterator descends (a task with children in a state at least the filter's minimum, above the depth limit) and
yields the same tasks. It answers only the questions the engine asks often, ``get_tasks`` by state and ``manual``
and ``update_waiting_tasks`` (with no walk at all when no task is waiting); anything else, and any workflow that
has subprocesses (where the iterator also walks into their trees), goes to SpiffWorkflow's own methods.
``tests/conftest.py`` checks every walk of every test against SpiffWorkflow's iterator, task by task.

The class does not show in the state saved: the serializer knows it by SpiffWorkflow's own name (``BpmnWorkflow``).
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

#: SpiffWorkflow's ``TaskIterator`` default: it does not descend below this depth.
MAX_DEPTH = 1000


def lowest_state_walked(state: int) -> int:
    """The lowest state whose children a walk for ``state`` descends into, as ``TaskIterator`` decides it: predicted
    tasks follow definite ones and definite tasks follow finished ones, never the other way round."""
    lowest: int = TaskState.MAYBE if state & TaskState.PREDICTED_MASK else \
        TaskState.FUTURE if state & TaskState.DEFINITE_MASK else TaskState.COMPLETED
    return lowest


def walk(workflow: Any, state: int) -> Iterator[Task]:
    """The tasks of ``workflow``'s own tree (not its subprocesses') in ``state``, in ``TaskIterator``'s order and as
    lazily: a task's children are read when the task is reached, so a change the caller makes to the tree between
    two tasks is seen as the iterator would see it."""
    lowest = lowest_state_walked(state)
    tasks = workflow.tasks
    stack: list[tuple[Task, int]] = [(workflow.task_tree, 0)]
    while stack:
        task, depth = stack.pop()
        if task._children and task._state >= lowest and depth < MAX_DEPTH:
            below = depth + 1
            stack.extend((tasks.get(child), below) for child in reversed(task._children))
        if task._state & state:
            yield task


class QuickWalkWorkflow(BpmnWorkflow):  # type: ignore[misc]
    """SpiffWorkflow's ``BpmnWorkflow`` with its frequent tree walks done by ``walk``."""

    def get_tasks(self, first_task: Task | None = None, **kwargs: Any) -> list[Task]:
        if first_task is not None or kwargs.keys() - {"state", "manual"} or self.subprocesses:
            return super().get_tasks(first_task, **kwargs)  # type: ignore[no-any-return]
        state: int = kwargs.get("state", TaskState.ANY_MASK)
        manual: bool | None = kwargs.get("manual")
        if manual is None:
            return list(walk(self, state))
        return [task for task in walk(self, state) if task.task_spec.manual == manual]

    def update_waiting_tasks(self) -> None:
        # About half the calls on the referral find no task WAITING: the walk would yield none (it yields tasks of
        # this tree only, and nothing changes the tree before its first), so a look at the tasks' states does.
        if TaskState.WAITING not in {task._state for task in self.tasks.values()}:
            return
        # SpiffWorkflow walks with a plain TaskIterator here, which stays in this workflow's tree.
        for task in walk(self, TaskState.WAITING):
            task.task_spec._update(task)
