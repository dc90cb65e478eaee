"""The management information page, a CSV of each of its tables, and the row-level MI dataset as CSV.

Each view is audited with its filters and counts, never content: ``reports.viewed`` for the page,
``reports.exported`` for every download.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from app.audit.operations import record
from app.core.calendar import LONDON
from app.core.clock import now
from app.core.codes import AGENCY_LABELS, CHANNELS
from app.core.csv_export import csv_text
from app.core.db import get_db
from app.core.vocabulary import RAG_LABELS
from app.reports import annex_a
from app.reports.dataset import csv_text as dataset_csv
from app.reports.dataset import mi_dataset
from app.reports.figures import Table
from app.reports.filters import read_filters
from app.reports.report import build_report

bp = Blueprint("reports", __name__, template_folder="templates")


def _today():
    return now().astimezone(LONDON).date()


@bp.get("/reports")
def index():
    db = get_db()
    filters, errors = read_filters(request.args, _today())
    report = None if errors else build_report(db.session, filters, now())
    record(db.session, g.actor, "reports.viewed",
           details={**filters.as_args(), "contacts": report.contacts if report else 0})
    return render_template("reports/index.html", report=report, filters=filters, errors=errors, args=request.args,
                           agencies=AGENCY_LABELS, rags=RAG_LABELS, channels=CHANNELS)


def _query(args: MultiDict[str, str]) -> dict[str, Any]:
    """The query's arguments (the first value of each), to send back to the report page."""
    return args.to_dict()


def _csv(name: str, text: str) -> Response:
    stamp = now().astimezone(LONDON).strftime("%Y-%m-%d")
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}-{stamp}.csv"'})


def table_csv_text(table: Table) -> str:
    return csv_text([column.key for column in table.columns], [*table.rows, *([table.total] if table.total else [])])


@bp.get("/reports/<table>.csv")
def table_csv(table: str):
    db = get_db()
    filters, errors = read_filters(request.args, _today())
    if errors:
        return redirect(url_for("reports.index", **_query(request.args)))
    found = build_report(db.session, filters, now()).tables.get(table)
    if found is None:
        abort(404)
    record(db.session, g.actor, "reports.exported",
           details={"table": table, **filters.as_args(), "rows": len(found.rows)})
    return _csv(f"mash-{table}", table_csv_text(found))


@bp.get("/reports/mi-dataset.csv")
def mi_dataset_csv():
    db = get_db()
    filters, errors = read_filters(request.args, _today())
    if errors:
        return redirect(url_for("reports.index", **_query(request.args)))
    rows = mi_dataset(db.session, filters)
    record(db.session, g.actor, "reports.exported",
           details={"table": "mi-dataset", **filters.as_args(), "rows": len(rows)})
    return _csv("mash-mi-dataset", dataset_csv(rows))


@bp.get("/reports/annex-a/list-<int:number>.csv")
def annex_a_csv(number: int):
    """Ofsted Annex A list 1 (contacts), 3 (referrals), 4 (assessments) or 5 (section 47 enquiries and ICPCs)
    for the period, as the template lays it out."""
    if number not in annex_a.LISTS:
        abort(404)
    db = get_db()
    filters, errors = read_filters(request.args, _today())
    if errors:
        return redirect(url_for("reports.index", **_query(request.args)))
    rows = annex_a.annex_a_rows(db.session, filters, number)
    record(db.session, g.actor, "reports.exported",
           details={"table": f"annex-a-list-{number}", **filters.as_args(), "rows": len(rows)})
    return _csv(f"annex-a-list-{number}", annex_a.csv_text(number, rows))
