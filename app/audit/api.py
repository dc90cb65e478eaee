"""GET /api/v1/audit: the audit trail in chain order for auditors' tools, paged by a Link header. Reading it is
audited too."""
from __future__ import annotations

from flask import g, jsonify, request, url_for

from app.api import bp
from app.api.errors import invalid
from app.audit.operations import record
from app.audit.queries import audit_entries, entry_json, parse_filter
from app.core.db import get_db


@bp.get("/audit")
def audit():
    """Audit entries in chain order: ?case_id=&username=&action=&from=&to=&after=&limit=."""
    db = get_db()
    wanted, errors = parse_filter(db.session, request.args)
    if errors:
        return invalid(errors)
    entries = audit_entries(db.session, wanted)
    record(db.session, g.actor, "audit.viewed", case_id=wanted.case_id,
           details={"via": "api", "username": wanted.username, "action": wanted.action, "rows": len(entries)})
    db.session.commit()
    response = jsonify([entry_json(e) for e in entries])
    if len(entries) == wanted.limit:
        response.headers["Link"] = f'<{url_for("api.audit", **{**request.args.to_dict(), "after": entries[-1].seq})}>; rel="next"'
    return response
