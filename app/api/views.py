from __future__ import annotations

from flask import Blueprint, abort, current_app, g, jsonify, request, url_for
from sqlalchemy.exc import IntegrityError

from app.api.openapi import openapi_document
from app.audit.operations import record
from app.audit.queries import audit_entries, entry_json, parse_filter
from app.auth.authorisation import TASK_ROLES
from app.cases.operations import form_for_task, rerate
from app.cases.queries import case_detail, case_for_referrer, case_summary, referrer_view
from app.core.clock import now
from app.core.db import get_db, run_in_transaction
from app.core.errors import FieldError, OperationError, ValidationFailed
from app.deadlines.scheduler import wake_scheduler
from app.deadlines.training_clock import set_training_clock
from app.engine import DefinitionError
from app.inbox.queries import inbox_for, open_task
from app.incidents.api import incident_json
from app.incidents.operations import IncidentRaised, complete_or_raise_incident, give_task_back, retry_incident
from app.incidents.queries import raised_incidents
from app.intake.operations import find_by_idempotency_key, receive_contact
from app.maps.api import case_trail_json
from app.people.api import person_document
from app.process_models import api as process_models
from app.process_models.compare import compare, comparison_json
from app.process_models.views import uploaded_files
from app.reports.api import mi_dataset_rows
from app.reports.dataset import csv_text as mi_csv
from app.retention.subject_access import export_subject_access, person_from_request
from app.sharing.api import list_sharing_decisions as sharing_decisions

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _errors(status: int, errors: list[dict]):
    response = jsonify({"errors": errors})
    response.status_code = status
    return response


@bp.errorhandler(OperationError)
def _operation_error(error: OperationError):
    if isinstance(error, ValidationFailed):
        return _errors(422, [{"field": e.field, "message": e.message} for e in error.errors])
    return _errors(error.status, [{"field": None, "message": error.message}])


def _json_body() -> dict:
    if not request.is_json:
        raise OperationError("Send the body as JSON with Content-Type: application/json.")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed([FieldError(None, "The body must be a JSON object.")])
    return body


def _summary(case_id: int) -> dict:
    return case_summary(case_detail(get_db().session, case_id))


@bp.post("/contacts")
def create_contact():
    body = _json_body()
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (0 < len(key) <= 200):
        raise ValidationFailed([FieldError("Idempotency-Key", "The Idempotency-Key header must be 1 to 200 characters")])
    try:
        case, _created = run_in_transaction(receive_contact, body, g.actor, channel="api", idempotency_key=key)
    except IntegrityError:
        # The same key arrived twice at once: the first request won; answer with its case.
        case = find_by_idempotency_key(get_db().session, g.actor, key) if key else None
        if case is None:
            raise
    return jsonify({"case_id": case.id, "reference": case.reference}), 201


@bp.get("/cases/<id:case_id>")
def get_case(case_id: int):
    db = get_db()
    detail = case_detail(db.session, case_id)
    if detail is None:
        return _errors(404, [{"field": None, "message": "There is no case with this id."}])
    record(db.session, g.actor, "case.viewed", case_id=case_id, details={"via": "api"})
    db.session.commit()
    return jsonify(case_summary(detail))


@bp.get("/contacts/<id:case_id>")
def get_contact(case_id: int):
    """The referrer's view of a contact they made: where it is and the feedback, never agency findings."""
    db = get_db()
    case = case_for_referrer(db.session, case_id, g.actor)
    if case is None:  # someone else's contact is answered as if it did not exist
        return _errors(404, [{"field": None, "message": "There is no contact with this id that you made."}])
    record(db.session, g.actor, "contact.viewed", case_id=case_id, details={"via": "api"})
    db.session.commit()
    return jsonify(referrer_view(db.session, case))


@bp.get("/audit")
def audit():
    """Audit entries in chain order: ?case_id=&username=&action=&from=&to=&after=&limit=."""
    db = get_db()
    wanted, errors = parse_filter(db.session, request.args)
    if errors:
        return _errors(422, [{"field": e.field, "message": e.message} for e in errors])
    entries = audit_entries(db.session, wanted)
    record(db.session, g.actor, "audit.viewed", case_id=wanted.case_id,
           details={"via": "api", "username": wanted.username, "action": wanted.action, "rows": len(entries)})
    db.session.commit()
    response = jsonify([entry_json(e) for e in entries])
    if len(entries) == wanted.limit:
        response.headers["Link"] = f'<{url_for("api.audit", **{**request.args.to_dict(), "after": entries[-1].seq})}>; rel="next"'
    return response


@bp.post("/cases/<id:case_id>/rag")
def change_rag(case_id: int):
    """Re-rate a contact: {"rag": "red", "rag_rationale": "..."}; its open deadlines move with it."""
    body = _json_body()
    run_in_transaction(rerate, case_id, body, g.actor)
    return jsonify(_summary(case_id))


@bp.get("/clock")
def get_clock():
    _training_only()
    return jsonify({"now": now().isoformat(), "training": True})


@bp.post("/clock")
def move_clock():
    """Training sandbox only: {"advance": "PT5H"} or {"set": "2027-01-04T09:00:00Z"}. Due timers fire at once."""
    _training_only()
    body = _json_body()
    moved = set_training_clock(body)
    record(get_db().session, g.actor, "clock.moved", summary=f"Training clock set to {moved.isoformat()}",
           details={key: body[key] for key in ("advance", "set") if key in body})
    get_db().session.commit()
    wake_scheduler()
    return jsonify({"now": moved.isoformat(), "training": True})


def _training_only() -> None:
    if not current_app.config["MASH_SETTINGS"].training:
        abort(404)


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
    task = open_task(db.session, task_id)
    if task is None:
        return _errors(404, [{"field": None, "message": "There is no open task with this id."}])
    if task.role not in g.actor.roles:
        return _errors(403, [{"field": None, "message": "This task belongs to another role."}])
    form = form_for_task(db.session, task)
    record(db.session, g.actor, "task.viewed", case_id=task.case_id, task_id=task_id, details={"via": "api"})
    db.session.commit()
    return jsonify({"task_id": task.task_id, "case_id": task.case_id, "name": task.name, "role": task.role,
                    "element_id": task.bpmn_id, "due_at": task.due_at.isoformat() if task.due_at else None,
                    "claimed_by": task.claimed_by, "form_key": task.form_key, "form": form.schema,
                    "case": _summary(task.case_id)})


@bp.post("/tasks/<task_id>/complete")
def complete(task_id: str):
    body = _json_body()
    try:
        case = complete_or_raise_incident(task_id, body, g.actor)
    except IncidentRaised as held:
        response = jsonify({"incident_id": held.incident_id, "case_id": held.case_id, "message": held.message})
        response.status_code = 202
        return response
    return jsonify(_summary(case.id))


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.post("/subject-access-exports")
def subject_access_export():
    """Everything held about one person (admin): {"given_name", "family_name", "date_of_birth"?}. Audited."""
    person = person_from_request(_json_body())
    return jsonify(run_in_transaction(export_subject_access, person, g.actor))


@bp.get("/sharing-decisions")
def list_sharing_decisions():
    """The record of sharing decisions, codes only: ?from=YYYY-MM-DD&to=YYYY-MM-DD&case_id=. Audited."""
    db = get_db()
    found = sharing_decisions(db.session, request.args, g.actor)
    db.session.commit()
    return jsonify(found)


@bp.get("/process-models")
def list_process_models():
    """Each deployed process with its versions, newest first."""
    return jsonify(process_models.list_process_models(get_db().session))


@bp.post("/process-models")
def deploy_process_model():
    """Multipart: one or more .bpmn files (any field name, usually ``files``), optional forms, process_id, note."""
    if request.mimetype != process_models.MULTIPART:
        return _errors(415, [{"field": None, "message": "Send the files as multipart/form-data."}])
    files = uploaded_files([f for name in request.files for f in request.files.getlist(name)])
    try:
        result = run_in_transaction(process_models.deploy_from_api, files, request.form, g.actor)
    except DefinitionError as error:
        return _errors(422, process_models.problems_json(error))
    response = jsonify(process_models.deployment_json(result))
    response.status_code = 201 if result.created else 200
    return response


@bp.get("/process-models/<process_id>/versions/<id:version>")
def get_process_model_version(process_id: str, version: int):
    return jsonify(process_models.version_files(get_db().session, process_id, version))


@bp.get("/cases/<id:case_id>/trail")
def case_trail(case_id: int):
    """A case's history of steps, in order: [{element_id, name, state, at, by}]. Audited."""
    db = get_db()
    trail = case_trail_json(db.session, case_id, g.actor)
    if trail is None:
        return _errors(404, [{"field": None, "message": "There is no case with this id."}])
    db.session.commit()
    return jsonify(trail)


@bp.get("/process-models/<process_id>/diff")
def process_model_diff(process_id: str):
    """What changed between two versions (?from=&to=): the same diff as the version history's compare page."""
    return jsonify(comparison_json(compare(get_db().session, process_id, request.args)))


@bp.get("/reports/mi-dataset")
def mi_dataset():
    """The row-level MI dataset: ?from=YYYY-MM-DD&to=YYYY-MM-DD (&source=&rag=&channel=). JSON, or CSV for
    Accept: text/csv. Audited."""
    as_csv = request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv"
    db = get_db()
    rows = mi_dataset_rows(db.session, request.args, g.actor, as_csv=as_csv)
    db.session.commit()
    return current_app.response_class(mi_csv(rows), mimetype="text/csv") if as_csv else jsonify(rows)


@bp.get("/people/<id:person_id>")
def get_person(person_id: int):
    """A person in the person index (the root of any merged records) with their chronology. Audited."""
    db = get_db()
    document = person_document(db.session, person_id, g.actor)
    if document is None:
        return _errors(404, [{"field": None, "message": "There is no person with this id."}])
    db.session.commit()
    return jsonify(document)


@bp.get("/incidents")
def list_incidents():
    """Cases stopped by a fault in the process: what the SLA wall shows managers. Audited."""
    db = get_db()
    incidents = raised_incidents(db.session)
    record(db.session, g.actor, "incidents.viewed", details={"via": "api", "incidents": len(incidents)})
    db.session.commit()
    return jsonify({"incidents": [incident_json(view) for view in incidents]})


@bp.post("/incidents/<id:incident_id>/retry")
def retry_incident_now(incident_id: int):
    incident = retry_incident(incident_id, g.actor)
    if incident.kind == "timer":
        wake_scheduler()
    return jsonify({"incident_id": incident.id, "resolved": incident.resolved_at is not None})


@bp.post("/incidents/<id:incident_id>/give-back")
def give_back_task(incident_id: int):
    incident = run_in_transaction(give_task_back, incident_id, g.actor)
    return jsonify({"incident_id": incident.id, "resolved": True})
