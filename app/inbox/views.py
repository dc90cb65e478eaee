"""The inbox: each role's open tasks, claiming them, and the task page where a step is done."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from app.audit.operations import record
from app.auth.authorisation import RETURNS_READERS, TASK_ROLES
from app.cases.models import CompletedTask
from app.casework.completion import AnswersHeld, form_for_task, submit_task
from app.casework.detail import CaseDetail, case_detail
from app.casework.threshold import screening_suggestion
from app.concerns.repeats import screening_view
from app.core.clock import now
from app.core.codes import CHILD_ROLES
from app.core.db import get_db, run_in_transaction
from app.core.errors import Conflict, FieldError, Forbidden, NotFound
from app.core.vocabulary import DECISION_FORM, FEEDBACK_FORM, MASH_REVIEW_FORM, SCREENING_FORM
from app.forms import parse_html
from app.inbox import operations
from app.inbox.filtering import (
    DUE_STATES,
    SORTS,
    InboxFilter,
    inbox_page,
    page_number,
    read_inbox_filter,
    steps_waiting,
)
from app.inbox.models import OpenTask
from app.inbox.queries import open_task
from app.incidents.queries import held_task_ids, open_task_incident
from app.people.queries import case_match_summary
from app.people.views import case_proposals
from app.process_models.models import ProcessVersion
from app.process_models.registry import compiled_by_id
from app.sharing.sending import sending_view
from app.web.refusals import go_back_to, read_form

bp = Blueprint("inbox", __name__, template_folder="templates")


@bp.get("/inbox")
def index() -> ResponseReturnValue:
    """The reader's roles' open tasks, filtered and sorted by the GET form above the table (no JavaScript), fifty a
    page with GOV.UK pagination that keeps the filters."""
    session = get_db().session
    roles = g.actor.roles & TASK_ROLES
    wanted, errors = read_inbox_filter(request.args)
    steps = steps_waiting(session, roles)
    shown = inbox_page(session, roles, wanted, g.actor.user_id, now(), page_number(request.args.get("page")),
                       steps=steps)
    items = shown.items
    args: dict[str, Any] = {key: value for key, value in request.args.items() if key != "page" and value}
    return render_template("inbox/index.html", items=items, held=held_task_ids(session, [i.task_id for i in items]),
                           wanted=wanted, errors=errors, filter_form=filter_form(wanted, tuple(steps), errors),
                           sorts=SORTS, shown=shown,
                           page_url=lambda number: url_for("inbox.index", **args, **({"page": number} if number > 1
                                                                                       else {})))


def filter_form(wanted: InboxFilter, steps: tuple[str, ...], errors: list[FieldError]) -> Markup:
    """The inbox's filter form (inbox/_filters.html) for these filters, step names and errors. Its HTML depends on
    nothing else (it is a GET form: no CSRF token, nobody's name), so the forms made are kept and handed out again:
    GOV.UK Frontend's select macros cost more than rendering the page's fifty rows. Not kept while templates reload
    (development), so an edited template shows at once."""
    shown = tuple((error.field, error.message) for error in errors)
    if current_app.jinja_env.auto_reload:
        return _render_filter_form(wanted, steps, shown, request.script_root)
    return _kept_filter_form(wanted, steps, shown, request.script_root)


def _render_filter_form(wanted: InboxFilter, steps: tuple[str, ...], errors: tuple[tuple[str | None, str], ...],
                        _script_root: str) -> Markup:
    """``_script_root`` is where the hub is mounted: the form's links start with it."""
    html = render_template("inbox/_filters.html", wanted=wanted, steps=steps, due_states=DUE_STATES, sorts=SORTS,
                           errors=[FieldError(field, message) for field, message in errors])
    return Markup(html)  # noqa: S704  (the output of an autoescaping template: every value in it is escaped)


_kept_filter_form = lru_cache(maxsize=256)(_render_filter_form)


#: Steps that weigh the agency returns: the returns are read in the page's main column, stacked.
WEIGHS_RETURNS = frozenset({MASH_REVIEW_FORM, DECISION_FORM})

#: The button a choice's "Continue" sends without JavaScript (app/templates/forms/fields.html).
REVEAL_BUTTON = "mash-reveal"
#: The screening page's "Check the threshold" button: the page again with the suggestion for the ticked factors.
THRESHOLD_BUTTON = "mash-threshold"


@dataclass(frozen=True)
class WhatWasFound:
    """What the task page puts before the form at a review or decision: the agency returns, and at the decision
    the review's analysis and the RAG history. All of it comes from the case detail, which holds only what the
    reader may see (app.need_to_know), so a template cannot show more than the reader's sight."""

    returns: bool
    review: CompletedTask | None
    analysis: str | None
    rerated: bool
    rag_history: bool


def _what_was_found(detail: CaseDetail, form_key: str) -> WhatWasFound:
    review = detail.completed(MASH_REVIEW_FORM) if form_key == DECISION_FORM else None
    return WhatWasFound(
        returns=bool(detail.returns) or (form_key in WEIGHS_RETURNS and bool(detail.sight.all_returns)),
        review=review,
        analysis=(review.data or {}).get("analysis") if review else None,
        rerated=bool(review and (review.data or {}).get("rerate") == "yes"),
        rag_history=form_key in WEIGHS_RETURNS and detail.sight.shows("analysis"),
    )


def _task_page(task_id: str, values: dict, errors: list) -> ResponseReturnValue:
    db = get_db()
    task = open_task(db.session, task_id)
    if task is None:
        abort(404)
    if task.role not in g.actor.roles:
        raise Forbidden("This task belongs to another role.")
    detail = case_detail(db.session, task.case_id, g.actor)
    if detail is None:
        abort(404)
    definition = compiled_by_id(db.session, detail.case.process_version_id)
    info = definition.user_tasks.get((task.process_id, task.bpmn_id))
    record(db.session, g.actor, "task.viewed", case_id=task.case_id, task_id=task.task_id, element_id=task.bpmn_id)
    reads_returns = bool(g.actor.roles & RETURNS_READERS)
    return render_template("inbox/task.html", task=task, detail=detail,
                           form=form_for_task(db.session, task, detail.case),
                           on_the_map=_on_the_map(db.session.get_one(ProcessVersion, detail.case.process_version_id),
                                                  task),
                           sending=sending_view(db.session, detail.case, detail.sight, now())
                           if task.form_key == FEEDBACK_FORM else None,
                           documentation=info.documentation if info else None, values=values, errors=errors,
                           child_roles=CHILD_ROLES,  # a form with links numbers the children (app/people/reported.py)
                           found=_what_was_found(detail, task.form_key),
                           incident=open_task_incident(db.session, task_id),
                           person_matches=case_match_summary(db.session, task.case_id)
                           if task.form_key == SCREENING_FORM and reads_returns else None,
                           threshold=screening_suggestion(db.session, detail.case, values.get("presenting_factors"))
                           if task.form_key == SCREENING_FORM else None,
                           repeat_concerns=screening_view(db.session, detail.case, matches=case_proposals(detail.case))
                           if task.form_key in (SCREENING_FORM, MASH_REVIEW_FORM, DECISION_FORM) and reads_returns
                           else None)


def _on_the_map(version: ProcessVersion, task: OpenTask) -> str:
    """The step on the process map of the case's own version (the page shows it to those who read maps)."""
    return url_for("maps.process_map", process_id=task.process_id, step=task.bpmn_id, version=version.version,
                   root=version.process_id if version.process_id != task.process_id else None)


@bp.get("/tasks/<task_id>")
def task(task_id: str) -> ResponseReturnValue:
    return _task_page(task_id, {}, [])


@bp.post("/tasks/<task_id>")
def submit(task_id: str) -> ResponseReturnValue:
    db = get_db()
    task_row = open_task(db.session, task_id)
    if task_row is None:
        flash("This task has already been completed or is no longer needed.", "info")
        return redirect(url_for("inbox.index"))
    task_name = task_row.name
    go_back_to(url_for("inbox.index"), Conflict, NotFound)
    form = form_for_task(db.session, task_row)
    if THRESHOLD_BUTTON in request.form:  # the threshold's suggestion for the factors ticked: nothing is completed
        shown, _ = parse_html(form, request.form)
        return _task_page(task_id, shown, [])
    if REVEAL_BUTTON in request.form:  # without JavaScript: the page again, asking what the answers so far need
        shown, _ = parse_html(form, request.form)
        return _task_page(task_id, shown, [])
    values = read_form(form, lambda values, errors: _task_page(task_id, values, errors))
    outcome = submit_task(task_id, values, g.actor)
    if isinstance(outcome, AnswersHeld):
        flash(outcome.message, "info")
        return redirect(url_for("inbox.index"))
    flash(f"{task_name} completed for {outcome.reference}.", "success")
    return redirect(url_for("inbox.index"))


@bp.post("/tasks/<task_id>/claim")
def claim(task_id: str) -> ResponseReturnValue:
    return _claim_action(operations.claim, task_id, "You have claimed this task.")


@bp.post("/tasks/<task_id>/unclaim")
def unclaim(task_id: str) -> ResponseReturnValue:
    return _claim_action(operations.unclaim, task_id, "You have released this task.")


def _claim_action(action: Callable[..., OpenTask], task_id: str, done: str) -> ResponseReturnValue:
    target = url_for("inbox.task", task_id=task_id) if request.form.get("next") == "task" else url_for("inbox.index")
    go_back_to(target, Conflict, NotFound, Forbidden)
    run_in_transaction(action, task_id, g.actor)
    flash(done, "success")
    return redirect(target)
