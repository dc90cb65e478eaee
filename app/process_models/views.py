"""/process-models: the deployed processes and their versions, and the upload that deploys a new one."""
from __future__ import annotations

import re
from typing import cast

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from werkzeug.datastructures import FileStorage

from app.core.db import get_db, run_in_transaction
from app.core.diagram_xml import as_utf8_text
from app.core.errors import Conflict, ValidationFailed
from app.engine import DefinitionError
from app.process_models.deploy import Deployment, UploadedFile, deploy, restore, validate_upload
from app.process_models.queries import process_catalogue, process_summary
from app.process_models.registry import bundle_of, version_of
from app.web.refusals import on_refusal

bp = Blueprint("process_models", __name__, template_folder="templates")

def uploaded_files(files: list[FileStorage]) -> list[UploadedFile]:
    """The request's files as the deploy pipeline takes them (empty file inputs are skipped)."""
    return [UploadedFile(name=f.filename or "", content=f.read()) for f in files if f.filename]


@bp.get("/process-models")
def index():
    return _index_page()


@bp.post("/process-models")
def upload():
    """Check and deploy (or only check) the uploaded files; every problem comes back on the page."""
    files = uploaded_files(request.files.getlist("files"))
    process_id = request.form.get("process_id", "").strip() or None
    note = request.form.get("note", "").strip()
    check_only = request.form.get("action") == "check"
    if not check_only and not note:
        return _index_page(field_errors={"note": "Say what changed and why: it is shown in the version history"},
                           form=request.form, status=400)
    # Another deploy of the same process at the same moment: said beside the files, as a field error.
    on_refusal(lambda race: _index_page(field_errors={"files": race.message}, form=request.form, status=race.status),
               Conflict)
    try:
        if check_only:
            candidate = validate_upload(get_db().session, files, process_id=process_id)
            return _index_page(checked=candidate, form=request.form)
        result = run_in_transaction(deploy, files, g.actor, process_id=process_id, note=note, source="web")
    except DefinitionError as error:
        return _index_page(problems=error.problems, form=request.form, status=422)
    return _deployed(result)


def _deployed(result: Deployment):
    if result.restored_from is not None:
        flash(f"Version {result.restored_from} of {result.process_id} is current again, as version "
              f"{result.version}. New contacts start on it; running cases stay on their version.", "success")
    elif result.created:
        flash(f"Version {result.version} of {result.process_id} deployed. New contacts start on it; "
              "running cases stay on their version.", "success")
    else:
        flash(f"Nothing changed: these files are version {result.version} of {result.process_id}, "
              "the current version.", "info")
    return redirect(url_for("process_models.history", process_id=result.process_id))


def _index_page(*, problems=None, field_errors=None, checked=None, form=None, status: int = 200):
    errors = [{"message": str(p), "id": "problems"} for p in (problems or [])]
    errors += [{"message": message, "id": field} for field, message in (field_errors or {}).items()]
    html = render_template("process_models/index.html", processes=process_catalogue(get_db().session),
                           problems=problems or [], field_errors=field_errors or {}, errors=errors,
                           checked=checked, form=form or {})
    return html, status


@bp.get("/process-models/<process_id>")
def history(process_id: str):
    return _history_page(process_id)


@bp.post("/process-models/<process_id>/versions/<int:version>/restore")
def restore_version(process_id: str, version: int):
    """Make an earlier version current again (its files become the next version); a note is required."""
    note = request.form.get("note", "").strip()
    on_refusal(lambda failure: _history_page(process_id, restoring=version, note=note, status=400,
                                             errors=[{"message": e.message, "id": f"note-{version}"}
                                                     for e in cast(ValidationFailed, failure).errors]),
               ValidationFailed)
    try:
        result = run_in_transaction(restore, process_id, version, g.actor, note=note, source="web")
    except DefinitionError as error:
        return _history_page(process_id, restoring=version, note=note, problems=error.problems, status=422,
                             errors=[{"message": f"Version {version} no longer passes the checks: "
                                                 f"{len(error.problems)} problem(s)", "id": "problems"}])
    return _deployed(result)


def _history_page(process_id: str, *, restoring: int | None = None, note: str = "", problems=None,
                  errors: list[dict] | None = None, status: int = 200):
    summary = process_summary(get_db().session, process_id)
    if summary is None:
        abort(404)
    return render_template("process_models/history.html", process=summary, restoring=restoring, note=note,
                           problems=problems or [], errors=errors or []), status


@bp.get("/process-models/<process_id>/versions/<int:version>/files/<filename>")
def diagram(process_id: str, version: int, filename: str):
    """One diagram of a stored version as UTF-8 XML, for the viewers, the modeler and downloads.

    Always a download in a type no browser renders: a diagram is uploaded by a person and can hold XHTML in
    its extension elements (a script, a redirect), which opened inline would run on this origin with the
    reader's session. The bpmn-js pages fetch it (fetch ignores Content-Disposition) and read it as text."""
    stored = version_of(get_db().session, process_id, version)
    if stored is None:
        abort(404)
    bundle = bundle_of(stored)
    raw = bundle.bpmn.get(filename) or bundle.dmn.get(filename)
    if raw is None:
        abort(404)
    return stored_file(as_utf8_text(raw).encode("utf-8"), f"{process_id}-v{version}-{filename}")


def stored_file(content: bytes, filename: str) -> Response:
    """A stored diagram or form given out as an attachment that is never rendered (nosniff is on every
    response: app/web/security.py)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return Response(content, mimetype="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{safe}"'})
