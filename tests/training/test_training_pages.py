"""The trainer's pages in the sandbox: start a scenario, step it, run it to a step, move the clock, reset.
Outside the sandbox the pages are not there; in it, only trainers and admins may use them."""
from __future__ import annotations

import re
import shutil
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import create_app
from app.audit.models import AuditEvent
from app.cases.models import Case, CompletedTask
from app.core.clock import now
from app.inbox.models import OpenTask
from app.training.models import TrainingRun
from app.training.scenarios import SCENARIOS_DIR
from tests import factories as f
from tests.api.test_referral_walks import complete
from tests.conftest import WebClient
from tests.training.sandbox import live_database, training_settings


@pytest.fixture
def settings(settings):
    return training_settings(settings)


def start(trainer, scenario_id: str) -> int:
    response = trainer.post_form(f"/training/scenarios/{scenario_id}/start", {}, csrf_from="/training")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return int(re.search(r"/training/runs/(\d+)$", response.headers["Location"]).group(1))


def post(trainer, run_id: int, action: str, data: dict | None = None):
    return trainer.post_form(f"/training/runs/{run_id}/{action}", data or {}, csrf_from=f"/training/runs/{run_id}")


def the_run(db, run_id: int) -> tuple[TrainingRun, Case, list[str]]:
    with db.unit_of_work(write=False) as session:
        run = session.get(TrainingRun, run_id)
        case = session.get(Case, run.case_id)
        done = session.scalars(select(CompletedTask.bpmn_id).where(CompletedTask.case_id == case.id)
                               .order_by(CompletedTask.completed_at)).all()
        return run, case, list(done)


def open_steps(db, case_id: int) -> set[str]:
    with db.unit_of_work(write=False) as session:
        return set(session.scalars(select(OpenTask.bpmn_id).where(OpenTask.case_id == case_id)))


def test_the_library_lists_each_scenario_with_its_path_and_steps(web):
    page = web("trainer").get("/training").get_data(as_text=True)
    assert "Amber: three agency checks, police back late, re-rated Red" in page
    assert "Screen the contact → Check health records → Check education records → Chase overdue police check" in page
    assert "A referrer&#39;s &#39;immediate risk&#39; is a flag" in page
    assert 'href="/training"' in page and ">Training<" in page  # the nav entry, in the sandbox only
    assert "Broken" not in page
    assert 'Start<span class="govuk-visually-hidden"> Blue: advice only, no further action</span>' in page


def test_a_trainer_starts_a_scenario_and_steps_it_one_task_at_a_time(db, web):
    trainer = web("trainer")
    run_id = start(trainer, "green-early-help")
    _run, case, done = the_run(db, run_id)
    assert done == [] and open_steps(db, case.id) == {"screening"}
    page = trainer.get(f"/training/runs/{run_id}").get_data(as_text=True)
    assert "Step 1 of 7: Screen the contact" in page
    assert "<strong>Say to the class:</strong> Green: three working days" in page
    assert case.reference in page

    response = post(trainer, run_id, "step")
    assert response.status_code == 302
    _run, case, done = the_run(db, run_id)
    assert done == ["screening"] and case.rag == "green"
    assert open_steps(db, case.id) == {"health_check", "education_check"}
    page = trainer.get(f"/training/runs/{run_id}").get_data(as_text=True)
    assert "Step 1 done: “Screen the contact” as mash-manager." in page
    assert "Step 2 of 7: Check health records" in page and "First the clock moves forward 1 day" in page


def test_run_to_a_step_does_every_step_before_it(db, web):
    trainer = web("trainer")
    run_id = start(trainer, "green-early-help")
    assert post(trainer, run_id, "run-to", {"target": "5"}).status_code == 302
    _run, case, done = the_run(db, run_id)
    assert done == ["screening", "health_check", "education_check", "mash_review"]
    assert open_steps(db, case.id) == {"decision"}
    assert post(trainer, run_id, "run-to", {"target": "8"}).status_code == 302  # the step-down is step 7
    _run, case, done = the_run(db, run_id)
    assert case.status == "closed" and case.outcome == "early-help"
    assert "The case ended as the scenario expects" in trainer.get(f"/training/runs/{run_id}").get_data(as_text=True)


@pytest.mark.parametrize(("target", "message"), [("", "Choose the step to run to"),
                                             ("1", "Step 1 is done or next already: choose a later step"),
                                             ("99", "Choose a step of this scenario to run to")])
def test_a_run_to_that_makes_no_sense_shows_an_error_summary(db, web, target, message):
    trainer = web("trainer")
    run_id = start(trainer, "blue-advice")
    response = post(trainer, run_id, "run-to", {"target": target})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "govuk-error-summary" in page and message in page
    assert the_run(db, run_id)[2] == []


def test_trainees_do_steps_from_their_inboxes_and_the_script_carries_on_from_there(db, web, api):
    trainer = web("trainer")
    run_id = start(trainer, "blue-advice")
    case_id = the_run(db, run_id)[1].id
    complete(api, case_id, "screening", "mash-manager", f.screening("blue", []))
    page = trainer.get(f"/training/runs/{run_id}").get_data(as_text=True)
    assert "Step 2 of 2: Send feedback to the referrer" in page
    assert post(trainer, run_id, "step").status_code == 302
    assert the_run(db, run_id)[1].status == "closed"


def test_a_step_that_left_the_script_is_refused_with_the_reason(db, web, api):
    trainer = web("trainer")
    run_id = start(trainer, "blue-advice")
    case_id = the_run(db, run_id)[1].id
    complete(api, case_id, "screening", "mash-manager", f.screening("amber", ["police"]))  # not what the script says
    page = trainer.get(f"/training/runs/{run_id}").get_data(as_text=True)
    assert "is not open on the case, so the script cannot carry on from here" in page
    response = post(trainer, run_id, "step")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "govuk-error-summary" in body and "Step 2, “Send feedback to the referrer”, is not open on the case" in body
    assert "Check police records" in body


def test_moving_the_clock_to_the_next_deadline_fires_the_late_checks(db, web):
    trainer = web("trainer")
    run_id = start(trainer, "amber-police-late")
    post(trainer, run_id, "step")  # screening: three checks requested, each due in one working day
    case_id = the_run(db, run_id)[1].id
    before = now()
    response = post(trainer, run_id, "clock", {"move": "next-deadline"})
    assert response.status_code == 302
    assert now() - before >= timedelta(hours=1)
    assert {"chase_police_check", "chase_health_check", "chase_education_check"} <= open_steps(db, case_id)
    page = trainer.get(f"/training/runs/{run_id}").get_data(as_text=True)
    assert "Breached" in page and "Timers that fell due have fired" in page
    with db.unit_of_work(write=False) as session:
        moved = session.scalars(select(AuditEvent.details).where(AuditEvent.action == "clock.moved")).all()
    assert moved and moved[-1]["via"] == "training" and "set" in moved[-1]


def test_the_clock_buttons_move_time_forward_and_an_unknown_move_is_refused(web):
    trainer = web("trainer")
    run_id = start(trainer, "blue-advice")
    before = now()
    assert post(trainer, run_id, "clock", {"move": "PT4H"}).status_code == 302
    assert timedelta(hours=4) <= now() - before < timedelta(hours=4, minutes=1)
    response = post(trainer, run_id, "clock", {"move": "back-to-yesterday"})
    assert response.status_code == 200 and "Choose how far to move the clock" in response.get_data(as_text=True)
    assert now() - before < timedelta(hours=4, minutes=1)


def test_reset_closes_the_contacts_keeps_the_audit_trail_and_starts_again(db, web):
    trainer = web("trainer")
    run_id = start(trainer, "already-open")
    old_run, old_case, _ = the_run(db, run_id)
    earlier = old_run.earlier_case_ids
    assert len(earlier) == 1 and old_case.linked_case_id == earlier[0]
    with db.unit_of_work(write=False) as session:
        trail_before = session.scalar(select(func.count()).select_from(AuditEvent)
                                      .where(AuditEvent.case_id == old_case.id))
    response = post(trainer, run_id, "reset")
    assert response.status_code == 302
    new_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert new_id != run_id
    with db.unit_of_work(write=False) as session:
        for case_id in (old_case.id, *earlier):
            closed = session.get(Case, case_id)
            assert (closed.status, closed.closure) == ("closed", "training-reset")
            assert session.scalar(select(func.count()).select_from(OpenTask).where(OpenTask.case_id == case_id)) == 0
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == old_case.id)).all()
        assert len(actions) > trail_before and "training.reset" in actions
        assert session.get(TrainingRun, run_id).reset_at is not None
    new_run, new_case, done = the_run(db, new_id)
    assert new_case.id != old_case.id and done == [] and new_case.status == "open"
    # The new contact about the same child is linked to the new earlier contact, not the closed one.
    assert new_case.linked_case_id == new_run.earlier_case_ids[0]
    old_page = trainer.get(f"/training/runs/{run_id}").get_data(as_text=True)
    assert "This run was reset" in old_page and f"/training/runs/{new_id}" in old_page
    assert post(trainer, run_id, "step").status_code == 200  # a reset run cannot step


def test_starting_a_running_scenario_goes_to_its_run(web):
    trainer = web("trainer")
    run_id = start(trainer, "blue-advice")
    response = trainer.post_form("/training/scenarios/blue-advice/start", {}, csrf_from="/training")
    assert response.headers["Location"].endswith(f"/training/runs/{run_id}")


def test_viewing_a_run_is_audited_as_a_view_of_the_case(db, web):
    trainer = web("trainer")
    run_id = start(trainer, "blue-advice")
    trainer.get(f"/training/runs/{run_id}")
    case_id = the_run(db, run_id)[1].id
    with db.unit_of_work(write=False) as session:
        views = session.scalars(select(AuditEvent.details).where(AuditEvent.case_id == case_id,
                                                                 AuditEvent.action == "case.viewed")).all()
    assert {"page": "training-run", "run_id": run_id} in views


def test_a_broken_scenario_file_is_listed_as_broken_and_cannot_start(app, web, tmp_path):
    shutil.copy(SCENARIOS_DIR / "blue-advice.toml", tmp_path / "blue-advice.toml")
    broken = (SCENARIOS_DIR / "blue-advice.toml").read_text().replace('step = "screening"', 'step = "screen"')
    (tmp_path / "broken-blue.toml").write_text(broken.replace('title = "', 'title = "Broken copy: '))
    app.config["MASH_SCENARIOS_DIR"] = str(tmp_path)
    trainer = web("trainer")
    page = trainer.get("/training").get_data(as_text=True)
    assert "Broken copy: Blue" in page and "Broken</strong>" in page
    assert "Step 1 (line" in page and "&#39;screen&#39; is not a user task of the diagram" in page
    assert "Blue: advice only, no further action" in page
    response = trainer.post_form("/training/scenarios/broken-blue/start", {}, csrf_from="/training")
    assert response.status_code == 302 and response.headers["Location"].endswith("/training")
    assert trainer.post_form("/training/scenarios/no-such-scenario/start", {}, csrf_from="/training").status_code == 404


def test_only_trainers_and_admins_use_the_sandbox(web):
    run_id = start(web("trainer"), "blue-advice")
    police = web("police")
    assert police.get("/training").status_code == 403
    assert police.get(f"/training/runs/{run_id}").status_code == 403
    assert police.post_form(f"/training/runs/{run_id}/step", {}, csrf_from="/inbox").status_code == 403
    assert web("admin").get(f"/training/runs/{run_id}").status_code == 200
    assert web("trainer").get("/training/runs/999999").status_code == 404


def test_outside_the_sandbox_the_pages_are_not_there_but_the_simulation_is(settings, sqlite_template, tmp_path):
    live = create_app(replace(settings, training=False, database_url=live_database(sqlite_template, tmp_path / "live")))
    live.config.update(TESTING=True)
    trainer = WebClient(live, "trainer")
    assert trainer.get("/training").status_code == 404
    assert trainer.get("/training/runs/1").status_code == 404
    assert trainer.client.post("/training/scenarios/blue-advice/start",
                               data={"csrf_token": trainer.csrf("/login")}).status_code == 404
    home = trainer.get("/maps").get_data(as_text=True)
    assert 'href="/training"' not in home
    page = trainer.get("/training/simulation/referral")
    assert page.status_code == 200 and "token simulation needs JavaScript" in page.get_data(as_text=True)
    assert trainer.get("/training/simulation/strategy_discussion").status_code == 200
    assert trainer.get("/training/simulation/no_such_process").status_code == 404
    assert WebClient(live, "referrer").get("/training/simulation/referral").status_code == 403


def test_in_the_sandbox_trainers_start_on_the_scenario_library(web):
    assert web("trainer").get("/").headers["Location"] == "/training"
    assert web("police").get("/").headers["Location"] == "/inbox"
