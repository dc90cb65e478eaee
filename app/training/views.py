"""/training: the trainer's scenario library and controls (only with MASH_TRAINING=1), and the token
simulation of any deployed process (in every mode: it touches no case)."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.audit.operations import record
from app.core.calendar import london
from app.core.clock import now
from app.core.config import PROJECT_ROOT
from app.core.db import get_db
from app.core.errors import OperationError
from app.maps.steps import locate, processes_in
from app.process_models.registry import ENTRY_PROCESS
from app.training import runner
from app.training.models import TrainingRun
from app.training.scenarios import SCENARIOS_DIR, LibraryEntry, load_library, load_scenario
from app.training.simulation_tables import table_trials
from app.web.refusals import on_refusal
from app.web.security import allow_diagram_styles

bp = Blueprint("training", __name__, template_folder="templates")

#: Endpoints that work outside the training sandbox (they read diagrams, never cases).
_ANY_MODE = frozenset({"training.simulation"})


@bp.record_once
def _configure(state) -> None:
    """The nav shows "Training" only in the sandbox; MASH_SCENARIOS_DIR may point at a council's own library."""
    app = state.app
    app.jinja_env.globals["training_mode"] = app.config["MASH_SETTINGS"].training
    app.config.setdefault("MASH_SCENARIOS_DIR", os.environ.get("MASH_SCENARIOS_DIR") or str(SCENARIOS_DIR))


@bp.before_request
def _training_only() -> None:
    # Runs after the authorisation table's check: outside the sandbox a trainer gets 404, police 403 as anywhere.
    if request.endpoint not in _ANY_MODE and not current_app.config["MASH_SETTINGS"].training:
        abort(404)


def _directory() -> Path:
    return Path(current_app.config["MASH_SCENARIOS_DIR"])


def _scenario_entry(scenario_id: str) -> LibraryEntry:
    entry = load_scenario(get_db().session, _directory(), scenario_id, now())
    if entry is None:
        abort(404)
    return entry


# ----------------------------------------------------------------------------- the library
@bp.get("/training")
def index():
    session = get_db().session
    library = load_library(session, _directory(), now())
    runs = runner.active_runs(session)
    directory = _directory()
    shown = directory.relative_to(PROJECT_ROOT) if directory.is_relative_to(PROJECT_ROOT) else directory
    return render_template("training/index.html", library=library, runs=runs, directory=f"{shown}/",
                           titles={entry.id: entry.title for entry in library},
                           running={run.scenario_id: run for run, _case in runs},
                           clock_now=now(), entry_process=ENTRY_PROCESS)


@bp.post("/training/scenarios/<scenario_id>/start")
def start(scenario_id: str):
    entry = _scenario_entry(scenario_id)
    if entry.scenario is None:
        flash(f"“{entry.title}” cannot start: fix the problems listed with it first.", "info")
        return redirect(url_for("training.index"))
    running = runner.active_run(get_db().session, scenario_id)
    if running is not None:
        flash("This scenario is already running: carry on with it, or reset it to start again.", "info")
        return redirect(url_for("training.run", run_id=running.id))
    def not_started(refusal: OperationError) -> ResponseReturnValue:
        flash(f"“{entry.title}” could not start: {refusal.message}", "info")
        return redirect(url_for("training.index"))

    on_refusal(not_started)
    run = runner.begin(entry.scenario, g.actor)
    flash(f"“{entry.title}” has started: the contact is in the hub.", "success")
    return redirect(url_for("training.run", run_id=run.id))


# ----------------------------------------------------------------------------- one run
def _run_or_404(run_id: int) -> TrainingRun:
    run = get_db().session.get(TrainingRun, run_id)
    if run is None:
        abort(404)
    return run


def _run_page(run_id: int, errors: list[dict] | None = None):
    db = get_db()
    run = _run_or_404(run_id)
    entry = load_scenario(db.session, _directory(), run.scenario_id, now())
    scenario = entry.scenario if entry else None
    state = runner.run_state(db.session, run, scenario)
    record(db.session, g.actor, "case.viewed", case_id=run.case_id, details={"page": "training-run", "run_id": run.id})
    newer = runner.active_run(db.session, run.scenario_id) if run.reset_at is not None else None
    return render_template("training/run.html", run=run, entry=entry, scenario=scenario, state=state,
                           case=state.case, errors=errors or [], clock_choices=runner.CLOCK_CHOICES,
                           newer=newer, reset_closure=runner.RESET_CLOSURE, clock_now=now())


@bp.get("/training/runs/<int:run_id>")
def run(run_id: int):
    return _run_page(run_id)


def _runnable(run_id: int):
    """The run and its sound scenario, or the run page with the reason it cannot step."""
    run = _run_or_404(run_id)
    entry = load_scenario(get_db().session, _directory(), run.scenario_id, now())
    if entry is None or entry.scenario is None:
        return run, None, _run_page(run_id, [{"text": "The scenario file is missing or has problems: fix it on the "
                                                      "library page first.", "href": "#scenario"}])
    return run, entry.scenario, None


def _refused(run_id: int, refusal: OperationError, href: str) -> ResponseReturnValue:
    messages = refusal.errors if isinstance(refusal, runner.StepRefused) else [refusal.message]
    return _run_page(run_id, [{"text": text, "href": href} for text in messages])


def _refusals_on_run_page(run_id: int, href: str) -> None:
    """A step the script cannot take is said on the run page's error summary, linked to the button."""
    on_refusal(lambda refusal: _refused(run_id, refusal, href))


@bp.post("/training/runs/<int:run_id>/step")
def step(run_id: int):
    run, scenario, page = _runnable(run_id)
    if page is not None:
        return page
    _refusals_on_run_page(run_id, "#next-step")
    done = runner.do_next_step(run.id, scenario, g.actor)
    flash(f"Step {done.number} done: “{done.name}” as {done.username}.", "success")
    return redirect(url_for("training.run", run_id=run_id))


@bp.post("/training/runs/<int:run_id>/run-to")
def run_to(run_id: int):
    run, scenario, page = _runnable(run_id)
    if page is not None:
        return page
    raw = request.form.get("target", "")
    if not raw.isdigit():
        return _run_page(run_id, [{"text": "Choose the step to run to", "href": "#target"}])
    def stopped(refusal: OperationError) -> ResponseReturnValue:
        if isinstance(refusal, runner.StepRefused) and refusal.done:
            flash(f"Steps {refusal.done[0].number} to {refusal.done[-1].number} done, then it stopped.", "info")
        return _refused(run_id, refusal, "#target")

    on_refusal(stopped)
    done = runner.run_to(run.id, scenario, int(raw), g.actor)
    if done:
        flash(f"Steps {done[0].number} to {done[-1].number} done.", "success")
    return redirect(url_for("training.run", run_id=run_id))


@bp.post("/training/runs/<int:run_id>/clock")
def move_clock(run_id: int):
    _run_or_404(run_id)
    choice = request.form.get("move", "")
    _refusals_on_run_page(run_id, "#move-clock")
    moved = runner.move_clock_for(run_id, choice, g.actor)
    if moved is None:
        flash("That time has already come: the clock did not move.", "info")
    else:
        flash(f"The training clock moved to {london(moved)}. Timers that fell due have fired.", "success")
    return redirect(url_for("training.run", run_id=run_id))


@bp.post("/training/runs/<int:run_id>/reset")
def reset(run_id: int):
    run, scenario, page = _runnable(run_id)
    if page is not None:
        return page
    _refusals_on_run_page(run_id, "#reset")
    fresh = runner.begin(scenario, g.actor, run_id=run.id)
    flash("The scenario has started again on a new contact. The earlier contact is closed and its audit entries "
          "stay.", "success")
    return redirect(url_for("training.run", run_id=fresh.id))


# ----------------------------------------------------------------------------- token simulation
@bp.get("/training/simulation/<process_id>")
def simulation(process_id: str):
    """The diagram with token simulation: a class follows the flow with no case at all."""
    place = locate(get_db().session, process_id)
    if place is None:
        abort(404)
    version, filename = place.version, place.diagram.file
    others = sorted(pid for pid, _name in processes_in(version) if pid != process_id)
    allow_diagram_styles()
    diagram_url = url_for("process_models.diagram", process_id=version.process_id, version=version.version,
                          filename=filename)
    map_args = {"process_id": process_id, "version": version.version,
                "root": version.process_id if version.process_id != process_id else None}
    return render_template("training/simulation.html", process_id=process_id, version=version,
                           diagram_url=diagram_url, others=others, map_args=map_args,
                           tables=table_trials(place, request.args))
