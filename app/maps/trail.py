"""A case's history on its map: the trail of steps from the audit trail, and the map as of any event.

Every engine step is audited as a ``step.<state>`` event (app/casework/progress.py) in the transaction
that made it, so the trail is exactly what happened, in order, with who caused it (``system`` for
timers fired by the scheduler). The arrows taken come from the workflow's task tree
(app/engine/paths.py); the deadline badges from the case's deadline rows. Replaying event k shows the
map as it stood just after event k: steps reached by then, arrows taken by then, deadlines as they
stood at that moment.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.cases.models import Case
from app.core.clock import now
from app.deadlines.models import Deadline, deadline_state
from app.engine import TakenPath, taken_paths
from app.maps.diagram import Step
from app.maps.steps import MapPlace, place_in, processes_in
from app.process_models.models import ProcessVersion
from app.process_models.registry import version_by_id

STEP_ACTION = "step."
ACTIVE_STATES = ("ready", "waiting", "started")
DEADLINE_WORDS = {"on-track": "On track", "at-risk": "At risk", "breached": "Breached", "met": "Met"}


@dataclass(frozen=True)
class TrailEvent:
    """One change of one element, as audited."""

    index: int
    element_id: str
    name: str
    state: str
    at: datetime
    by: str
    process_id: str | None
    task_id: str | None

    def as_json(self) -> dict:
        return {"element_id": self.element_id, "name": self.name, "state": self.state,
                "at": self.at.astimezone(UTC).isoformat(), "by": self.by,
                "process_id": self.process_id, "task_id": self.task_id}


def case_trail(session: Session, case_id: int) -> list[TrailEvent]:
    """The case's steps in the order they happened (the audit chain's order)."""
    rows = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id,
                                                    AuditEvent.action.startswith(STEP_ACTION, autoescape=True),
                                                    AuditEvent.element_id.is_not(None))
                           .order_by(AuditEvent.seq, AuditEvent.id))
    return [TrailEvent(index=n, element_id=row.element_id, name=row.summary or row.element_id,
                       state=row.action.removeprefix(STEP_ACTION), at=row.at, by=row.username,
                       process_id=(row.details or {}).get("process_id"), task_id=row.task_id)
            for n, row in enumerate(rows, start=1) if row.element_id is not None]  # all, by the query


# ----------------------------------------------------------------------------- which events a reader sees first
#: The trail's two views: ``work`` (what people did and where the case went; the case page's default) and ``all``
#: (every audited change of every element; the API's default, unchanged).
WORK, ALL = "work", "all"
TRAIL_VIEWS = (WORK, ALL)
#: The rule, in this one place: an event is the case's *work* when its element is a task for a person, a called
#: process the case went into (a call activity: the strategy discussion), or the start (once it has happened: an
#: event sub-process's start only armed has not) or end of a process.
#: Everything else is the process's own machinery and is hidden by default: decision points (gateways, e.g.
#: "Probation check requested?"), automatic steps (script, service, business-rule, send and receive tasks),
#: intermediate events (timers waited on, messages), boundary events (deadlines armed, stood down or fired on a
#: task) and embedded and event sub-processes (containers, some armed from the start waiting for a message; the
#: tasks inside them are shown). An element no diagram of the case's version knows is shown: what cannot be told
#: is never hidden.
WORK_KINDS = frozenset({"userTask", "manualTask", "task", "callActivity", "startEvent", "endEvent"})


def is_work(step: Step | None) -> bool:
    return step is None or step.kind in WORK_KINDS


#: A start event only waiting (an event sub-process's, armed until its message or signal comes) has not happened.
ARMED = "waiting"


def work_indexes(version: ProcessVersion, trail: Sequence[TrailEvent]) -> frozenset[int]:
    """The indexes of the events of the ``work`` view (WORK_KINDS, less start events only armed: an event
    sub-process's start can be recorded under the sub-process's own id, which no diagram lists), read against the
    case's own version."""
    steps: dict[str, dict[str, Step]] = {}
    for process_id in {e.process_id or version.process_id for e in trail}:
        place = place_in(version, process_id)
        steps[process_id] = place.diagram.steps if place is not None else {}

    def shown(event: TrailEvent) -> bool:
        step = steps[event.process_id or version.process_id].get(event.element_id)
        armed = event.state == ARMED and (step is None or step.kind == "startEvent")  # an event sub-process's start
        return is_work(step) and not armed

    return frozenset(e.index for e in trail if shown(e))


def trail_view(value: str | None, default: str) -> str:
    """``work`` or ``all`` from a query argument; anything else is the default."""
    return value if value in TRAIL_VIEWS else default


@dataclass(frozen=True)
class ElementState:
    """Where one element stood: active (ready, waiting or started), completed, cancelled or error."""

    status: str
    detail: str
    runs: int
    words: str

    def as_json(self) -> dict:
        return {"status": self.status, "detail": self.detail, "runs": self.runs, "words": self.words}


@dataclass(frozen=True)
class DeadlineBadge:
    """A deadline as it stood at one point of the trail, on the timer that carried it then."""

    deadline_id: int
    name: str
    kind: str
    state: str
    due_at: datetime
    element_id: str
    attached_element_id: str | None

    @property
    def words(self) -> str:
        return DEADLINE_WORDS.get(self.state, self.state)


@dataclass
class MapFrame:
    """The map just after event ``k`` (0: before anything happened)."""

    k: int
    at: datetime | None
    elements: dict[str, ElementState] = field(default_factory=dict)
    flows: list[str] = field(default_factory=list)
    deadlines: list[DeadlineBadge] = field(default_factory=list)


@dataclass
class CaseMap:
    case: Case
    place: MapPlace
    trail: list[TrailEvent]
    frames: list[MapFrame]
    #: (process id, name) of the processes this case has been in, the root process first.
    processes: list[tuple[str, str]]
    #: False when the workflow state is gone (anonymised): arrows cannot be told then.
    has_paths: bool
    #: Indexes of the trail's events that are the case's work (the default view; WORK_KINDS).
    work: frozenset[int] = frozenset()

    def frame(self, k: int | None) -> MapFrame:
        """Frame k, clamped to the trail; the latest when k is None."""
        last = len(self.frames) - 1
        return self.frames[last if k is None else max(0, min(k, last))]


def case_map(session: Session, case: Case, process_id: str | None = None) -> CaseMap | None:
    """The case on the map of ``process_id`` (its root process when None) in the case's own version."""
    version = version_by_id(session, case.process_version_id)
    place = place_in(version, process_id or version.process_id)
    if place is None:
        return None
    trail = case_trail(session, case.id)
    paths = [p for p in taken_paths(place.definition, case.state) if p.process_id == place.process_id]
    deadlines = list(session.scalars(select(Deadline).where(Deadline.case_id == case.id,
                                                            Deadline.process_id == place.process_id)
                                     .order_by(Deadline.due_at, Deadline.id)))
    entered = {e.process_id for e in trail}
    processes = [(pid, name) for pid, name in processes_in(version) if pid == version.process_id or pid in entered]
    frames = replay_frames(place.diagram.steps, place.process_id, trail, _flows_taken(place, trail, paths), deadlines)
    return CaseMap(case=case, place=place, trail=trail, frames=frames, processes=processes,
                   has_paths=bool(case.state), work=work_indexes(version, trail))


def _flows_taken(place: MapPlace, trail: list[TrailEvent], paths: list[TakenPath]) -> list[tuple[int, str]]:
    """(event index, sequence flow id): an arrow is taken when the step it leaves completes."""
    completed_at: dict[str, int] = {}
    for event in trail:
        if event.state == "completed" and event.task_id:
            completed_at.setdefault(event.task_id, event.index)
    return [(completed_at.get(path.source_task_id, len(trail)), flow.id) for path in paths
            for flow in place.diagram.flows_between(path.source_id, path.target_id)]


def replay_frames(steps: dict[str, Step], process_id: str, trail: list[TrailEvent],
                  flows_taken: Sequence[tuple[int, str]] = (), deadlines: Sequence[Deadline] = ()) -> list[MapFrame]:
    """The map of one process after each event of the trail; frame 0 is before the first event and the
    last frame's deadlines are as they stand now."""
    frames = [MapFrame(k=0, at=None)]
    instances: dict[str, tuple[str, str]] = {}  # task id -> (element id, last state)
    ran: dict[str, set[str]] = {}
    armed: dict[int, str] = {}  # deadline row id -> the timer carrying it so far
    for event in trail:
        here = event.process_id == process_id and event.element_id in steps
        if here:
            key = event.task_id or f"{event.element_id}#{event.index}"
            instances[key] = (event.element_id, event.state)
            if event.state == "completed":
                ran.setdefault(event.element_id, set()).add(key)
        if here and event.state == "waiting":
            # Timers of one name are one deadline (the RAG timescale moves from the review to the decision).
            for row in deadlines:
                if row.name == event.name and event.at >= row.armed_at:
                    armed[row.id] = event.element_id
        at = now() if event.index == len(trail) else event.at
        frames.append(MapFrame(
            k=event.index, at=at, elements=_element_states(steps, instances, ran),
            flows=sorted({flow for index, flow in flows_taken if index <= event.index}),
            deadlines=[badge for row in deadlines if row.id in armed
                       and (badge := _badge(row, steps.get(armed[row.id]), at)) is not None]))
    return frames


def _element_states(steps: dict[str, Step], instances: dict[str, tuple[str, str]],
                    ran: dict[str, set[str]]) -> dict[str, ElementState]:
    latest: dict[str, list[str]] = {}
    for element_id, state in instances.values():
        latest.setdefault(element_id, []).append(state)
    found = {}
    for element_id, states in latest.items():
        runs = len(ran.get(element_id, ()))
        active = next((s for s in ACTIVE_STATES if s in states), None)
        if active:
            status, detail = "active", active
        elif "error" in states:
            status, detail = "error", "error"
        elif runs:
            status, detail = "completed", "completed"
        else:
            status, detail = "cancelled", "cancelled"
        found[element_id] = ElementState(status=status, detail=detail, runs=runs,
                                         words=_words(steps[element_id], detail, runs))
    return found


def _words(step: Step, detail: str, runs: int) -> str:
    timer = step.timer_expression is not None
    if detail == "ready":
        text = "Waiting for a person" if step.is_activity else "Ready"
    elif detail == "waiting":
        if timer:
            text = "Timer running"
        else:
            text = "Waiting for other branches" if step.kind.endswith("Gateway") else "Waiting"
    elif detail == "started":
        text = "In progress"
    elif detail == "error":
        text = "Failed"
    elif detail == "cancelled":
        text = "Not needed (cancelled)" if timer else "Cancelled"
    else:
        text = "Fired" if timer else "Done"
    if runs > 1 or (runs == 1 and detail in ACTIVE_STATES):
        text += f", ran {runs} time{'s' if runs != 1 else ''}"
    return text


def _badge(row: Deadline, timer: Step | None, at: datetime) -> DeadlineBadge | None:
    """The deadline on the timer that carried it, as it stood at ``at``; None once it no longer applied."""
    if timer is None or (row.cancelled_at is not None and row.cancelled_at <= at):
        return None
    met = row.met_at if row.met_at is not None and row.met_at <= at else None
    breached = row.breached_at if row.breached_at is not None and row.breached_at <= at else None
    return DeadlineBadge(deadline_id=row.id, name=row.name, kind=row.kind, due_at=row.due_at, element_id=timer.id,
                         attached_element_id=timer.attached_to,
                         state=deadline_state(row.due_at, row.at_risk_at, at, met_at=met, breached_at=breached))
