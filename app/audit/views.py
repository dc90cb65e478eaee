"""The audit page for auditors and operations managers: filter the trail, download it as CSV."""
from __future__ import annotations

from flask import Blueprint, Response, g, render_template, request, url_for

from app.audit.listing import newest_first, read_day
from app.audit.operations import record
from app.audit.queries import audit_entries, parse_filter
from app.core.csv_export import csv_text
from app.core.db import get_db
from app.core.errors import FieldError

bp = Blueprint("audit", __name__, template_folder="templates")

CSV_COLUMNS = ("seq", "at", "username", "action", "case_id", "task_id", "element_id", "summary", "hash")


@bp.get("/audit")
def index():
    """Newest first on the page (``before`` pages back; ``on`` picks a day); the CSV download keeps chain order."""
    db = get_db()
    wanted, errors = parse_filter(db.session, request.args)
    wanted, day = read_day(request.args, wanted, errors)
    before = request.args.get("before", "")
    if before and not (before.isdigit() and int(before) < 2**63):
        errors.append(FieldError("before", "The page must be a whole number"))
    as_csv = request.args.get("format") == "csv" and not errors
    if errors:
        entries = []
    elif as_csv:
        entries = audit_entries(db.session, wanted)
    else:
        entries = newest_first(db.session, wanted, int(before) if before else None)
    # Reading the trail is itself on the trail (with the filter, not the results).
    record(db.session, g.actor, "audit.exported" if as_csv else "audit.viewed", case_id=wanted.case_id,
           details={"username": wanted.username, "action": wanted.action, "rows": len(entries),
                    **({"on": day.isoformat()} if day else {})})
    if as_csv:
        return _csv(entries)
    kept = {k: v for k, v in request.args.to_dict().items() if k not in ("before", "after", "format")}
    more = len(entries) == wanted.limit
    older_url = url_for("audit.index", **{**kept, "before": entries[-1].seq}) if more else None
    return render_template("audit/index.html", entries=entries, errors=errors, args=request.args,
                           older_url=older_url, newest_url=url_for("audit.index", **kept) if before else None,
                           csv_url=url_for("audit.index", **{**kept, "format": "csv"}))


def _csv(entries) -> Response:
    text = csv_text(CSV_COLUMNS, ([e.seq, e.at.isoformat(), e.username, e.action, e.case_id or "", e.task_id or "",
                                   e.element_id or "", e.summary, e.hash] for e in entries))
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=audit.csv"})
