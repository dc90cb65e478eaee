"""The search results page: one box for a case reference, name, date of birth, NHS number or postcode."""
from __future__ import annotations

from flask import Blueprint, g, render_template, request
from flask.typing import ResponseReturnValue

from app.core.clock import now
from app.core.db import get_db
from app.core.errors import FieldError
from app.search.reading import read_query
from app.search.service import run_search

bp = Blueprint("search", __name__, template_folder="templates")

KIND_LABELS = {"reference": "case reference", "name": "name", "dob": "date of birth", "nhs-number": "NHS number",
               "postcode": "postcode"}


@bp.get("/search")
def results() -> ResponseReturnValue:
    typed = request.args.get("q", "")
    query = read_query(typed)
    if query is None:
        errors = [FieldError("q", "Enter a case reference, name, date of birth, NHS number or postcode")] \
            if "q" in request.args else []
        return render_template("search/results.html", typed="", found=None, errors=errors, kinds=KIND_LABELS)
    found = run_search(get_db().session, g.actor, query, now())
    errors = [FieldError("q", query.problem)] if query.problem else []
    return render_template("search/results.html", typed=typed, found=found, errors=errors, kinds=KIND_LABELS)
