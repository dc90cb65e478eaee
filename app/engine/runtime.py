"""Running one case's workflow: start, restore, complete a READY task, fire due timers, report state.

SpiffWorkflow's ``Task.run()`` does not check that a task is READY, nor who may do it; this module
does both. Specs are stored once per definition version, not inside every case's state.
"""
from __future__ import annotations

import contextlib
import copy
import functools
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.task_spec import ParallelGatewayConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from app.core.clock import now as clock_now
from app.engine.definitions import CompiledDefinition, TimerInfo, UserTaskInfo
from app.engine.evaluator import BudgetExceeded, IsolatedEnvironment
from app.engine.functions import NO_DEADLINE, at_risk_mode, diagram_functions
from app.engine.joins import ParallelGateway
from app.engine.tree_walk import QuickWalkWorkflow


# SpiffWorkflow ships no type information, so its base class is Any to mypy.
class _LiveSpecConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """Writes no spec into a case's state and restores with the definition's already-parsed specs.

    Specs are immutable per definition version, so converting them on every save and load was pure
    cost (most of a step's time for the referral diagram)."""

    live = threading.local()

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        spec, subprocess_specs = self.live.specs
        dct.pop("spec", None)
        dct.pop("subprocess_specs", None)
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self._tasks_from_dict(dct["tasks"], workflow)
        workflow.task_tree = workflow.tasks.get(_task_id(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow

    def mapping_to_dict(self, mapping: dict[Any, Any], **kwargs: Any) -> dict[str, Any]:
        """A workflow's tasks (WorkflowConverter.to_dict writes them with this), each handed to the task converter
        without the registry's look at its class: the counterpart of _tasks_from_dict. Anything else as before."""
        if kwargs or not mapping or any(type(value) is not Task for value in mapping.values()):
            return cast(dict[str, Any], super().mapping_to_dict(mapping, **kwargs))
        task_to_dict = self.registry.convert_to_dict["Task"]
        return {_task_id_text(key): task_to_dict(task) for key, task in mapping.items()}

    def _tasks_from_dict(self, tasks: dict[str, Any], workflow: BpmnWorkflow) -> dict[uuid.UUID, Task]:
        """``mapping_from_dict`` for a workflow's tasks, each handed to the task converter without the registry's
        look at every value and its copy of every task's dictionary (the converter reads the keys it knows)."""
        task_from_dict = self.registry.convert_from_dict["Task"]
        if any(value.get("typename") != "Task" for value in tasks.values()):
            return cast(dict[uuid.UUID, Task], self.mapping_from_dict(tasks, _task_id, workflow=workflow))
        return {_task_id(key): task_from_dict(value, workflow=workflow) for key, value in tasks.items()}


#: A task id parsed once per process: a restore parsed about 300 (each task's id, its parent's and its children's),
#: a fifth of its time, and a case's ids are the same from one request to the next. UUIDs are immutable.
_task_id = functools.lru_cache(maxsize=1 << 16)(uuid.UUID)


#: Task ids' texts by the id's integer, made once per process: a save writes about 400 (each task's id, its parent's
#: and its children's, and its key), and a case's ids are the same from one request to the next. Keyed by the integer
#: rather than the UUID, whose hash is a Python method (a lookup took twice as long). Emptied when full.
_ID_TEXTS: dict[int, str] = {}
_ID_TEXTS_KEPT = 1 << 16


def _task_id_text(task_id: uuid.UUID) -> str:
    text = _ID_TEXTS.get(task_id.int)
    if text is None:
        if len(_ID_TEXTS) >= _ID_TEXTS_KEPT:
            _ID_TEXTS.clear()
        text = _ID_TEXTS[task_id.int] = str(task_id)
    return text


#: A finished task (completed, cancelled, failed) whose parent is finished too takes its parent's values themselves, not
#: copies of the mutable ones: neither will run again, so nothing changes those values in place. SpiffWorkflow changes
#: a task's data only while it waits, is ready or runs, and gives a task that starts copies of its parent's values;
#: CaseWorkflow.set_data and forget replace keys in each task's own dictionary. Most of a case's tasks are finished,
#: and these copies were most of a restore's time.
_FINISHED = TaskState.FINISHED_MASK


class _TaskConverter(TaskConverter):  # type: ignore[misc]
    """SpiffWorkflow 3.2.0's ``TaskConverter`` (pinned in requirements.lock), with ids read through ``_task_id``
    and written through ``_task_id_text``, a task with no data written without a delta, and a finished task's data
    restored sharing its finished parent's values (see _FINISHED). ``tests/engine/test_engine_boundary.py`` checks
    that SpiffWorkflow's own converter restores the state saved to the same workflow, saving it again byte for byte
    as SpiffWorkflow saves the workflow itself, and that a restore holds SpiffWorkflow's data."""

    def to_dict(self, task: Task) -> dict[str, Any]:
        parent = task.parent
        own = task.data
        delta: dict[str, Any]
        # A task with no data (a predicted one, mostly) is written as no data: SpiffWorkflow writes a delta deleting
        # every key its parent has, a fifth of a case's state, and restores both to the same empty data.
        if parent is None or not own:
            data, delta = own, {}
        elif own == parent.data:
            # Most tasks pass their parent's data on unchanged: one comparison in C instead of the key-by-key loop. It
            # is the loop's test, except that a value shared with the parent that is unequal to itself (NaN) counts as
            # unchanged here: restored, the task has the parent's value either way.
            data, delta = {}, {"updates": {}, "deletions": []}
        else:
            data = {}
            delta = {"updates": DeepMerge.get_updated_keys(parent.data, own),
                     "deletions": DeepMerge.get_deleted_keys(parent.data, own)}
        return {
            "id": _task_id_text(task.id),
            "parent": _task_id_text(task._parent) if parent is not None else None,
            "children": [_task_id_text(child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task._state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": self.registry.convert(task.internal_data) if task.internal_data else {},
            "data": data,
            "delta": delta,
        }

    def from_dict(self, dct: dict[str, Any], workflow: Any) -> Task:
        task_spec = workflow.spec.task_specs.get(dct["task_spec"])
        task = self.target_class(workflow, task_spec, state=dct["state"], id=_task_id(dct["id"]))
        task._parent = _task_id(dct["parent"]) if dct["parent"] is not None else None
        task._children = [_task_id(child) for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct["triggered"]
        internal = dct["internal_data"]
        task.internal_data = self.registry.restore(internal) if internal else {}
        if isinstance(task_spec, CatchingEvent) and task.has_state(TaskState.WAITING):
            task.workflow.top_workflow.event_manager.add_task(task)
        delta = dct.get("delta")
        parent = task.parent
        if delta and parent is not None:
            if task._state & _FINISHED and parent._state & _FINISHED:
                data = parent.data.copy()  # see _FINISHED
            else:
                # DeepMerge.merge({}, parent.data), which copies each mutable value one level deep, without its loop.
                data = {key: copy.copy(value) if isinstance(value, dict | list | set) else value
                        for key, value in parent.data.items()}
            if updates := delta.get("updates"):
                data.update(self.registry.restore(updates))
            for key in delta.get("deletions", ()):
                data.pop(key, None)
        else:
            data = self.registry.restore(dct["data"]) if dct["data"] else {}
        task.data = data
        return task


_REGISTRY = BpmnWorkflowSerializer.configure({**DEFAULT_CONFIG, Task: _TaskConverter,
                                             ParallelGateway: ParallelGatewayConverter})
# A case restores as a QuickWalkWorkflow and is saved under SpiffWorkflow's own name for its class.
_LiveSpecConverter(QuickWalkWorkflow, _REGISTRY, "BpmnWorkflow")
_SERIALIZER = BpmnWorkflowSerializer(_REGISTRY)


class EngineError(Exception):
    """Base class for refusals from the engine boundary."""


class TaskNotReady(EngineError):
    """The task exists no more, or is not waiting for a person."""


class NotListening(EngineError):
    """The case's process has no event subprocess started by this signal (an older version of the diagram)."""


class NotPermitted(EngineError):
    """The task's lane is not one of the caller's roles."""


#: Elements (gateways, scripts, events) one step may run. A diagram's loop that never ends is stopped here, whether
#: or not its code goes to the evaluator (plain code runs in the app's process and is not charged to the step's
#: CPU budget). The referral's largest step runs 20. It must stay well under 1,000: SpiffWorkflow 3.2.0 does not
#: look for ready tasks deeper than 1,000 in the task tree, and stops a loop there as if the process had ended.
MAX_ENGINE_TASKS_PER_STEP = 500


class ProcessFault(EngineError):
    """The diagram failed while running (a script or expression raised, or went over its budget): nothing is
    saved. ``budget`` is "time" or "memory" when the diagram was stopped for using too much."""

    def __init__(self, message: str, element_id: str | None = None, budget: str | None = None) -> None:
        super().__init__(message)
        self.element_id = element_id
        self.budget = budget


def _fault(error: SpiffWorkflowException, element_id: str | None) -> ProcessFault:
    """The engine's error as a fault; a budget overrun says which budget, not how SpiffWorkflow wrapped it."""
    cause: BaseException | None = error
    while cause is not None and not isinstance(cause, BudgetExceeded):
        cause = cause.__cause__ or cause.__context__
    # SpiffWorkflow's DMN engine notes the table row that failed: the process owner looks for that rule.
    rows = [match.group(1) for note in getattr(error, "notes", None) or ()
            if (match := _DMN_ROW.search(str(note)))]
    where = f" (decision table rule {rows[0]})" if rows else ""
    if isinstance(cause, BudgetExceeded):
        return ProcessFault(f"{cause.kind} budget exceeded{where}: {cause}", element_id, cause.kind)
    return ProcessFault(str(error).split("\n")[0] + where, element_id)


_DMN_ROW = re.compile(r"\bon row (\d+)")


@dataclass(frozen=True)
class OpenUserTask:
    """A READY user task as inboxes see it."""

    task_id: str
    process_id: str
    info: UserTaskInfo
    data: dict[str, Any]
    due_at: datetime | None


@dataclass(frozen=True)
class WaitingTimer:
    """An armed timer event: a deadline that has not been met or breached yet (or, in ``fired_timers``, one that
    has just been breached: a cycle timer with no cycles left has no due time)."""

    task_id: str
    bpmn_id: str
    name: str
    kind: str
    due_at: datetime | None
    at_risk_at: datetime | None
    armed_at: datetime | None
    attached_to: str | None
    attached_bpmn_id: str | None
    process_id: str


@dataclass(frozen=True)
class Retimed:
    """A deadline moved because the data it is computed from changed (a re-rating)."""

    timer: WaitingTimer
    was_due_at: datetime | None


@dataclass(frozen=True)
class StepEvent:
    """One element the engine moved, for the case history and the map's trail."""

    task_id: str
    element_id: str
    name: str
    state: str
    process_id: str


_FUNCTION_NAMES: dict[str, frozenset[str]] = {}
_FUNCTIONS_LOCK = threading.Lock()


def _script_engine(definition: CompiledDefinition) -> PythonScriptEngine:
    """A script engine that runs the diagram's code in an evaluator process, under the budget, with deadline
    functions that use this definition's calendar and SLA policies."""
    with _FUNCTIONS_LOCK:
        names = _FUNCTION_NAMES.get(definition.content_hash)
        if names is None:
            names = _FUNCTION_NAMES[definition.content_hash] = frozenset(diagram_functions(definition.sla))
    return PythonScriptEngine(environment=IsolatedEnvironment(definition.content_hash, definition.sla, names))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _timer_due(task: Task) -> datetime | None:
    definition = getattr(task.task_spec, "event_definition", None)
    value = task.internal_data.get("event_value")
    if value is None or not isinstance(definition, TimerEventDefinition):
        return None
    if isinstance(definition, CycleTimerEventDefinition):
        return None if value["cycles"] == 0 else _aware(datetime.fromisoformat(value["next"]))
    if isinstance(definition, TimeDateEventDefinition):
        return _aware(TimerEventDefinition.parse_time_or_duration(value))
    return _aware(TimerEventDefinition.get_datetime(value))


def _stamp(task: Task, key: str) -> datetime | None:
    value = task.internal_data.get(key)
    return datetime.fromisoformat(value) if value else None


def _state_name(state: int) -> str:
    return str(TaskState.get_name(state)).lower()


def _is_internal(task: Task) -> bool:
    """Engine scaffolding (Start, End, boundary splits and joins) has no BPMN id: not a step people see."""
    return getattr(task.task_spec, "bpmn_id", None) is None


class CaseWorkflow:
    """One case's running workflow. Not thread-safe: build one per unit of work."""

    def __init__(self, definition: CompiledDefinition, workflow: BpmnWorkflow) -> None:
        self.definition = definition
        self.workflow = workflow
        #: Timers that fired during the last step (their deadlines were breached).
        self.fired_timers: list[WaitingTimer] = []
        #: Every task of the tree as the last step left it. Only a step changes the tree (states, new and removed
        #: tasks), so the bookkeeping after it (deadlines, the inbox, the case data) reads this one walk instead
        #: of walking the tree again for each question; a step forgets it.
        self._snapshot: list[Task] | None = None
        # The script engine is not serialized; sub-workflows read the top workflow's.
        self.workflow.script_engine = _script_engine(definition)

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def start(cls, definition: CompiledDefinition, data: dict[str, Any]) -> tuple[CaseWorkflow, list[StepEvent]]:
        case = cls.prepare(definition, data)
        events = case._step(lambda: None)
        return case, events

    @classmethod
    def prepare(cls, definition: CompiledDefinition, data: dict[str, Any]) -> CaseWorkflow:
        """A workflow with its data, not yet run: what a case keeps when its first steps fail, so that a later
        ``fire_due_timers`` (which runs whatever is ready) starts it once the diagram is fixed."""
        workflow = QuickWalkWorkflow(definition.spec, definition.subprocess_specs,
                                     script_engine=_script_engine(definition))
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(copy.deepcopy(data))
        return cls(definition, workflow)

    @classmethod
    def restore(cls, definition: CompiledDefinition, state: str) -> CaseWorkflow:
        _LiveSpecConverter.live.specs = (definition.spec, definition.subprocess_specs)
        try:
            return cls(definition, _SERIALIZER.deserialize_json(state))
        finally:
            _LiveSpecConverter.live.specs = None

    def serialize(self) -> str:
        state: str = _SERIALIZER.serialize_json(self.workflow)
        return state

    # ------------------------------------------------------------------ actions
    def complete_task(self, task_id: str, data: dict[str, Any], roles: set[str] | frozenset[str]) -> list[StepEvent]:
        """Run a READY user task with the submitted form; refuse anything else."""
        task = self._find(task_id)
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReady("This task is no longer waiting to be done.")
        info = self._info(task)
        if info is None or info.role not in roles:
            raise NotPermitted("This task belongs to another role.")
        if info.result_variable:
            task.data[info.result_variable] = copy.deepcopy(data)
        else:
            task.data.update(copy.deepcopy(data))
        return self._step(task.run)

    def listens_for(self, signal: str) -> bool:
        """Whether an event subprocess of the top-level process starts on this signal."""
        return self._signal_definition(signal) is not None

    def _signal_definition(self, signal: str) -> SignalEventDefinition | None:
        # The start spec's own definition, so the event is the class the parser made and is caught by it.
        for name in self.workflow.spec.start.trigger_specs:
            sub_spec = self.workflow.subprocess_specs.get(name)
            for start in sub_spec.bpmn_start_events if sub_spec is not None else ():
                definition = start.event_definition
                if isinstance(definition, SignalEventDefinition) and definition.name == signal:
                    return definition
        return None

    def send_signal(self, signal: str, payload: dict[str, Any]) -> list[StepEvent]:
        """Start the event subprocess this signal starts (once per signal: two signals, two subprocesses), with
        ``payload`` merged into its data. A finished workflow is opened again for it and finishes again when
        the subprocess ends: a closed case's decision can still be disputed."""
        definition = self._signal_definition(signal)
        if definition is None:
            raise NotListening(f"This version of the process does not take '{signal}'.")

        def action() -> None:
            self.workflow.completed = False  # the library keeps "completed" once set; the new branch unsets it
            self.workflow.send_event(BpmnEvent(definition, payload=copy.deepcopy(payload)))
        return self._step(action)

    def fire_due_timers(self) -> list[StepEvent]:
        """Let every timer whose due time has passed (by the injected clock) take its path."""
        return self._step(lambda: None)

    def _tasks(self, state: int = TaskState.ANY_MASK, *, manual: bool | None = None) -> list[Task]:
        """The tasks in these states (and of a user task or not), as ``workflow.get_tasks`` would list them,
        from the snapshot of the tree."""
        if self._snapshot is None:
            self._snapshot = self.workflow.get_tasks()
        return [task for task in self._snapshot
                if task.has_state(state) and (manual is None or task.task_spec.manual == manual)]

    def _step(self, action: Callable[[], object]) -> list[StepEvent]:
        before = {task.id: task.state for task in self._tasks()}
        self._snapshot = None  # the step changes the tree
        environment = self.workflow.script_engine.environment
        environment.begin_step()  # one allowance for all the diagram code this step runs
        ran = [0]

        def count(task: Task) -> None:
            ran[0] += 1
            if ran[0] > MAX_ENGINE_TASKS_PER_STEP:
                raise ProcessFault(f"time budget exceeded: stopped after {MAX_ENGINE_TASKS_PER_STEP:,} elements run "
                                   "in one step of the process (a loop in the diagram that does not end?)",
                                   getattr(task.task_spec, "bpmn_id", None), "time")

        try:
            action()
            for _ in range(1000):
                # do_engine_steps refreshes timers only at its end: a timer made READY there runs next pass.
                self.workflow.refresh_timers()
                self.workflow.do_engine_steps(will_complete_task=count)
                if not self.workflow.get_tasks(state=TaskState.READY, manual=False):
                    break
            # A workflow opened again by a signal (send_signal) reaches no End task when its subprocess ends:
            # it has finished when nothing is left unfinished.
            self.workflow.is_completed()
            self._stamp_new_timers()
        except SpiffWorkflowException as error:
            task = getattr(error, "task", None)
            element = getattr(task.task_spec, "bpmn_id", None) if task is not None else None
            raise _fault(error, element) from error
        finally:
            environment.end_step()
        for event in self.workflow.get_events():
            kind = type(event.event_definition).__name__
            if kind in ("ErrorEventDefinition", "EscalationEventDefinition"):
                # An uncaught error or escalation would otherwise end the process silently.
                raise ProcessFault(f"the process raised {kind.removesuffix('EventDefinition').lower()} "
                                   f"'{event.event_definition.name}' and nothing caught it")
        self.fired_timers = [
            self._waiting_timer(task) for task in self._tasks(TaskState.COMPLETED)
            if before.get(task.id) != TaskState.COMPLETED
            and isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition)]
        return self._changes(before)

    # ------------------------------------------------------------------ deadlines
    def _timer_tasks(self) -> list[Task]:
        return [task for task in self._tasks(TaskState.WAITING)
                if isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition)]

    def _timer_info(self, task: Task) -> TimerInfo | None:
        return self.definition.timers.get((task.workflow.spec.name, task.task_spec.bpmn_id))

    def _evaluate_timer(self, task: Task, armed_at: datetime, at_risk: bool = False) -> str | None:
        """The timer's expression as if evaluated when it was armed, with today's case data."""
        info = self._timer_info(task)
        if info is None or not isinstance(task.task_spec.event_definition, TimeDateEventDefinition):
            return None
        armed_iso = armed_at.astimezone(UTC).isoformat()
        try:
            with at_risk_mode() if at_risk else contextlib.nullcontext():
                value: str = self.workflow.script_engine.evaluate(task, info.expression, {"now": lambda: armed_iso})
                return value
        except SpiffWorkflowException as error:
            raise _fault(error, task.task_spec.bpmn_id) from error

    def _stamp_new_timers(self) -> None:
        """Remember when each timer was armed and when it becomes at risk (the engine keeps only the due time)."""
        stamp = None
        for task in self._timer_tasks():
            if "armed_at" in task.internal_data:
                continue
            stamp = stamp or clock_now()
            task.internal_data["armed_at"] = stamp.isoformat()
            at_risk = self._evaluate_timer(task, stamp, at_risk=True)
            if at_risk:
                task.internal_data["at_risk_at"] = at_risk

    def set_data(self, name: str, value: object) -> None:
        """Change a case data value everywhere the process can read it (a re-rating, say).

        Every task's copy changes, finished ones too: a parallel join merges the data of branches that
        finished earlier, and an old copy there would silently undo the change."""
        for task in self._tasks():
            if name in task.data or task.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED):
                task.data[name] = copy.deepcopy(value)

    def forget(self, names: Iterable[str], kept: Mapping[str, object]) -> None:
        """Remove these names from the case data everywhere the workflow holds it (every task of every
        (sub)process, finished ones too, and each process's own data), and put ``kept`` where they were and on
        the branches still running: for answers another record now holds, kept apart from this case's
        (the LADO's record of a person who works with children, app/lado/recording.py)."""
        gone = frozenset(names)
        for workflow in (self.workflow, *self.workflow.subprocesses.values()):
            for holder in (workflow.data, *(task.data for task in workflow.tasks.values())):
                found = gone & holder.keys()
                for name in found:
                    del holder[name]
                if found:
                    holder.update(copy.deepcopy(dict(kept)))
        for task in self._tasks(TaskState.READY | TaskState.WAITING | TaskState.STARTED):
            task.data.update(copy.deepcopy(dict(kept)))

    def retime(self) -> list[Retimed]:
        """Re-evaluate every armed timer against the current data: the engine computes a due time only once."""
        moved = []
        for task in self._timer_tasks():
            armed_at = _stamp(task, "armed_at")
            if armed_at is None:
                continue
            new_value = self._evaluate_timer(task, armed_at)
            if new_value is None or new_value == task.internal_data.get("event_value"):
                continue
            was = _timer_due(task)
            task.internal_data["event_value"] = new_value
            at_risk = self._evaluate_timer(task, armed_at, at_risk=True)
            if at_risk:
                task.internal_data["at_risk_at"] = at_risk
            timer = self._waiting_timer(task)
            moved.append(Retimed(timer=timer, was_due_at=None if was is None or was >= NO_DEADLINE else was))
        return moved

    def _changes(self, before: dict[uuid.UUID, int]) -> list[StepEvent]:
        events = []
        for task in self._tasks():
            old = before.get(task.id)
            if old == task.state or _is_internal(task):
                continue
            if task.state not in (TaskState.READY, TaskState.COMPLETED, TaskState.CANCELLED, TaskState.WAITING,
                                  TaskState.STARTED, TaskState.ERROR):
                continue
            if task.state == TaskState.CANCELLED and old not in (TaskState.READY, TaskState.WAITING, TaskState.STARTED):
                continue
            events.append(StepEvent(
                task_id=str(task.id), element_id=task.task_spec.bpmn_id,
                name=task.task_spec.bpmn_name or task.task_spec.bpmn_id, state=_state_name(task.state),
                process_id=task.workflow.spec.name,
            ))
        return events

    # ------------------------------------------------------------------ queries
    def _find(self, task_id: str) -> Task | None:
        try:
            return self.workflow.get_task_from_id(uuid.UUID(str(task_id)))
        except (ValueError, TaskNotFoundException):
            return None

    def _info(self, task: Task) -> UserTaskInfo | None:
        return self.definition.user_tasks.get((task.workflow.spec.name, task.task_spec.bpmn_id))

    def open_user_tasks(self) -> list[OpenUserTask]:
        timers = self.waiting_timers()
        result = []
        for task in self._tasks(TaskState.READY, manual=True):
            info = self._info(task)
            if info is None:
                continue
            dues = [t.due_at for t in timers if t.attached_to == str(task.id) and t.due_at is not None]
            result.append(OpenUserTask(task_id=str(task.id), process_id=task.workflow.spec.name, info=info,
                                       data=task.data, due_at=min(dues) if dues else None))
        return result

    def _waiting_timer(self, task: Task) -> WaitingTimer:
        attached = None
        if isinstance(task.task_spec, BoundaryEvent) and task.parent is not None:
            for sibling in task.parent.children:
                if sibling is not task and not isinstance(sibling.task_spec, BoundaryEvent):
                    attached = sibling
        info = self._timer_info(task)
        return WaitingTimer(
            task_id=str(task.id), bpmn_id=task.task_spec.bpmn_id,
            name=(info.name if info else None) or task.task_spec.bpmn_name or task.task_spec.bpmn_id,
            kind=info.kind if info else "statutory", due_at=_timer_due(task),
            at_risk_at=_stamp(task, "at_risk_at"), armed_at=_stamp(task, "armed_at"),
            attached_to=str(attached.id) if attached is not None else None,
            attached_bpmn_id=attached.task_spec.bpmn_id if attached is not None else None,
            process_id=self._deadline_process(task))

    def _deadline_process(self, task: Task) -> str:
        """The process a deadline belongs to. Timers of one name in one process are one deadline; an event
        subprocess runs once per event (two disagreements, two resolutions), so each run is its own process."""
        name: str = task.workflow.spec.name
        if name in self.workflow.spec.start.trigger_specs:
            return f"{name}/{task.workflow.parent_task_id}"
        return name

    def waiting_timers(self) -> list[WaitingTimer]:
        """Armed timers with a real deadline (a RAG level without a timescale arms none)."""
        result = []
        for task in self._timer_tasks():
            due = _timer_due(task)
            if due is None or due >= NO_DEADLINE:
                continue
            result.append(self._waiting_timer(task))
        return result

    def task_state(self, task_id: str) -> str | None:
        task = self._find(task_id)
        return _state_name(task.state) if task is not None else None

    def next_timer_due(self) -> datetime | None:
        dues = [t.due_at for t in self.waiting_timers() if t.due_at is not None]
        return min(dues) if dues else None

    @property
    def completed(self) -> bool:
        return bool(self.workflow.completed)

    def end_event(self) -> str | None:
        """The end event the top-level process finished on, if it has finished."""
        if not self.workflow.completed:
            return None
        last = None
        for task in self.workflow.get_tasks(state=TaskState.COMPLETED, skip_subprocesses=True):
            spec = task.task_spec
            if spec.__class__.__name__ == "EndEvent" and spec.bpmn_id and (
                    last is None or task.last_state_change >= last.last_state_change):
                last = task
        return str(last.task_spec.bpmn_id) if last is not None else None

    def case_data(self) -> dict[str, Any]:
        """Current case data: the finished workflow's data, else the live branches merged, latest last."""
        if self.workflow.completed:
            return dict(self.workflow.data)
        merged: dict[str, Any] = {}
        live = [t for t in self._tasks()
                if t.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED)]
        workflows = [self.workflow, *self.workflow.subprocesses.values()]
        latest = [wf.last_task for wf in workflows if wf.last_task is not None]
        for task in sorted(live + latest, key=lambda t: t.last_state_change):
            merged.update(task.data)
        return merged

