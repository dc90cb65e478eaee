"""The scenario library cannot rot: every shipped scenario is sound against the shipped diagram and runs from
its contact to its expected ending through the hub's real operations, deadlines and clock included."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.audit.models import AuditEvent
from app.auth.models import User
from app.core.actor import Actor
from app.core.clock import now
from app.training import runner
from app.training.models import TrainingRun
from app.training.scenarios import SCENARIOS_DIR, load_library, load_scenario, scenario_files

TRAINER = Actor(user_id=None, username="trainer", roles=frozenset({"trainer"}))
SHIPPED = [path.stem for path in scenario_files(SCENARIOS_DIR)]


def test_the_library_has_scenarios_for_different_routes_and_none_is_broken(db):
    with db.unit_of_work(write=False) as session:
        library = load_library(session, SCENARIOS_DIR, now())
    assert [str(problem) for entry in library for problem in entry.problems] == []
    assert len(library) >= 4
    first_steps = {entry.scenario.steps[0].bpmn_id for entry in library}
    assert {"screening", "confirm_immediate_risk_out_of_hours", "confirm_enquiry_link"} <= first_steps
    assert len({entry.scenario.expect.get("rag") for entry in library} - {None}) >= 3


@pytest.mark.parametrize(("scenario_id", "database_url"), [(scenario_id, "sqlite") for scenario_id in SHIPPED]
                         + [("amber-police-late", "postgresql")], indirect=["database_url"])
def test_each_scenario_runs_from_its_contact_to_the_ending_it_expects(db, scenario_id):
    with db.unit_of_work(write=False) as session:
        scenario = load_scenario(session, SCENARIOS_DIR, scenario_id, now()).scenario
    run = runner.begin(scenario, TRAINER)
    done = runner.run_to(run.id, scenario, len(scenario.steps) + 1, TRAINER)
    assert [step.number for step in done] == list(range(1, len(scenario.steps) + 1))
    with db.unit_of_work(write=False) as session:
        state = runner.run_state(session, session.get(TrainingRun, run.id), scenario)
        assert state.finished
        assert state.expectation_misses == []
        assert [p.done.completed_by for p in state.steps] == [step.username for step in scenario.steps]
        scripted = session.scalars(select(AuditEvent.details).where(AuditEvent.case_id == run.case_id,
                                                                    AuditEvent.action == "training.step")).all()
        assert [d["step"] for d in scripted] == [step.number for step in scenario.steps]


def test_the_late_police_scenario_really_breaches_the_police_check_and_chases_it(db):
    """The clock moves of a scenario drive the real timers: the chase only exists because a deadline passed."""
    with db.unit_of_work(write=False) as session:
        scenario = load_scenario(session, SCENARIOS_DIR, "amber-police-late", now()).scenario
    chase = next(step for step in scenario.steps if step.bpmn_id == "chase_police_check")
    run = runner.begin(scenario, TRAINER)
    runner.run_to(run.id, scenario, chase.number, TRAINER)
    with db.unit_of_work(write=False) as session:
        state = runner.run_state(session, session.get(TrainingRun, run.id), scenario)
        assert state.next_step == chase and state.next_task is None and state.clock_move_pending
    runner.do_next_step(run.id, scenario, TRAINER)
    with db.unit_of_work(write=False) as session:
        state = runner.run_state(session, session.get(TrainingRun, run.id), scenario)
        police = next(d for d in state.deadlines if d.name == "Police check due")
        assert police.state == "breached"
        assert "Check police records" in {t.name for t in state.open_tasks}
        assert session.get(TrainingRun, run.id).clock_moves_made == chase.number


def test_a_refused_step_keeps_its_clock_move_so_trying_again_never_moves_the_clock_twice(db):
    with db.unit_of_work(write=False) as session:
        scenario = load_scenario(session, SCENARIOS_DIR, "amber-police-late", now()).scenario
    health = scenario.steps[1]
    assert health.username == "health" and health.clock.duration.total_seconds() == 2 * 3600
    run = runner.begin(scenario, TRAINER)
    runner.do_next_step(run.id, scenario, TRAINER)
    before = now()

    def health_user(active: bool) -> None:
        with db.unit_of_work() as session:
            session.execute(update(User).where(User.username == "health").values(is_active_user=active))
    health_user(False)
    for _attempt in range(2):
        with pytest.raises(runner.StepRefused, match="no user called health"):
            runner.do_next_step(run.id, scenario, TRAINER)
    health_user(True)
    assert runner.do_next_step(run.id, scenario, TRAINER) == health
    assert timedelta(hours=2) <= now() - before < timedelta(hours=2, minutes=1)
