"""Run a scenario through the hub's real operations: receive its contact, complete each scripted step as its
user, move the training clock and let due timers fire, and reset.

Nothing here decides where a case goes: the diagram does, exactly as for live work. The runner reads where
the case stands from the case itself (completed and open tasks), so trainees can do steps from their own
inboxes and the runner picks up wherever the case is: the next scripted step is the first one not yet done.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.auth.operations import user_by_username
from app.cases.models import Case, CompletedTask
from app.casework.completion import complete_task
from app.casework.scheduler import fire_due, wake_scheduler
from app.core.actor import Actor
from app.core.clock import now
from app.core.db import after_commit, get_db, run_in_transaction
from app.core.errors import Conflict, NotFound, OperationError, ValidationFailed
from app.core.memo import forget
from app.deadlines.models import Deadline
from app.deadlines.queries import SYNCED as DEADLINES_SYNCED
from app.deadlines.queries import DeadlineView, case_deadlines
from app.deadlines.tracking import leave_wall
from app.inbox.models import OpenTask
from app.inbox.queries import SYNCED as INBOX_SYNCED
from app.intake.operations import receive_contact
from app.process_models.registry import compiled_by_id
from app.training.clock import move_clock
from app.training.models import TrainingRun
from app.training.scenarios import ClockMove, Scenario, ScriptedStep, as_received, london_today, resolve_answers

#: What a reset leaves on the closed case (Case.closure), so reports and the case page can tell it apart.
RESET_CLOSURE = "training-reset"
#: The clock buttons on a run page: form value -> (label, move).
CLOCK_CHOICES: dict[str, tuple[str, ClockMove]] = {
    "PT1H": ("1 hour", ClockMove(duration=timedelta(hours=1))),
    "PT4H": ("4 hours", ClockMove(duration=timedelta(hours=4))),
    "P1D": ("1 day", ClockMove(duration=timedelta(days=1))),
    "next-deadline": ("To the next deadline", ClockMove(next_deadline=True)),
}
#: A clock moved "to" a deadline lands this far past it, so its timer is plainly due.
PAST_DEADLINE = timedelta(minutes=1)
#: Deadlines the hub treats as "none" (a RAG level with no timescale is due 9999-12-31).
_NO_DEADLINE_YEAR = 9999


@dataclass
class StepProgress:
    step: ScriptedStep
    done: CompletedTask | None
    is_next: bool = False


@dataclass
class RunState:
    """Where a run's case stands against its script, for the run page."""

    run: TrainingRun
    case: Case
    steps: list[StepProgress]
    open_tasks: list[OpenTask]
    deadlines: list[DeadlineView]
    next_step: ScriptedStep | None = None
    next_task: OpenTask | None = None
    clock_move_pending: bool = False
    expectation_misses: list[str] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.next_step is None

    @property
    def off_script(self) -> bool:
        """The next scripted step is not open and no scripted clock move is still to come that could open it."""
        return self.next_step is not None and self.next_task is None and not self.clock_move_pending


class StepRefused(OperationError):
    """A scripted step could not be done; ``errors`` are the messages for the page's error summary."""

    status = 409
    #: A run moves its clock and does its steps one transaction each: those done before the refusal stand.
    earlier_steps_stand = True

    def __init__(self, message: str, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or [message]
        #: Steps done before the refusal (running to a step stops at the first refusal and keeps those).
        self.done: list[ScriptedStep] = []


# ----------------------------------------------------------------------------- reading a run
def active_run(session: Session, scenario_id: str) -> TrainingRun | None:
    return session.scalar(select(TrainingRun).where(TrainingRun.scenario_id == scenario_id,
                                                    TrainingRun.reset_at.is_(None)))


def active_runs(session: Session) -> list[tuple[TrainingRun, Case]]:
    """Every run not reset, newest first, with its case."""
    rows = session.execute(select(TrainingRun, Case).join(Case, Case.id == TrainingRun.case_id)
                           .where(TrainingRun.reset_at.is_(None)).order_by(TrainingRun.id.desc()))
    return [(run, case) for run, case in rows]


def run_state(session: Session, run: TrainingRun, scenario: Scenario | None) -> RunState:
    case = session.get_one(Case, run.case_id)
    completed = list(session.scalars(select(CompletedTask).where(CompletedTask.case_id == case.id)
                                     .order_by(CompletedTask.completed_at)))
    open_tasks = list(session.scalars(select(OpenTask).where(OpenTask.case_id == case.id)
                                      .order_by(OpenTask.created_at)))
    state = RunState(run=run, case=case, steps=[], open_tasks=open_tasks,
                     deadlines=case_deadlines(session, case.id, now()))
    if scenario is None:
        return state
    # The n-th scripted occurrence of a step is done when the case has completed that step n times.
    done_by_step: dict[str, list[CompletedTask]] = defaultdict(list)
    for task in completed:
        done_by_step[task.bpmn_id].append(task)
    seen: dict[str, int] = defaultdict(int)
    for step in scenario.steps:
        matches = done_by_step[step.bpmn_id]
        done = matches[seen[step.bpmn_id]] if seen[step.bpmn_id] < len(matches) else None
        seen[step.bpmn_id] += 1
        progress = StepProgress(step=step, done=done)
        if done is None and state.next_step is None:
            progress.is_next = True
            state.next_step = step
        state.steps.append(progress)
    if state.next_step is not None:
        state.next_task = next((t for t in open_tasks if t.bpmn_id == state.next_step.bpmn_id), None)
        state.clock_move_pending = state.next_step.clock is not None and run.clock_moves_made < state.next_step.number
    else:
        state.expectation_misses = _expectation_misses(case, open_tasks, scenario.expect)
    return state


def _expectation_misses(case: Case, open_tasks: list[OpenTask], expect: dict) -> list[str]:
    """Where a finished run's case differs from what the scenario says it ends as."""
    misses = [f"{name.replace('_', ' ')} is {getattr(case, name) or 'not set'}, the scenario expects {wanted}"
              for name in ("status", "closure", "rag", "outcome", "strategy_outcome")
              if (wanted := expect.get(name)) is not None and getattr(case, name) != wanted]
    if "open_steps" in expect and sorted(t.bpmn_id for t in open_tasks) != sorted(expect["open_steps"]):
        misses.append(f"open steps are {', '.join(t.bpmn_id for t in open_tasks) or 'none'}, the scenario expects "
                      f"{', '.join(expect['open_steps']) or 'none'}")
    return misses


def _run(session: Session, run_id: int) -> TrainingRun:
    run = session.get(TrainingRun, run_id)
    if run is None:
        raise NotFound("There is no such training run.")
    if run.reset_at is not None:
        raise Conflict("This run was reset: carry on with the new run of the scenario.")
    return run


def _actor_of(session: Session, username: str) -> Actor:
    user = user_by_username(session, username)
    if user is None or not user.is_active_user:
        raise StepRefused(f"There is no user called {username}: run 'mash demo' for the demo users.")
    return user.as_actor()


# ----------------------------------------------------------------------------- starting and resetting
def begin(scenario: Scenario, trainer: Actor, run_id: int | None = None) -> TrainingRun:
    """Start (or, with ``run_id``, reset) a run: first the clock moves to the scenario's ``starts_at``, outside
    any transaction, then the contacts arrive."""
    moment = scenario.start_moment(now())
    if moment is not None:
        move_clock({"set": moment.isoformat()}, trainer, via="training", scenario=scenario.id)
    if run_id is not None:
        return run_in_transaction(reset, run_id, scenario, trainer)
    return run_in_transaction(start, scenario, trainer)


def start(session: Session, scenario: Scenario, trainer: Actor) -> TrainingRun:
    """Receive the scenario's contacts through the front door, as its referrer, and open a run on the last one."""
    if active_run(session, scenario.id) is not None:
        raise Conflict("This scenario is already running: carry on with it, or reset it to start again.")
    reporter = _actor_of(session, scenario.reported_by)
    today = london_today(now())
    earlier = [receive_contact(session, as_received(session, contact, today), reporter, channel="web")[0].id
               for contact in scenario.earlier_contacts]
    case, _created = receive_contact(session, as_received(session, scenario.contact, today), reporter, channel="web")
    run = TrainingRun(scenario_id=scenario.id, case_id=case.id, earlier_case_ids=earlier, started_at=now(),
                      started_by=trainer.username, clock_moves_made=0)
    session.add(run)
    session.flush()
    record(session, trainer, "training.started", case_id=case.id, summary=f"Training scenario {scenario.id} started",
           details={"scenario": scenario.id, "run_id": run.id, "earlier_case_ids": earlier})
    return run


def reset(session: Session, run_id: int, scenario: Scenario, trainer: Actor) -> TrainingRun:
    """Close the run's contacts and start the scenario again on new ones. The closed contacts stay on the
    record and every audit entry stays: the trail is append-only, so a reset is one more entry in it."""
    run = _run(session, run_id)
    at = now()
    for case_id in (run.case_id, *run.earlier_case_ids):
        case = session.get(Case, case_id)
        if case is not None and case.status == "open":
            _close_for_reset(session, case, trainer, at)
    run.reset_at = at
    record(session, trainer, "training.reset", case_id=run.case_id,
           summary=f"Training scenario {run.scenario_id} reset",
           details={"scenario": run.scenario_id, "run_id": run.id})
    session.flush()
    return start(session, scenario, trainer)


def _close_for_reset(session: Session, case: Case, trainer: Actor, at: datetime) -> None:
    """End a training contact outside its diagram: no open tasks, no timers, no deadline still counting."""
    session.execute(delete(OpenTask).where(OpenTask.case_id == case.id))
    session.execute(update(Deadline).where(Deadline.case_id == case.id, Deadline.met_at.is_(None),
                                           Deadline.cancelled_at.is_(None)).values(cancelled_at=at))
    forget(session, INBOX_SYNCED)  # what a step of this transaction synchronised no longer stands
    forget(session, DEADLINES_SYNCED)
    case.status, case.closure, case.closed_at = "closed", RESET_CLOSURE, at
    case.next_timer_due, case.current_step = None, ""
    leave_wall(session, case.id)
    record(session, trainer, "case.closed", case_id=case.id, summary="Closed by a training reset",
           details={"reason": RESET_CLOSURE})


# ----------------------------------------------------------------------------- the clock
def _clock_target(session: Session, case_id: int, move: ClockMove) -> dict | None:
    """The body for set_training_clock, or None when the time asked for has already come."""
    at = now()
    if move.duration is not None:
        return {"advance": f"PT{int(move.duration.total_seconds())}S"}
    unmet = (Deadline.case_id == case_id, Deadline.met_at.is_(None), Deadline.cancelled_at.is_(None))
    due: datetime | None
    if move.past is not None:
        rows = list(session.scalars(select(Deadline).where(*unmet, Deadline.name == move.past)
                                    .order_by(Deadline.due_at)))
        if not rows:
            raise StepRefused(f"The case has no open deadline called “{move.past}” yet, so the clock cannot move past "
                              "it. Is the case where the script expects?")
        due = rows[0].due_at
    else:
        due = session.scalar(select(Deadline.due_at).where(*unmet, Deadline.breached_at.is_(None), Deadline.due_at > at)
                             .order_by(Deadline.due_at).limit(1))
        if due is None or due.year >= _NO_DEADLINE_YEAR:
            raise StepRefused("The case has no deadline ahead to move the clock to.")
    target = due + PAST_DEADLINE
    return {"set": target.isoformat()} if target > at else None


def _count_scripted_move(session: Session, run_id: int, scripted_step: int) -> None:
    session.get_one(TrainingRun, run_id).clock_moves_made = scripted_step


def _move_clock(run_id: int, move: ClockMove, trainer: Actor, scripted_step: int | None = None) -> datetime | None:
    """Move the clock for a run (everyone in the sandbox shares it) and fire whatever fell due."""
    def target(session: Session) -> dict | None:
        return _clock_target(session, _run(session, run_id).case_id, move)
    body = run_in_transaction(target)
    scripted = {"scripted_step": scripted_step} if scripted_step is not None else {}
    moved = move_clock(body, trainer, via="training", run_id=run_id, **scripted) if body is not None else None
    if scripted_step is not None:
        run_in_transaction(_count_scripted_move, run_id, scripted_step)
    fire_due_now()
    return moved


def move_clock_for(run_id: int, choice: str, trainer: Actor) -> datetime | None:
    """One of the run page's clock buttons (CLOCK_CHOICES). Returns the new time, None if nothing moved."""
    if choice not in CLOCK_CHOICES:
        raise StepRefused("Choose how far to move the clock")
    return _move_clock(run_id, CLOCK_CHOICES[choice][1], trainer)


def fire_due_now() -> int:
    """Fire every timer the clock has passed, now, each case in its own transaction as the scheduler does (the
    case row's version keeps a timer from firing twice if the scheduler gets there at the same moment), so the
    page after a step or a clock move already shows chases and breaches."""
    fired = fire_due()
    with get_db().reading() as session:
        after_commit(session, wake_scheduler)  # the clock may have moved: the scheduler plans its wait again
    return fired


# ----------------------------------------------------------------------------- steps
def do_next_step(run_id: int, scenario: Scenario, trainer: Actor) -> ScriptedStep:
    """Make the next scripted step's clock move (once), then complete its open task as its user."""
    def plan(session: Session) -> tuple[ScriptedStep | None, bool]:
        state = run_state(session, _run(session, run_id), scenario)
        return state.next_step, state.clock_move_pending
    step, clock_pending = run_in_transaction(plan)
    if step is None:
        raise StepRefused("Every step of this scenario is done. Reset it to run it again.")
    if clock_pending and step.clock is not None:
        _move_clock(run_id, step.clock, trainer, scripted_step=step.number)
    run_in_transaction(_complete_scripted_step, run_id, scenario, step, trainer)
    fire_due_now()
    return step


def _complete_scripted_step(session: Session, run_id: int, scenario: Scenario, step: ScriptedStep,
                            trainer: Actor) -> None:
    run = _run(session, run_id)
    task = session.scalar(select(OpenTask).where(OpenTask.case_id == run.case_id, OpenTask.bpmn_id == step.bpmn_id)
                          .order_by(OpenTask.created_at).limit(1))
    if task is None:
        open_now = session.scalars(select(OpenTask.name).where(OpenTask.case_id == run.case_id)).all()
        raise StepRefused(f"Step {step.number}, “{step.name}”, is not open on the case. Open now: "
                          f"{', '.join(open_now) or 'nothing'}. A trainee may have taken another route: "
                          "reset to start again.")
    actor = _actor_of(session, step.username)
    form = compiled_by_id(session, session.get_one(Case, run.case_id).process_version_id).forms[task.form_key]
    try:
        complete_task(session, task.task_id, resolve_answers(form, step.answers, london_today(now())), actor)
    except ValidationFailed as refusal:
        raise StepRefused(f"Step {step.number}'s answers were refused",
                          [f"Step {step.number}, {error.field or 'the form'}: {error.message}"
                           for error in refusal.errors]) from refusal
    except OperationError as refusal:
        raise StepRefused(f"Step {step.number}: {refusal.message}") from refusal
    record(session, trainer, "training.step", case_id=run.case_id, task_id=task.task_id, element_id=step.bpmn_id,
           summary=f"Scripted step {step.number} of {scenario.id} done as {step.username}",
           details={"scenario": scenario.id, "run_id": run.id, "step": step.number, "done_as": step.username})


def run_to(run_id: int, scenario: Scenario, target: int, trainer: Actor) -> list[ScriptedStep]:
    """Do every scripted step before step ``target`` (len(steps) + 1: to the end), so the class can watch
    ``target`` itself. Stops at the first refusal, keeping what was done (raised with ``done`` attached)."""
    def upcoming(session: Session) -> ScriptedStep | None:
        return run_state(session, _run(session, run_id), scenario).next_step
    step = run_in_transaction(upcoming)
    if step is None:
        raise StepRefused("Every step of this scenario is done. Reset it to run it again.")
    if not 1 <= target <= len(scenario.steps) + 1:
        raise StepRefused("Choose a step of this scenario to run to")
    if target <= step.number:
        raise StepRefused(f"Step {target} is done or next already: choose a later step")
    done: list[ScriptedStep] = []
    while step is not None and step.number < target:
        try:
            done.append(do_next_step(run_id, scenario, trainer))
        except StepRefused as refusal:
            refusal.done = done
            raise
        step = run_in_transaction(upcoming)
    return done
