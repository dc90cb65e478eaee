"""Tasks in the JSON API: the caller's inbox, one task with its form, and completing it."""
from __future__ import annotations

from flask import g, jsonify, request

from app.api import bp, json_body
from app.api.errors import refusal
from app.api.openapi import responses
from app.audit.operations import record
from app.auth.authorisation import TASK_ROLES
from app.cases.models import Case
from app.casework.completion import AnswersHeld, form_for_task, submit_task
from app.casework.detail import case_detail, case_summary, summary_of_case
from app.casework.threshold import screening_suggestion
from app.core.clock import now
from app.core.db import get_db
from app.core.errors import NeedToKnow
from app.core.vocabulary import FEEDBACK_FORM, SCREENING_FORM
from app.inbox.queries import inbox_for, open_task_with_its_case_tasks
from app.sharing.sending import sending_view


@bp.get("/tasks")
def list_tasks():
    items = inbox_for(get_db().session, g.actor.roles & TASK_ROLES)
    at = now()
    return jsonify([{"task_id": i.task_id, "case_id": i.case_id, "reference": i.reference, "name": i.name,
                     "role": i.role, "due_at": i.due_at.isoformat() if i.due_at else None,
                     "at_risk_at": i.at_risk_at.isoformat() if i.at_risk_at else None,
                     "deadline_state": i.deadline_state(at), "rag": i.rag,
                     "claimed_by": i.claimed_by} for i in items])


@bp.get("/tasks/<task_id>")
def get_task(task_id: str):
    db = get_db()
    task = open_task_with_its_case_tasks(db.session, task_id)  # its case's answer shows the others
    if task is None:
        return refusal(404, "There is no open task with this id.")
    if task.role not in g.actor.roles:
        return refusal(403, "This task belongs to another role.")
    record(db.session, g.actor, "task.viewed", case_id=task.case_id, task_id=task_id, details={"via": "api"})
    detail = case_detail(db.session, task.case_id, g.actor, for_answer=True)
    if detail is None:
        return refusal(404, "There is no open task with this id.")
    form = form_for_task(db.session, task, detail.case)
    answer = {"task_id": task.task_id, "case_id": task.case_id, "name": task.name, "role": task.role,
              "element_id": task.bpmn_id, "due_at": task.due_at.isoformat() if task.due_at else None,
              "claimed_by": task.claimed_by, "form_key": task.form_key, "form": form.schema,
              "case": case_summary(db.session, detail)}
    if task.form_key == SCREENING_FORM:  # the threshold's suggestion for ?presenting_factors=... (none: for none)
        answer["threshold"] = screening_suggestion(db.session, detail.case,
                                                   request.args.getlist("presenting_factors")).as_json()
    if task.form_key == FEEDBACK_FORM:  # what business support sends: the decision maker's sharing decision
        sending = sending_view(db.session, detail.case, detail.sight, now())
        if sending is not None:
            answer["sending"] = sending.as_json()
    return jsonify(answer)


@bp.post("/tasks/<task_id>/complete")
def complete(task_id: str):
    body = json_body()
    outcome = submit_task(task_id, body, g.actor)
    if isinstance(outcome, AnswersHeld):
        response = jsonify({"incident_id": outcome.incident_id, "case_id": outcome.case_id, "message": outcome.message})
        response.status_code = 202
        return response
    return jsonify(_case_after(outcome.id))


def _case_after(case_id: int) -> dict:
    """The case after a completed step, as the person who completed it may see it. Completing the step may
    end their agency's part, so a case they no longer see is answered with its id and reference only."""
    session = get_db().session
    try:
        return summary_of_case(session, case_id, g.actor)
    except NeedToKnow:
        case = session.get_one(Case, case_id)
        return {"case_id": case.id, "reference": case.reference, "status": case.status}


#: The 202 answer of POST /tasks/{task_id}/complete when the process failed after the step.
HELD = {"type": "object", "required": ["incident_id", "case_id", "message"], "properties": {
    "incident_id": {"type": "integer"}, "case_id": {"type": "integer"}, "message": {"type": "string"}}}


def openapi_paths() -> dict[str, dict]:
    task_id = {"name": "task_id", "in": "path", "required": True, "schema": {"type": "string"}}
    return {
        "/api/v1/tasks": {"get": {
            "summary": "The caller's inbox, soonest to breach first (tasks without a deadline last, oldest first)",
            "operationId": "listTasks",
            "responses": responses({"200": {"description": "Open tasks of the caller's roles", "content": {
                "application/json": {"schema": {"type": "array", "items": {"type": "object", "properties": {
                    "task_id": {"type": "string"}, "case_id": {"type": "integer"}, "name": {"type": "string"},
                    "role": {"type": "string"}, "due_at": {"type": ["string", "null"]},
                    "at_risk_at": {"type": ["string", "null"]},
                    "deadline_state": {"type": ["string", "null"],
                                       "enum": ["on-track", "at-risk", "breached", None]},
                    "rag": {"type": ["string", "null"]}}}}}}}}, 401, 403)}},
        "/api/v1/tasks/{task_id}": {"get": {
            "summary": "A task with its form (JSON Schema)", "operationId": "getTask", "parameters": [task_id, {
                "name": "presenting_factors", "in": "query", "required": False, "style": "form", "explode": True,
                "description": "Screening tasks: the factors to show the threshold's suggestion for",
                "schema": {"type": "array", "items": {"type": "string"}}}],
            "responses": responses({"200": {"description": "The task", "content": {"application/json": {
                "schema": {"type": "object", "required": ["task_id", "form"], "properties": {
                    "task_id": {"type": "string"}, "form": {"type": "object"},
                    "threshold": {"type": "object", "description": (
                        "Screening tasks only: the threshold table's suggestion for the factors given as "
                        "?presenting_factors= (repeat it for each), or why it is unavailable; a different rating "
                        "needs rag_override_reason"), "properties": {
                            "suggested_rag": {"type": ["string", "null"]},
                            "suggested_rule": {"type": ["string", "null"]},
                            "rule_number": {"type": ["integer", "null"]},
                            "unavailable": {"type": ["string", "null"]}}},
                    "sending": {"type": "object", "description": (
                        "Feedback tasks only: the decision maker's sharing decision business support sends "
                        "(null when the case has none and the form asks it) and each recipient's product"),
                        "properties": {"sharing_decision": {"type": ["object", "null"]},
                                       "products": {"type": "array", "items": {"type": "object"}}}}}}}}}},
                401, 403, 404)}},
        "/api/v1/tasks/{task_id}/complete": {"post": {
            "summary": "Complete a task with its form data", "operationId": "completeTask", "parameters": [task_id],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
            "responses": responses({"200": {"description": "The case after the step", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Case"}}}},
                "202": {"description": "The answers are held, but the process failed after this step: an "
                                       "incident was raised for managers, who retry it once the diagram is fixed",
                        "content": {"application/json": {"schema": HELD}}}},
                400, 401, 403, 404, 409, 413, 422)}},
    }
