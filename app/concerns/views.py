"""Chronology pages: a person's and a household's contacts and agency returns, oldest first.

Filters are plain GET parameters (agency, kind) so the page works without JavaScript; ``format=csv``
downloads what is shown. Every view is audited with ids only.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, g, render_template, request, url_for

from app.audit.operations import record
from app.auth.authorisation import RETURNS_READERS
from app.cases.models import Case
from app.concerns.chronology import (
    KINDS,
    ChronologyEntry,
    agency_label,
    for_reader,
    household_chronology,
    person_chronology,
)
from app.concerns.repeats import ScreeningView, screening_view
from app.core.clock import now
from app.core.csv_export import csv_text
from app.core.db import get_db
from app.people.clusters import root_of
from app.people.models import Person
from app.people.queries import names_of
from app.people.views import case_proposals

bp = Blueprint("concerns", __name__, template_folder="templates")

CSV_COLUMNS = ("at", "kind", "reference", "case_id", "person_id", "agency", "restricted", "summary")
VIEWS = {"person": ("Chronology", person_chronology, "person_chronology"),
         "household": ("Household chronology", household_chronology, "household_chronology")}


@bp.get("/people/<int:person_id>/chronology", endpoint="person_chronology")
def person_chronology_page(person_id: int):
    return _chronology("person", person_id)


@bp.get("/people/<int:person_id>/household", endpoint="household_chronology")
def household_chronology_page(person_id: int):
    return _chronology("household", person_id)


@bp.app_template_global()
def repeat_concerns_for(case: Case) -> ScreeningView | None:
    """The repeat-concern panel of a case page, for those who read agency returns (as at screening)."""
    if not g.actor.roles & RETURNS_READERS:
        return None
    return screening_view(get_db().session, case, matches=case_proposals(case))


def _chronology(view: str, person_id: int):
    db = get_db()
    person = db.session.get(Person, person_id)
    if person is None:
        abort(404)
    root = db.session.get_one(Person, root_of(db.session, person_id))
    title, read, endpoint = VIEWS[view]
    entries = for_reader(db.session, g.actor, read(db.session, root.id), now())
    agencies = sorted({e.agency for e in entries if e.agency}, key=agency_label)
    kinds = [k for k in KINDS if any(e.kind == k for e in entries)]
    agency, kind = request.args.get("agency") or None, request.args.get("kind") or None
    shown = [e for e in entries if (agency is None or e.agency == agency) and (kind is None or e.kind == kind)]
    as_csv = request.args.get("format") == "csv"
    record(db.session, g.actor, "person.chronology-viewed",
           details={"person_id": root.id, "view": view, "csv": as_csv, "entries": len(shown)})
    if as_csv:
        return _csv(shown, f"{view}-chronology-{root.id}.csv")
    household = {}
    if view == "household":
        ids = {e.person_id for e in entries if e.person_id is not None}
        household = names_of(db.session, ids)
    filters: dict[str, Any] = {k: v for k, v in (("agency", agency), ("kind", kind)) if v}
    agency_items = [{"value": "", "text": "All agencies"}] + [
        {"value": a, "text": agency_label(a), "selected": a == agency} for a in agencies]
    kind_items = [{"value": "", "text": "Everything"}] + [
        {"value": k, "text": KINDS[k], "selected": k == kind} for k in kinds]
    return render_template("concerns/chronology.html", title=title, view=view, person=root, entries=shown,
                           total=len(entries), agency_items=agency_items, kind_items=kind_items,
                           household=household, agency_label=agency_label,
                           csv_url=url_for(f"concerns.{endpoint}", person_id=root.id, format="csv", **filters),
                           redirected_from=person_id if person_id != root.id else None)


def _csv(entries: list[ChronologyEntry], filename: str) -> Response:
    text = csv_text(CSV_COLUMNS, ([e.at.isoformat(), e.kind, e.reference, e.case_id, e.person_id or "",
                                   e.agency or "", "yes" if e.restricted else "no", e.summary] for e in entries))
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})

