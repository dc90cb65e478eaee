"""The hub's information product of a decided case: a printable page and the same record as a PDF.

It holds every agency's findings, hub-only ones included, so the route table lets in only the
hub's decision makers and oversight. Every render is a disclosure and is audited as
``information-product.viewed`` with the format, never the content. A case without a decision has
no product yet: it answers 409 with a page that says so, rather than half a product.
"""
from __future__ import annotations

import re

from flask import Blueprint, Response, abort, g, render_template

from app.audit.operations import record
from app.cases.models import Case
from app.core.db import get_db
from app.information_product.pdf import render_pdf
from app.information_product.record import HUB_ONLY_MARKING, MARKING, SECTIONS, CaseRecord, case_record, is_decided

bp = Blueprint("information_product", __name__, template_folder="templates")


def _decided_record(case_id: int, fmt: str) -> CaseRecord | Response:
    db = get_db()
    case = db.session.get(Case, case_id)
    if case is None:
        abort(404)
    if not is_decided(case):
        return Response(render_template("information_product/not_decided.html", case=case), status=409)
    product = case_record(db.session, case, g.actor)
    record(db.session, g.actor, "information-product.viewed", case_id=case_id, details={"format": fmt})
    return product


@bp.get("/cases/<int:case_id>/information-product")
def show(case_id: int):
    product = _decided_record(case_id, "html")
    if isinstance(product, Response):
        return product
    return render_template("information_product/show.html", product=product, sections=SECTIONS, marking=MARKING,
                           hub_only_marking=HUB_ONLY_MARKING)


@bp.get("/cases/<int:case_id>/information-product.pdf")
def pdf(case_id: int):
    product = _decided_record(case_id, "pdf")
    if isinstance(product, Response):
        return product
    filename = re.sub(r"[^A-Za-z0-9-]", "", product.reference) + "-information-product.pdf"
    return Response(render_pdf(product), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
