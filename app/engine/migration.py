"""Moving a running case onto a newer version of its process, keeping its place and its deadlines.

SpiffWorkflow 3.2 aligns the old specs with the new (``SpecDiff``: by BPMN id, then by shape) and
re-points a workflow's tasks (``migrate_workflow``). Left to itself that is not safe for a hub:

* it resets every READY and WAITING task, so each timer is re-armed from *now* and a deadline would
  silently move; the old ``internal_data`` (due time, when it was armed, when it goes at risk) is
  copied back onto the same task, which keeps its id;
* a call activity's running sub-process has its own diff and must be migrated with it;
* a task whose element no longer exists keeps its old spec, and the case can then never be restored
  (a crash deep inside the deserializer), so such a case is refused with the reason in plain words;
* a parallel join that in the new version waits for a path the case has already gone past would
  wait for ever, so that is refused too.

Every migration is tried in full and the result restored once with the new specs before it is
accepted: the check and the move are the same code, so the preview cannot promise what the move
cannot do.
"""
from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition, TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from app.engine.definitions import CompiledDefinition
from app.engine.runtime import _REGISTRY, CaseWorkflow, EngineError, ProcessFault, StepEvent

#: Tasks a case is at: waiting for a person, a timer or a join, or running a sub-process.
_ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
_FINISHED = TaskState.COMPLETED | TaskState.CANCELLED


class MigrationRefused(EngineError):
    """The case cannot move to the target version; ``reasons`` say why in the hub's words."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class ActiveStep:
    """An element a case is at (a task waiting for someone, an armed timer, a running sub-process)."""

    process_id: str
    element_id: str
    name: str


@dataclass(frozen=True)
class MigrationCheck:
    """Whether a case can move, and why not."""

    active_steps: list[ActiveStep]
    reasons: list[str] = field(default_factory=list)
    #: What will differ for this case once moved (it can still move).
    notes: list[str] = field(default_factory=list)

    @property
    def movable(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class Migrated:
    """A case moved onto the target version, ready to be saved."""

    workflow: CaseWorkflow
    events: list[StepEvent]
    active_steps: list[ActiveStep]


class VersionChange:
    """How one version's specs line up with another's; computed once per pair and reused for every case."""

    def __init__(self, source: CompiledDefinition, target: CompiledDefinition, target_label: str) -> None:
        self.source = source
        self.target = target
        self.target_label = target_label
        self.top = SpecDiff(_REGISTRY, source.spec, target.spec)
        self.subprocesses: dict[str, SpecDiff | None] = {
            name: SpecDiff(_REGISTRY, spec, target.subprocess_specs[name]) if name in target.subprocess_specs else None
            for name, spec in source.subprocess_specs.items() if spec is not None}

    def check(self, state: str) -> MigrationCheck:
        """A dry run of the migration on a copy of the case's state."""
        workflow = CaseWorkflow.restore(self.source, state)
        steps = active_steps(workflow)
        try:
            _moved, _events, notes = self._migrate(workflow)
        except MigrationRefused as refusal:
            return MigrationCheck(active_steps=steps, reasons=refusal.reasons)
        return MigrationCheck(active_steps=steps, notes=notes)

    def migrate(self, state: str) -> Migrated:
        """The case's workflow on the target version; raises MigrationRefused (nothing changed) if it cannot move."""
        workflow = CaseWorkflow.restore(self.source, state)
        steps = active_steps(workflow)
        moved, events, _notes = self._migrate(workflow)
        return Migrated(workflow=moved, events=events, active_steps=steps)

    # ------------------------------------------------------------------ the move
    def _migrate(self, case: CaseWorkflow) -> tuple[CaseWorkflow, list[StepEvent], list[str]]:
        workflow = case.workflow
        reasons = self._structural_reasons(workflow)
        if reasons:
            raise MigrationRefused(reasons)
        kept = {task.id: (_timer_kind(task.task_spec), copy.deepcopy(task.internal_data))
                for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING)}

        def move() -> None:
            sub_workflows = list(workflow.subprocesses.items())
            migrate_workflow(WorkflowDiff(workflow, self.top), workflow, self.target.spec)
            for _task_id, sub in sub_workflows:
                name = sub.spec.name
                migrate_workflow(WorkflowDiff(sub, self.subprocesses[name]), sub, self.target.subprocess_specs[name])
            workflow.subprocess_specs = self.target.subprocess_specs
            _keep_internal_data(workflow, kept)

        moved = CaseWorkflow(self.target, workflow)
        try:
            events = moved._step(move)
        except ProcessFault as fault:
            raise MigrationRefused(
                [f"the process fails on {self.target_label} at '{fault.element_id}': {fault}"]) from fault
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            # The library could not line this case's tasks up with the new specs (a shape it does not handle).
            raise MigrationRefused([(f"its state could not be carried over to {self.target_label} "
                                     f"({type(error).__name__})")]) from error
        reasons = self._stuck_joins(workflow)
        if reasons:
            raise MigrationRefused(reasons)
        try:
            state = moved.serialize()
            CaseWorkflow.restore(self.target, state)
        except (SpiffWorkflowException, AttributeError, KeyError, TypeError, ValueError) as error:
            raise MigrationRefused([(f"its state could not be carried over to {self.target_label} "
                                     f"({type(error).__name__})")]) from error
        return moved, events, self._unarmed_events(workflow)

    # ------------------------------------------------------------------ why not
    def _structural_reasons(self, workflow: BpmnWorkflow) -> list[str]:
        reasons = _task_reasons(workflow.get_tasks(skip_subprocesses=True), self.top, self.target_label)
        for task_id, sub in workflow.subprocesses.items():
            caller = workflow.get_task_from_id(task_id)
            where = _name(caller)
            running = caller.has_state(_ACTIVE)
            diff = self.subprocesses.get(sub.spec.name)
            if diff is None:
                reasons.append(f"it is inside '{where}', which {self.target_label} no longer calls" if running else
                               f"it went through '{where}', which {self.target_label} no longer calls, "
                               "so its history cannot be carried over")
                continue
            inner = _task_reasons(sub.get_tasks(skip_subprocesses=True), diff, self.target_label)
            if inner and running:
                reasons.append(f"it is inside '{where}', which changed in a way that cannot be mapped: "
                               + "; ".join(inner))
            elif inner:
                reasons.append(f"it went through '{where}', which changed in a way that cannot be mapped: "
                               + "; ".join(inner))
        return reasons

    def _unarmed_events(self, workflow: BpmnWorkflow) -> list[str]:
        """Boundary events the new version draws on a step the case is already at: they start only for cases
        that reach the step after the move (a deadline cannot be back-dated to when the step started)."""
        notes: list[str] = []
        for task in workflow.get_tasks(state=TaskState.READY | TaskState.STARTED):
            if getattr(task.task_spec, "bpmn_id", None) is None or task.parent is None:
                continue
            split = task.parent.task_spec if isinstance(task.parent.task_spec, BoundaryEventSplit) else None
            drawn = split.outputs if split is not None else []
            present = {child.task_spec for child in task.parent.children}
            notes.extend(f"'{_spec_name(event)}', new on its current step '{_name(task)}', "
                         "starts only for cases that reach that step after the move"
                         for event in drawn if event not in present)
        return notes

    def _stuck_joins(self, workflow: BpmnWorkflow) -> list[str]:
        """Every parallel join the case waits at or will reach must still get a token on each of its inputs in
        the new version: an input added behind a split the case has passed would keep it waiting for ever."""
        reasons: list[str] = []
        for flow in [workflow, *workflow.subprocesses.values()]:
            live = flow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED, skip_subprocesses=True)
            joins = {t.task_spec for t in live if isinstance(t.task_spec, ParallelGateway)}
            for task in live:
                joins |= {spec for spec in _reachable(task.task_spec) if isinstance(spec, ParallelGateway)}
            for join in sorted(joins, key=lambda spec: spec.name):
                arrived = {t.parent.task_spec for t in flow.get_tasks(spec_name=join.name, skip_subprocesses=True)
                           if t.parent is not None and t.parent.state == TaskState.COMPLETED}
                coming: set[TaskSpec] = set()
                for task in live:
                    if task.task_spec is not join:
                        coming |= {task.task_spec} | _reachable(task.task_spec, stop=join)
                reasons.extend(f"it is waiting at '{_spec_name(join)}', which in {self.target_label} also waits "
                               f"for '{_spec_name(missing)}', a path this case has already gone past"
                               for missing in join.inputs if missing not in arrived and missing not in coming)
        return reasons


def _task_reasons(tasks: list[Task], diff: SpecDiff, target_label: str) -> list[str]:
    missing: dict[str, bool] = {}  # step name -> whether the case is at it now
    reasons = []
    for task in tasks:
        spec = task.task_spec
        aligned = diff.alignment.get(spec)
        if aligned is None and getattr(spec, "bpmn_id", None) is None and task.has_state(_ACTIVE | _FINISHED):
            # Engine scaffolding around a step's boundary events: the step gained or lost events (when the
            # step itself is gone, that is the reason given).
            host = task.workflow.spec.task_specs.get(spec.name.split(".")[0])
            if host is None or diff.alignment.get(host) is None:
                continue
            reasons.append(f"the events attached to '{_name(task)}' changed in {target_label} "
                           "after this case reached that step")
        elif aligned is None and task.has_state(_ACTIVE | _FINISHED):
            missing[_name(task)] = missing.get(_name(task), False) or task.has_state(_ACTIVE)
        elif aligned is not None and task.has_state(_ACTIVE) and "typename" in diff.changed.get(spec, []):
            reasons.append(f"its active step '{_name(task)}' is a different kind of step in {target_label}")
        elif aligned is not None and task.has_state(_ACTIVE) and _gains_events(task, aligned):
            reasons.append(f"its active step '{_name(task)}' has events attached in {target_label} (a deadline, "
                           "say) that cannot be attached while the step is open")
    for name, active in missing.items():
        reasons.append(f"its active step '{name}' does not exist in {target_label}" if active else
                       f"its finished step '{name}' does not exist in {target_label}, "
                       "so its history cannot be carried over")
    return list(dict.fromkeys(reasons))


def _gains_events(task: Task, aligned: TaskSpec) -> bool:
    """The new version draws boundary events on a step that had none: the engine would fail when it completes."""
    split = next((spec for spec in aligned.inputs if isinstance(spec, BoundaryEventSplit)), None)
    return split is not None and (task.parent is None or not isinstance(task.parent.task_spec, BoundaryEventSplit))


def _timer_kind(spec: TaskSpec) -> str | None:
    definition = getattr(spec, "event_definition", None)
    if not isinstance(definition, TimerEventDefinition):
        return None
    return "cycle" if isinstance(definition, CycleTimerEventDefinition) else "moment"


def _keep_internal_data(workflow: BpmnWorkflow, kept: dict[uuid.UUID, tuple[str | None, dict[str, Any]]]) -> None:
    """Put back what the reset wiped: a timer keeps its due time, armed time and at-risk time."""
    for flow in [workflow, *workflow.subprocesses.values()]:
        for task in flow.get_tasks(skip_subprocesses=True):
            if task.id not in kept:
                continue
            kind, data = kept[task.id]
            if kind == _timer_kind(task.task_spec):
                task.internal_data.update(data)


def _reachable(spec: TaskSpec, stop: TaskSpec | None = None, seen: set[TaskSpec] | None = None) -> set[TaskSpec]:
    """Every spec a token at ``spec`` can still reach, not passing through ``stop``."""
    seen = set() if seen is None else seen
    for output in spec.outputs:
        if output in seen or output is stop:
            continue
        seen.add(output)
        _reachable(output, stop, seen)
    return seen


def _spec_name(spec: TaskSpec) -> str:
    name: str = getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None) or spec.name
    return name


def _name(task: Task) -> str:
    """The step's name; engine scaffolding ("police_check.BoundaryEventSplit") is named for the step it serves."""
    spec = task.task_spec
    if getattr(spec, "bpmn_id", None) is None and "." in spec.name:
        host = task.workflow.spec.task_specs.get(spec.name.split(".")[0])
        if host is not None:
            return _spec_name(host)
    return _spec_name(spec)


def active_steps(case: CaseWorkflow) -> list[ActiveStep]:
    """Where a case is: every waiting or running element with a BPMN id, sub-processes included."""
    steps = []
    for task in case.workflow.get_tasks(state=_ACTIVE):
        spec = task.task_spec
        if getattr(spec, "bpmn_id", None) is None:
            continue
        steps.append(ActiveStep(process_id=task.workflow.spec.name, element_id=spec.bpmn_id, name=_name(task)))
    return list(dict.fromkeys(steps))
