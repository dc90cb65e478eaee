"""The modeler page: edit a diagram or a decision table in the browser, see what the app reads and what the
deploy's checks find, deploy."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, jsonify, render_template, request, url_for

from app.core.db import get_db, run_in_transaction
from app.core.decision_tables import read_stored_tables
from app.core.errors import Conflict
from app.core.roles import LANE_NAMES, role_for_lane
from app.engine import DefinitionError
from app.engine.definitions import DEADLINE_KINDS
from app.modeler.edits import EditRequestError, note_from, request_problem, uploads_from
from app.process_models.deploy import deploy as deploy_upload
from app.process_models.deploy import validate_upload
from app.process_models.models import ProcessVersion
from app.process_models.registry import bundle_of, compiled, file_of_process, latest_version, version_of, versions_of
from app.web.filters import can
from app.web.refusals import on_refusal
from app.web.security import allow_diagram_styles

bp = Blueprint("modeler", __name__, template_folder="templates")


@bp.get("/process-models/<process_id>/edit")
def edit(process_id: str):
    """One diagram or decision table of a process in the modeler, starting from the latest version or ``from``."""
    session = get_db().session
    latest = _latest_or_404(process_id)
    start = _starting_version(process_id, latest)
    bundle = bundle_of(start)
    files = sorted(bundle.bpmn)
    tables = sorted(bundle.dmn)  # a version stored before tables existed has none
    file = request.args.get("file") or file_of_process(bundle, process_id) or files[0]
    if file in tables:
        return _table_page(process_id, file, files, tables, start, latest)
    if file not in bundle.bpmn:
        abort(404)
    forms = compiled(latest).forms
    from_start: dict[str, Any] = {} if start.version == latest.version else {"from": start.version}
    allow_diagram_styles()
    config = {
        **_editor_config(process_id, file, start),
        "diagramUrl": url_for("process_models.diagram", process_id=process_id, version=start.version, filename=file),
        "mapUrl": _link("maps.process_map", process_id=process_id),
        "forms": [{"key": key, "title": forms[key].title} for key in sorted(forms)],
        "lanes": {name: role_for_lane(name) for name in LANE_NAMES},
        "deadlineKinds": list(DEADLINE_KINDS),
        # The version's decision tables: a business rule task's camunda:decisionRef, and a way to each table.
        "decisions": [{"id": table.decision_id, "name": table.name, "file": table.file,
                       "editUrl": url_for("modeler.edit", process_id=process_id, file=table.file, **from_start)}
                      for table in sorted(read_stored_tables(bundle.dmn).values(), key=lambda t: t.decision_id)],
    }
    return render_template("modeler/edit.html", process_id=process_id, file=file, files=files, tables=tables,
                           start=start, latest=latest, versions=versions_of(session, process_id), config=config,
                           upload_url=_link("process_models.index"))


def _editor_config(process_id: str, file: str, start: ProcessVersion) -> dict[str, Any]:
    """What the diagram editor and the table editor both need: the file, its version, where to check and deploy."""
    return {"processId": process_id, "file": file, "version": start.version,
            "checkUrl": url_for("modeler.check", process_id=process_id),
            "deployUrl": url_for("modeler.deploy", process_id=process_id),
            "historyUrl": _link("process_models.history", process_id=process_id)}


def _table_page(process_id: str, file: str, files: list[str], tables: list[str], start: ProcessVersion,
                latest: ProcessVersion) -> str:
    """A decision table (DMN) of the version in dmn-js, checked and deployed the way the diagrams are."""
    allow_diagram_styles()  # dmn-js sizes the table's columns with style attributes
    config = {
        **_editor_config(process_id, file, start),
        "tableUrl": url_for("process_models.diagram", process_id=process_id, version=start.version, filename=file),
    }
    return render_template("modeler/edit_table.html", process_id=process_id, file=file, files=files,
                           tables=tables, start=start, latest=latest,
                           versions=versions_of(get_db().session, process_id), config=config,
                           upload_url=_link("process_models.index"))




@bp.post("/process-models/<process_id>/edit/check")
def check(process_id: str):
    """The deploy's own validation of the edited diagrams (bpmnlint included), changing nothing."""
    _latest_or_404(process_id)
    try:
        uploads = uploads_from(request.get_json(silent=True))
    except EditRequestError as error:
        return jsonify(errors=[request_problem(str(error))]), 400
    try:
        candidate = validate_upload(get_db().session, uploads, process_id=process_id)
    except DefinitionError as error:
        return jsonify(problems=[problem.as_dict() for problem in error.problems], warnings=[])
    return jsonify(problems=[], warnings=[warning.as_dict() for warning in candidate.warnings])


@bp.post("/process-models/<process_id>/edit/deploy")
def deploy(process_id: str):
    """Validate and store the edited diagrams as a new version; new cases start on it."""
    _latest_or_404(process_id)
    body = request.get_json(silent=True)
    try:
        uploads = uploads_from(body)
    except EditRequestError as error:
        return jsonify(errors=[request_problem(str(error))]), 400
    note = note_from(body)
    if not note:
        return jsonify(errors=[request_problem("Say what changed and why before deploying", field="note")]), 422
    # Another deploy of the same process at the same moment: the modeler says so beside the diagram.
    on_refusal(lambda race: (jsonify(errors=[request_problem(race.message)]), race.status), Conflict)
    try:
        done = run_in_transaction(deploy_upload, uploads, g.actor, process_id=process_id, note=note,
                                  source="modeler")
    except DefinitionError as error:
        return jsonify(errors=[problem.as_dict() for problem in error.problems]), 422
    latest = latest_version(get_db().session, process_id)
    return jsonify(process_id=done.process_id, version=done.version, created=done.created,
                   restored_from=done.restored_from, latest_version=latest.version if latest else done.version,
                   warnings=[warning.as_dict() for warning in done.warnings]), 201 if done.created else 200


def _latest_or_404(process_id: str) -> ProcessVersion:
    latest = latest_version(get_db().session, process_id)
    if latest is None:
        abort(404)
    return latest


def _starting_version(process_id: str, latest: ProcessVersion) -> ProcessVersion:
    wanted = request.args.get("from")
    if wanted is None or wanted == str(latest.version):
        return latest
    found = version_of(get_db().session, process_id, int(wanted)) if wanted.isdigit() else None
    if found is None:
        abort(404)
    return found


def _link(endpoint: str, **values: Any) -> str | None:
    """A link to another page, offered only to someone who may open it."""
    return url_for(endpoint, **values) if can(endpoint) else None
