"""Version history pages: the diff between two versions and the migration of running cases."""
from __future__ import annotations

from typing import cast

from flask import Blueprint, abort, g, render_template, request, url_for

from app.casework.version_moves import migrate_cases, parse_selection, preview, target_version
from app.core.db import get_db
from app.core.errors import NotFound, ValidationFailed
from app.process_models.compare import compare
from app.process_models.queries import process_name
from app.process_models.registry import versions_of
from app.web.refusals import on_refusal
from app.web.security import allow_diagram_styles

bp = Blueprint("versions", __name__, template_folder="templates")


def _error_list(errors) -> list[dict]:
    return [{"text": e.message, "href": f"#{e.field}"} for e in errors]


@bp.get("/process-models/<process_id>/diff")
def diff(process_id: str):
    """What changed between two versions: a table that needs no script, and the two diagrams marked up."""
    session = get_db().session
    versions = versions_of(session, process_id)
    if not versions:
        abort(404)
    name = process_name(versions[0]) or process_id
    try:
        comparison = compare(session, process_id, request.args)
    except NotFound:
        abort(404)
    except ValidationFailed as failure:
        status = 200 if len(versions) == 1 and not request.args else 400
        return render_template("versions/diff.html", process_id=process_id, process_name=name, versions=versions,
                               comparison=None, errors=_error_list(failure.errors), args=request.args), status
    allow_diagram_styles()
    visual = {"old_version": comparison.old.version, "new_version": comparison.new.version, "files": [
        {"name": f.name, "old_marks": f.old_marks, "new_marks": f.new_marks,
         "marked": len(set(f.old_marks) | set(f.new_marks)),
         "old_url": url_for("process_models.diagram", process_id=process_id, version=comparison.old.version,
                            filename=f.name) if f.in_old else None,
         "new_url": url_for("process_models.diagram", process_id=process_id, version=comparison.new.version,
                            filename=f.name) if f.in_new else None} for f in comparison.diff.files]}
    return render_template("versions/diff.html", process_id=process_id, process_name=name, versions=versions,
                           comparison=comparison, diff=comparison.diff, visual=visual, errors=[], args=request.args)


def _wanted_version() -> int | None:
    raw = (request.values.get("to") or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        abort(404)
    return int(raw)


def _preview_page(process_id: str, to: int | None, errors: list | None = None, status: int = 200):
    db = get_db()
    if not versions_of(db.session, process_id):
        abort(404)
    found = preview(db.session, process_id, to, g.actor)
    return render_template("versions/migrations.html", preview=found, process_id=process_id,
                           process_name=process_name(found.versions[0]) or process_id,
                           errors=_error_list(errors or [])), status


@bp.get("/process-models/<process_id>/migrations")
def migrations(process_id: str):
    """Which open cases on older versions can move to the chosen version, and why the others cannot."""
    return _preview_page(process_id, _wanted_version())


@bp.post("/process-models/<process_id>/migrations")
def migrate(process_id: str):
    """Move the chosen cases, each on its own, and say which moved and which did not."""
    session = get_db().session
    wanted = _wanted_version()
    if wanted is None or not versions_of(session, process_id):
        abort(404)
    on_refusal(lambda failure: _preview_page(process_id, wanted, cast(ValidationFailed, failure).errors, status=400),
               ValidationFailed)
    target = target_version(session, process_id, wanted)
    chosen = parse_selection(request.form.getlist("cases"))
    name, to_version = process_name(target) or process_id, target.version
    result = migrate_cases(process_id, to_version, chosen, g.actor)
    return render_template("versions/migrated.html", result=result, process_id=process_id, process_name=name)
