"""Pages of the sharing record: the report (with its CSV) and the information product of a dissemination.

Every render and export is a disclosure and is audited: the product page as
``information-product.viewed``, the report as ``sharing.report-viewed`` and its CSV as
``sharing.report-exported``, with filters and counts, never content.
"""
from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for

from app.audit.operations import record
from app.cases.models import Case
from app.core.calendar import LONDON, london
from app.core.clock import now
from app.core.db import get_db
from app.core.errors import NeedToKnow
from app.core.lawful_bases import KINDS, hub_lawful_bases
from app.core.vocabulary import ADDITIONAL_REFERRAL_LABELS, CONTACT_FORM
from app.need_to_know.sight import sight_of
from app.process_models.registry import compiled_by_id
from app.sharing.product import InformationProduct
from app.sharing.queries import product_record, report_rows, sharing_labels, sharing_report
from app.sharing.report import csv_text, read_filters

bp = Blueprint("sharing", __name__, template_folder="templates", static_folder="static",
               static_url_path="/sharing/static")

#: The report page lists this many records; the counts and the CSV cover every matching record.
PAGE_LIMIT = 500


@bp.app_template_filter("iso_london")
def _iso_london(value: str) -> str:
    """A stored ISO timestamp (the product keeps its facts as text) in London time."""
    return london(datetime.fromisoformat(value))


@bp.app_template_filter("referral_label")
def _referral_label(code: str) -> str:
    """An additional referral of a decision in words (app.core.vocabulary)."""
    return ADDITIONAL_REFERRAL_LABELS.get(code, code)


@bp.app_template_filter("iso_day")
def _iso_day(value: str) -> str:
    return date.fromisoformat(value).strftime("%-d %b %Y")


@bp.get("/sharing")
def index():
    db = get_db()
    bases = hub_lawful_bases()
    filters, errors = read_filters(request.args, bases)
    report = None if errors else sharing_report(db.session, filters, PAGE_LIMIT)
    record(db.session, g.actor, "sharing.report-viewed",
           details={**filters.as_args(), "records": report.total_records if report else 0})
    # Retired bases stay selectable here: records made under them must still be found.
    basis_groups = [(kind_label, [(b.code, b.label + (" (retired)" if b.retired else ""))
                                  for b in bases.bases if b.kind == kind]) for kind, kind_label in KINDS.items()]
    return render_template("sharing/index.html", report=report, filters=filters, errors=errors, args=request.args,
                           bases=bases, basis_groups=basis_groups, page_limit=PAGE_LIMIT)


@bp.get("/sharing/decisions.csv")
def export_csv():
    db = get_db()
    bases = hub_lawful_bases()
    filters, errors = read_filters(request.args, bases)
    if errors:
        return redirect(url_for("sharing.index", **request.args))
    rows = report_rows(db.session, filters)
    record(db.session, g.actor, "sharing.report-exported", details={**filters.as_args(), "records": len(rows)})
    stamp = now().astimezone(LONDON).strftime("%Y-%m-%d")
    return Response(csv_text(rows, bases), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="sharing-decisions-{stamp}.csv"'})


@bp.get("/cases/<int:case_id>/information-product/<int:decision_id>")
def information_product(case_id: int, decision_id: int):
    db = get_db()
    decision = product_record(db.session, case_id, decision_id)
    if decision is None or decision.product is None:  # a record that sent a product, on this case
        abort(404)
    sight = sight_of(db.session, g.actor, case_id, now())
    if not sight.shows("sharing") and decision.recipient not in sight.own_agencies:
        raise NeedToKnow()  # the product sent to another agency is not this reader's
    case = db.session.get_one(Case, case_id)
    labels = sharing_labels(db.session, case)
    contact_form = compiled_by_id(db.session, case.process_version_id).forms.get(CONTACT_FORM)
    source = contact_form.field("source") if contact_form else None
    record(db.session, g.actor, "information-product.viewed", case_id=case_id, task_id=decision.task_id,
           details={"decision_id": decision.id, "recipient": decision.recipient})
    return render_template("sharing/information_product.html", case=case, decision=labels.view(decision),
                           product=InformationProduct.from_json(decision.product),
                           source_labels={o.value: o.label for o in source.options} if source else {})
