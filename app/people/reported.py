"""Links a contact or an agency's return names as it arrives: "Child 2 was seen at the Chicken Spot takeaway".

Each row of the ``links`` array (forms/contact.json, forms/agency_check.json) names a child of the case by
position among its children ("Child 1" is the first child named, whatever the rows of adults around it), the
adult of concern or the place, the kind of link and the day it was seen. Each becomes a proposed association
through the same checks as one recorded from the case page (app.people.places.link_child), in the caller's
transaction: a wrong row refuses the whole contact or return, with each problem on its row's field
(``links.0.link``), and nothing is stored.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from app.cases.models import Case, Subject
from app.core.actor import Actor
from app.core.codes import CHILD_ROLES, SOURCE_AGENCY
from app.core.errors import FieldError, ValidationFailed
from app.people.models import Association
from app.people.places import SOURCES, link_child

#: The form's array of links.
LINKS_FIELD = "links"
#: A row's child: 1 for the first child named on the contact.
CHILD_FIELD = "child"
#: The row's fields record_association reads under the same names.
ROW_FIELDS = ("links_to", "link", "adult_given_name", "adult_family_name", "adult_date_of_birth", "adult_address",
              "place_kind", "place_name", "place_address", "place_postcode", "seen_on")
DATE_FIELDS = frozenset({"adult_date_of_birth", "seen_on"})


def children_of(case: Case) -> list[Subject]:
    """The case's children in the order they were named: a row's ``child`` counts from 1 along this list."""
    return sorted((s for s in case.subjects if s.role in CHILD_ROLES), key=lambda s: s.position)


def agency_of_source(source: object) -> str:
    """Who a contact's links are from when its sender speaks for no agency: the agency its census source counts
    as (a school: education), or the hub."""
    agency = SOURCE_AGENCY.get(source) if isinstance(source, str) else None
    return agency if agency in SOURCES else "mash"


def record_reported_links(session: Session, case: Case, rows: object, actor: Actor, *,
                          agency: str) -> list[Association]:
    """Every row as a proposed association on ``case`` from ``agency``; every wrong row's problems at once."""
    if not isinstance(rows, Sequence) or isinstance(rows, str | bytes) or not rows:
        return []
    children = children_of(case)
    recorded, errors = [], []
    for index, row in enumerate(rows):
        prefix = f"{LINKS_FIELD}.{index}."
        if not isinstance(row, dict):
            errors.append(FieldError(f"{LINKS_FIELD}.{index}", "Each link must be an object"))
            continue
        child = _child(children, row.get(CHILD_FIELD))
        data: dict[str, Any] = {name: row[name] for name in ROW_FIELDS if name in row}
        try:
            recorded.append(link_child(session, case, {**data, "child_subject_id": child.id if child else None,
                                                       "agency": agency}, actor))
        except ValidationFailed as refused:
            errors.extend(_on_row(prefix, error, len(children)) for error in refused.errors)
    if errors:
        raise ValidationFailed(errors)
    return recorded


def _child(children: list[Subject], position: object) -> Subject | None:
    if isinstance(position, bool) or not isinstance(position, int) or not 1 <= position <= len(children):
        return None
    return children[position - 1]


def _on_row(prefix: str, error: FieldError, children: int) -> FieldError:
    """A problem record_association found, on the row's own field."""
    if error.field == "child_subject_id":
        message = ("Select which child is linked: Child 1 is the first child named in the contact"
                   if children else "Name the child in the contact before linking them")
        return FieldError(prefix + CHILD_FIELD, message)
    field = prefix + (error.field or "links_to")
    # The error summary's link lands on the row's own input: a date's first box.
    anchor = field.replace(".", "-") + ("-day" if error.field in DATE_FIELDS else "")
    return FieldError(field, error.message, anchor)
