"""/process-models: the deployed processes and their versions, and the upload that deploys a new one."""
from __future__ import annotations

from flask import Blueprint, Response, abort

from app.core.db import get_db
from app.process_models.registry import bundle_of, diagram_text, version_of

bp = Blueprint("process_models", __name__, template_folder="templates")


@bp.get("/process-models/<process_id>/versions/<int:version>/files/<filename>")
def diagram(process_id: str, version: int, filename: str):
    """One diagram of a stored version as UTF-8 XML, for the viewers and the modeler."""
    stored = version_of(get_db().session, process_id, version)
    if stored is None:
        abort(404)
    raw = bundle_of(stored).bpmn.get(filename)
    if raw is None:
        abort(404)
    text = diagram_text(raw)
    return Response(text.encode("utf-8"), mimetype="application/xml")
