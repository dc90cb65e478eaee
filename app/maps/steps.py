"""What each step of a deployed process is, for the maps: who does it, why, its deadlines and its form.

Everything comes from the stored version (diagram, forms, SLA policies), so the map of version 3 says
what version 3 did, whatever was deployed since.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from app.core.decision_tables import DecisionTable, read_stored_tables
from app.core.roles import LANE_ROLES, role_for_lane, role_label
from app.core.sla import SlaPolicy
from app.core.vocabulary import rag_label
from app.engine import RAG_CLOCK, CompiledDefinition, TimerInfo, UserTaskInfo
from app.forms import FormDefinition
from app.maps.diagram import Flow, ProcessDiagram, Step, read_process
from app.process_models.models import ProcessVersion
from app.process_models.registry import (
    bundle_of,
    compiled,
    executable_processes,
    file_of_process,
    latest_version,
    process_ids,
    version_of,
    versions_of,
)

DEADLINE_KINDS = {"rag": "RAG timescale", "check": "Agency check", "statutory": "Statutory",
                  "wait": "A wait, not a deadline"}
_UNITS = {"elapsed-hours": ("hour", "hours"), "working-hours": ("working hour", "working hours"),
          "working-days": ("working day", "working days")}


@dataclass(frozen=True)
class MapPlace:
    """One process as drawn in one deployed version (the version of the root process cases start on)."""

    version: ProcessVersion
    definition: CompiledDefinition
    diagram: ProcessDiagram

    @property
    def root_id(self) -> str:
        return self.version.process_id

    @property
    def process_id(self) -> str:
        return self.diagram.process_id

    def callers(self) -> list[tuple[str, Step]]:
        """(process id, call activity) of every step in this version that calls this process."""
        found: list[tuple[str, Step]] = []
        for pid, _name in processes_in(self.version):
            other = place_in(self.version, pid)
            if other is not None:
                found.extend((pid, s) for s in other.diagram.steps.values() if s.called_process == self.process_id)
        return found


def processes_in(version: ProcessVersion) -> list[tuple[str, str]]:
    """(id, name) of every executable process of a version, the root process first."""
    found: list[tuple[str, str]] = []
    for raw in bundle_of(version).bpmn.values():
        found.extend(executable_processes(raw))
    return sorted(found, key=lambda item: (item[0] != version.process_id, item[1].lower()))


def place_in(version: ProcessVersion, process_id: str) -> MapPlace | None:
    """A process of a stored version (a case's own version, say), or None if that version has none."""
    bundle = bundle_of(version)
    file = file_of_process(bundle, process_id)
    if file is None:
        return None
    diagram = read_process(version.content_hash, file, bundle.bpmn[file], process_id)
    if diagram is None:
        return None
    return MapPlace(version=version, definition=compiled(version), diagram=diagram)


def locate(session: Session, process_id: str, *, version: int | None = None,
           root: str | None = None) -> MapPlace | None:
    """A deployed process by its BPMN id. ``version`` is the root process's version (latest when not
    given); ``root`` picks the deployed process when several bundles hold the same called process."""
    roots = [root] if root else sorted(process_ids(session), key=lambda pid: pid != process_id)
    for root_id in roots:
        stored = latest_version(session, root_id) if version is None else version_of(session, root_id, version)
        if stored is None:
            continue
        place = place_in(stored, process_id)
        if place is not None:
            return place
    return None


@dataclass(frozen=True)
class ProcessEntry:
    """One line of /maps."""

    place: MapPlace
    steps: int
    people_tasks: int
    deadlines: int
    roles: list[str]
    versions: int


def process_listing(session: Session) -> list[ProcessEntry]:
    """Every executable process in the latest version of each deployed process."""
    entries = []
    for root_id in process_ids(session):
        latest = latest_version(session, root_id)
        if latest is None:  # never: the id is of a deployed process
            continue
        count = len(versions_of(session, root_id))
        for pid, _name in processes_in(latest):
            place = place_in(latest, pid)
            if place is None:
                continue
            views = [step_view(place, s.id) for s in place.diagram.steps.values()]
            working = {v.role for v in views if v is not None and v.for_people and v.role}
            drawn = [role_for_lane(lane) for lane in place.diagram.lanes]  # in the diagram's order
            roles = sorted(working, key=lambda role: drawn.index(role) if role in drawn else len(drawn))
            entries.append(ProcessEntry(
                place=place, steps=len(views), people_tasks=sum(1 for v in views if v and v.for_people),
                deadlines=sum(1 for s in place.diagram.steps.values() if s.timer_expression is not None),
                roles=[role_label(r) for r in roles], versions=count))
    return entries


@dataclass(frozen=True)
class DeadlineInfo:
    """A timer event read as a deadline: what it is called, its kind, when it falls due."""

    timer: Step
    kind: str
    kind_label: str
    expression: str
    rag_timescales: list[str]
    then: list[Step]


@dataclass(frozen=True)
class Neighbour:
    flow: Flow
    step: Step


@dataclass
class StepView:
    """Everything the map's side panel and the step page say about one step."""

    place: MapPlace
    step: Step
    role: str | None
    for_people: bool
    form: FormDefinition | None
    deadlines: list[DeadlineInfo] = field(default_factory=list)
    attached_to: Step | None = None
    #: The decision table a business rule task runs, as the version stored it (None: not one, or not found).
    decision: DecisionTable | None = None
    before: list[Neighbour] = field(default_factory=list)
    after: list[Neighbour] = field(default_factory=list)

    @property
    def role_label(self) -> str | None:
        return role_label(self.role) if self.role else None


def step_view(place: MapPlace, step_id: str) -> StepView | None:
    step = place.diagram.steps.get(step_id)
    if step is None:
        return None
    info = _on_map(place, place.definition.user_tasks, step_id)
    for_people = info is not None
    role = info.role if info is not None else (step.lane_role if step.lane_role in LANE_ROLES else None)
    form_key = info.form_key if info is not None else step.form_key
    steps = place.diagram.steps
    flows = place.diagram.flows
    timers = place.diagram.timers_on(step_id) + ([step] if step.timer_expression is not None else [])
    return StepView(
        place=place, step=step, role=role, for_people=for_people,
        form=place.definition.forms.get(form_key) if form_key else None,
        deadlines=[_deadline(place, timer) for timer in timers],
        attached_to=steps.get(step.attached_to) if step.attached_to else None,
        decision=decision_table(place.version, step.decision_ref) if step.decision_ref else None,
        before=[Neighbour(flows[f], steps[flows[f].source]) for f in step.incoming if flows[f].source in steps],
        after=[Neighbour(flows[f], steps[flows[f].target]) for f in step.outgoing if flows[f].target in steps],
    )


def decision_table(version: ProcessVersion, decision_id: str) -> DecisionTable | None:
    """A decision table of a stored version, by decision id."""
    return read_stored_tables(bundle_of(version).dmn).get(decision_id)


_Info = TypeVar("_Info", UserTaskInfo, TimerInfo)


def _on_map(place: MapPlace, table: Mapping[Any, _Info], element_id: str) -> _Info | None:
    """A step's entry in the definition: under the map's process, or, for a step inside an embedded or event
    sub-process drawn on this map, under that sub-process's id (app.engine.definitions)."""
    found = table.get((place.process_id, element_id))
    if found is None:
        found = next((info for (pid, bpmn_id), info in table.items()
                      if bpmn_id == element_id and pid in place.diagram.steps), None)
    return found


def _deadline(place: MapPlace, timer: Step) -> DeadlineInfo:
    info = _on_map(place, place.definition.timers, timer.id)
    kind = info.kind if info is not None else "statutory"
    expression = info.expression if info is not None else (timer.timer_expression or "")
    rag = place.definition.sla.rag if RAG_CLOCK.search(expression) else {}
    return DeadlineInfo(timer=timer, kind=kind, kind_label=DEADLINE_KINDS.get(kind, kind), expression=expression,
                        rag_timescales=[_timescale(policy) for policy in rag.values()],
                        then=[place.diagram.steps[place.diagram.flows[f].target] for f in timer.outgoing
                              if place.diagram.flows[f].target in place.diagram.steps])


def _timescale(policy: SlaPolicy) -> str:
    level = rag_label(policy.level)
    if policy.unit == "none":
        return f"{level}: no timescale"
    one, many = _UNITS.get(policy.unit, (policy.unit, policy.unit))
    amount = f"{policy.duration:g} {one if policy.duration == 1 else many}"
    clock = ", the clock runs out of hours" if policy.out_of_hours and policy.unit != "working-days" else ""
    return f"{level}: {amount}{clock} (at risk after {policy.at_risk:.0%} of the time)"
