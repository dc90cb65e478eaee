"""POST /api/v1/subject-access-exports: everything held about one person, for the information governance
officer (admin) to review before disclosure. Audited."""
from __future__ import annotations

from flask import g, jsonify

from app.api import bp, json_body
from app.core.db import run_in_transaction
from app.retention.subject_access import export_subject_access, person_from_request


@bp.post("/subject-access-exports")
def subject_access_export():
    """Everything held about one person (admin): {"given_name", "family_name", "date_of_birth"?}. Audited."""
    person = person_from_request(json_body())
    return jsonify(run_in_transaction(export_subject_access, person, g.actor))
