"""Pages of the person index: a contact's subjects with their proposed matches, search, a person (with their
network of linked adults and places), links recorded on a contact, and a place."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from werkzeug.routing import BuildError

from app.audit.operations import record
from app.auth.authorisation import RETURNS_READERS
from app.cases.models import Case
from app.core.clock import now
from app.core.codes import CHILD_ROLES, GENDERS
from app.core.db import get_db, run_in_transaction
from app.core.errors import FieldError, NeedToKnow, OperationError, ValidationFailed
from app.need_to_know.sight import sight_of
from app.people import operations, places
from app.people.clusters import cluster_around, root_of
from app.people.links import LinkPanel, link_panel
from app.people.matching import Candidate, search
from app.people.models import Person, PersonMerge, Place
from app.people.names import normalise_nhs_number, postcode_of
from app.people.network import case_links, person_network, place_children
from app.people.queries import ProposedMatch, case_people, person_profile, person_summary, proposed_matches
from app.web.refusals import go_back_to, on_refusal

bp = Blueprint("people", __name__, template_folder="templates")

#: Search shows weaker matches than intake proposes: the screener is looking, not being told.
SEARCH_FROM = 40
SEARCH_LIMIT = 20


# ----------------------------------------------------------------------------- a contact's subjects
def _case_page(case_id: int, errors: list | None = None, form_id: str | None = None, values: dict | None = None):
    db = get_db()
    case = db.session.get(Case, case_id)
    if case is None:
        abort(404)
    sight = sight_of(db.session, g.actor, case_id, now())
    if not sight.shows("identifiers"):
        raise NeedToKnow()  # who a subject is in the person index is an identifier
    subjects = [] if case.anonymised_at else case_people(db.session, case)
    record(db.session, g.actor, "case.viewed", case_id=case_id, details={"page": "people"})
    return render_template("people/case.html", case=case, subjects=subjects, errors=errors or [], form_id=form_id,
                           values=values or {}, links=case_links(db.session, case_id))


@bp.get("/cases/<int:case_id>/people")
def case_page(case_id: int):
    return _case_page(case_id)


def _decide(case_id: int, action: Callable[[], object], done: str) -> ResponseReturnValue:
    if get_db().session.get(Case, case_id) is None:
        abort(404)
    go_back_to(url_for("people.case_page", case_id=case_id))
    action()
    flash(done, "success")
    return redirect(url_for("people.case_page", case_id=case_id))


@bp.post("/cases/<int:case_id>/people/matches/<int:match_id>/confirm")
def confirm(case_id: int, match_id: int):
    return _decide(case_id, lambda: run_in_transaction(operations.confirm_match, match_id, g.actor, case_id=case_id),
                   "Match confirmed: the subject's record is now part of the known person, "
                   "and their histories are joined.")


@bp.post("/cases/<int:case_id>/people/matches/<int:match_id>/reject")
def reject(case_id: int, match_id: int):
    return _decide(case_id, lambda: run_in_transaction(operations.reject_match, match_id, g.actor, case_id=case_id),
                   "Recorded as not the same person. This person will not be proposed again for this subject.")


@bp.post("/cases/<int:case_id>/people/subjects/<int:subject_id>/look-again")
def look_again(case_id: int, subject_id: int):
    if get_db().session.get(Case, case_id) is None:
        abort(404)
    go_back_to(url_for("people.case_page", case_id=case_id))
    found = run_in_transaction(operations.look_again, subject_id, g.actor, case_id=case_id)
    flash(f"{len(found)} new possible match{'es' if len(found) != 1 else ''} in the person index."
          if found else "No one new in the person index matches closely enough.", "success")
    return redirect(url_for("people.case_page", case_id=case_id))


@bp.post("/cases/<int:case_id>/people/merges/<int:merge_id>/unmerge")
def unmerge_on_case(case_id: int, merge_id: int):
    if get_db().session.get(Case, case_id) is None:
        abort(404)
    reason = request.form.get("reason", "")
    on_refusal(lambda failure: _case_page(case_id, _anchored(_errors(failure), merge_id), f"unmerge-{merge_id}",
                                          {"reason": reason}), ValidationFailed)
    return _decide(case_id, lambda: run_in_transaction(operations.unmerge, merge_id, reason, g.actor, case_id=case_id),
                   "Unmerged: the subject is a person of their own again.")


def _errors(refusal: OperationError) -> list[FieldError]:
    return refusal.errors if isinstance(refusal, ValidationFailed) else []


def _anchored(errors: list[FieldError], form_number: int) -> list[FieldError]:
    """Several forms share field names on one page: the error summary must link to the right one."""
    return [FieldError(e.field, e.message, f"{e.field}-{form_number}") for e in errors]


# ----------------------------------------------------------------------------- search
def _search_terms(args) -> tuple[dict, list[FieldError]]:
    terms = {name: (args.get(name) or "").strip() for name in
             ("given_name", "family_name", "dob-day", "dob-month", "dob-year", "nhs_number", "postcode")}
    errors = []
    born = None
    parts = [terms["dob-day"], terms["dob-month"], terms["dob-year"]]
    if any(parts):
        try:
            born = date(int(parts[2]), int(parts[1]), int(parts[0]))
        except ValueError:
            errors.append(FieldError("dob", "Date of birth must be a real date", "dob-day"))
    if not (terms["given_name"] and terms["family_name"]) and not terms["nhs_number"]:
        errors.append(FieldError("given_name", "Enter a given and a family name, or an NHS number"))
    terms["date_of_birth"] = born
    return terms, errors


@bp.get("/people")
def index():
    db = get_db()
    terms, errors = _search_terms(request.args)
    searched = any(request.args.values())
    results = []
    if searched and not errors:
        candidate = Candidate(terms["given_name"], terms["family_name"], terms["date_of_birth"],
                              normalise_nhs_number(terms["nhs_number"]),
                              postcode=(postcode_of(terms["postcode"])
                                        or terms["postcode"].replace(" ", "").upper() or None))
        found = search(db.session, candidate, threshold=SEARCH_FROM, limit=SEARCH_LIMIT).matches
        results = [(match, person_summary(db.session, match.person_id)) for match in found]
        # What kind of search, never the names typed or the names shown.
        record(db.session, g.actor, "people.searched", summary="Searched the person index",
               details={"results": len(results), "by_name": bool(terms["given_name"] and terms["family_name"]),
                        "by_nhs_number": bool(terms["nhs_number"]),
                        "by_date_of_birth": terms["date_of_birth"] is not None,
                        "by_postcode": bool(terms["postcode"])})
    return render_template("people/index.html", terms=terms, errors=errors if searched else [], results=results,
                           searched=searched and not errors)


# ----------------------------------------------------------------------------- a person
def _links(person_id: int) -> list[tuple[str, str, str]]:
    """Chronology pages (app/concerns), shown when they exist."""
    links = []
    for endpoint, text in (("concerns.person_chronology", "Chronology"),
                           ("concerns.household_chronology", "Household chronology")):
        try:
            links.append((endpoint, url_for(endpoint, person_id=person_id), text))
        except BuildError:
            continue
    return links


def _person_page(person_id: int, errors: list | None = None, form_id: str | None = None, values: dict | None = None):
    db = get_db()
    root, _ = cluster_around(db.session, person_id)  # a record never stored stands for itself: 404 below
    if root != person_id:
        flash(f"Person {person_id} was merged into person {root}: this is that person.", "info")
        return redirect(url_for("people.show", person_id=root))
    profile = person_profile(db.session, person_id)  # the cluster read above, not again
    if profile is None:
        abort(404)
    network = person_network(db.session, person_id, g.actor)
    record(db.session, g.actor, "person.viewed", summary="Viewed a person", details={"person_id": person_id})
    return render_template("people/show.html", profile=profile, network=network, places=places,
                           person=profile.root, links=_links(person_id),
                           dates_of_birth=", ".join(d.strftime("%-d %b %Y") for d in profile.summary.dates_of_birth),
                           genders=", ".join(GENDERS.get(code, code) for code in profile.genders),
                           relationships=operations.RELATIONSHIPS, errors=errors or [], form_id=form_id,
                           values=values or {})


@bp.get("/people/<int:person_id>")
def show(person_id: int):
    return _person_page(person_id)


def _person_action(person_id: int, action: Callable[[Session], object], done: str, form_id: str, values: dict,
                   form_number: int | None = None) -> ResponseReturnValue:
    if get_db().session.get(Person, person_id) is None:
        abort(404)

    def form_again(failure: OperationError) -> ResponseReturnValue:
        errors = _anchored(_errors(failure), form_number) if form_number is not None else _errors(failure)
        return _person_page(person_id, errors, form_id, values)

    go_back_to(url_for("people.show", person_id=root_of(get_db().session, person_id)))
    on_refusal(form_again, ValidationFailed)
    run_in_transaction(action)
    flash(done, "success")
    return redirect(url_for("people.show", person_id=root_of(get_db().session, person_id)))


def _number(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 12 else None


@bp.post("/people/<int:person_id>/merges/<int:merge_id>/unmerge")
def unmerge(person_id: int, merge_id: int):
    session = get_db().session
    found = session.get(PersonMerge, merge_id)
    if found is None or session.get(Person, person_id) is None or root_of(session, person_id) not in {
            root_of(session, found.person_id), root_of(session, found.into_person_id)}:
        abort(404)
    reason = request.form.get("reason", "")
    return _person_action(person_id, lambda s: operations.unmerge(s, merge_id, reason, g.actor),
                          "Unmerged: the records are separate people again.", f"unmerge-{merge_id}",
                          {"reason": reason}, merge_id)


@bp.post("/people/<int:person_id>/merge")
def merge(person_id: int):
    other, reason = request.form.get("other_person_id", ""), request.form.get("reason", "")
    return _person_action(person_id, lambda s: operations.merge_people(s, person_id, _number(other), reason, g.actor),
                          "Merged: the other record is now part of this person.", "merge",
                          {"other_person_id": other, "reason": reason})


@bp.post("/people/<int:person_id>/relationships")
def add_relationship(person_id: int):
    kind, other = request.form.get("relationship", ""), request.form.get("related_person_id", "")
    return _person_action(person_id, lambda s: operations.add_relationship(s, person_id, kind or None, _number(other),
                                                                           g.actor),
                          "Relationship recorded.", "relationship", {"relationship": kind, "related_person_id": other})


# ----------------------------------------------------------------------------- a case page's subjects
def case_proposals(case: Case) -> dict[int, list[ProposedMatch]]:
    """The case's subjects' proposed matches (app.people.queries.proposed_matches), read once for the page being
    rendered: its repeat concerns panel and its repeat missing flags both ask (issue 20)."""
    held: dict[int, dict[int, list[ProposedMatch]]] = g.setdefault("proposed_matches", {})
    if case.id not in held:
        held[case.id] = proposed_matches(get_db().session, case)
    return held[case.id]


# ----------------------------------------------------------------------------- links to adults and places
@bp.app_template_global()
def exploitation_links_for(case: Case) -> LinkPanel | None:
    """The exploitation flags in the repeat-concern panel, for those who read agency returns (as at screening)."""
    if not g.actor.roles & RETURNS_READERS:
        return None
    return link_panel(get_db().session, case)


LINK_FIELDS = ("child_subject_id", "links_to", "link", "adult_subject_id", "adult_person_id", "adult_given_name",
               "adult_family_name", "place_id", "place_kind", "place_name", "place_address", "place_postcode",
               "place_description", "agency", "seen_on-day", "seen_on-month", "seen_on-year")


def _link_form(case_id: int, errors: list | None = None, values: dict | None = None):
    db = get_db()
    case = db.session.get(Case, case_id)
    if case is None:
        abort(404)
    if not sight_of(db.session, g.actor, case_id, now()).shows("identifiers"):
        raise NeedToKnow()
    if case.anonymised_at is not None:
        abort(404)
    children = [s for s in case.subjects if s.role in CHILD_ROLES and s.person_id is not None]
    adults = [s for s in case.subjects if s.role not in CHILD_ROLES and s.person_id is not None]
    return render_template("people/new_link.html", case=case, children=children, adults=adults, places=places,
                           errors=errors or [], values=values or {})


@bp.get("/cases/<int:case_id>/people/links/new")
def new_link(case_id: int):
    return _link_form(case_id)


def _date_of(values: dict) -> str:
    parts = [values.get(f"seen_on-{part}", "") for part in ("year", "month", "day")]
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2])).isoformat()
    except ValueError:
        return ""


@bp.post("/cases/<int:case_id>/people/links")
def record_link(case_id: int):
    if get_db().session.get(Case, case_id) is None:
        abort(404)
    values = {name: (request.form.get(name) or "").strip() for name in LINK_FIELDS}
    on_refusal(lambda failure: _link_form(case_id, _errors(failure), values), ValidationFailed)
    go_back_to(url_for("people.case_page", case_id=case_id))
    data = {**values, "seen_on": _date_of(values)}
    run_in_transaction(places.record_association, case_id, data, g.actor)
    flash("Link recorded as possible. A decision maker confirms or rejects it below.", "success")
    return redirect(url_for("people.case_page", case_id=case_id) + "#links")


@bp.post("/cases/<int:case_id>/people/links/<int:association_id>/confirm")
def confirm_link(case_id: int, association_id: int):
    return _decide(case_id, lambda: run_in_transaction(places.decide_association, association_id, "confirm",
                                                       g.actor, case_id=case_id),
                   "Link confirmed: it now counts towards the exploitation flags.")


@bp.post("/cases/<int:case_id>/people/links/<int:association_id>/reject")
def reject_link(case_id: int, association_id: int):
    return _decide(case_id, lambda: run_in_transaction(places.decide_association, association_id, "reject",
                                                       g.actor, case_id=case_id),
                   "Link rejected: it will not count or be shown in anyone's network.")


@bp.get("/places/<int:place_id>")
def place(place_id: int):
    db = get_db()
    found = db.session.get(Place, place_id)
    if found is None:
        abort(404)
    today = now().date()
    children = place_children(db.session, place_id, g.actor, today)
    record(db.session, g.actor, "place.viewed", summary="Viewed a place",
           details={"place_id": place_id, "children": len({c.person_id for c in children})})
    return render_template("people/place.html", place=found, children=children, places=places)
