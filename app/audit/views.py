"""The audit page for auditors and operations managers: filter the trail, download it as CSV."""
from __future__ import annotations

from flask import Blueprint, Response, g, render_template, request, url_for

from app.audit.operations import record
from app.audit.queries import audit_entries, parse_filter
from app.core.csv_export import csv_text
from app.core.db import get_db

bp = Blueprint("audit", __name__, template_folder="templates")

CSV_COLUMNS = ("seq", "at", "username", "action", "case_id", "task_id", "element_id", "summary", "hash")


@bp.get("/audit")
def index():
    db = get_db()
    wanted, errors = parse_filter(db.session, request.args)
    entries = [] if errors else audit_entries(db.session, wanted)
    as_csv = request.args.get("format") == "csv" and not errors
    # Reading the trail is itself on the trail (with the filter, not the results).
    record(db.session, g.actor, "audit.exported" if as_csv else "audit.viewed", case_id=wanted.case_id,
           details={"username": wanted.username, "action": wanted.action, "rows": len(entries)})
    if as_csv:
        return _csv(entries)
    more = len(entries) == wanted.limit
    next_url = url_for("audit.index", **{**request.args.to_dict(), "after": entries[-1].seq}) if more else None
    return render_template("audit/index.html", entries=entries, errors=errors, args=request.args,
                           next_url=next_url, csv_url=url_for("audit.index", **{**request.args.to_dict(),
                                                                                "format": "csv"}))


def _csv(entries) -> Response:
    text = csv_text(CSV_COLUMNS, ([e.seq, e.at.isoformat(), e.username, e.action, e.case_id or "", e.task_id or "",
                                   e.element_id or "", e.summary, e.hash] for e in entries))
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=audit.csv"})
