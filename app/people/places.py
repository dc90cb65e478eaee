"""Places and associations: what contacts and agencies say links a child to an adult of concern or a place.

An association is recorded on a case (from the contact, an agency's return, or the hub's own finding) as
PROPOSED; a hub decision maker confirms or rejects it, as with a proposed person match, and only confirmed
ones count towards the exploitation flags (app/people/links.py). Audit details hold ids and codes only.

A place is found again rather than made twice: the same kind, name (ignoring case and spaces) and postcode
is the same place. A home is someone's address and so personal data; other places (a park, a takeaway,
a hotel) are not, and outlive the contacts that named them (app/people/retention.py).
"""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import Case, Subject
from app.core.actor import Actor
from app.core.clock import now
from app.core.codes import CHILD_ROLES
from app.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.core.roles import AGENCIES
from app.need_to_know.sight import sight_of
from app.people.models import Association, Person, Place
from app.people.names import family_key, given_key, postcode_of

#: Kinds of place, as the hub names them.
PLACE_KINDS = {"home": "Home address", "address": "Other address", "park": "Park or open space",
               "takeaway": "Takeaway or café", "hotel": "Hotel or short-let", "shop": "Shop",
               "transport": "Station or transport hub", "other": "Other place"}
#: Places that are someone's home: personal data, forgotten with the last association naming them.
HOME_KINDS = frozenset({"home"})
#: Kinds of link and how a page reads them: "<child> <label> <adult or place>".
ADULT_LINKS = {"seen-with": "seen with", "associates-with": "associates with",
               "exploiting": "suspected of being exploited by", "gifts": "given gifts, money or drugs by",
               "online": "in contact online with"}
PLACE_LINKS = {"found-at": "found at", "seen-at": "seen at", "frequents": "frequents", "taken-to": "taken to",
               "stays-at": "stays at"}
LINKS = {**ADULT_LINKS, **PLACE_LINKS}
#: Who said so: an agency, or the hub itself.
SOURCES = {"mash": "The MASH", **{agency: agency.replace("-", " ").capitalize() for agency in AGENCIES}}
STATUSES = {"proposed": "Possible – if confirmed", "confirmed": "Confirmed", "rejected": "Rejected"}

_SPACES = re.compile(r"\s+")


def name_key(name: str) -> str:
    return _SPACES.sub(" ", name.strip().lower())


def _text(data: dict, name: str, limit: int) -> str:
    value = data.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _whole(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 12:
        return int(value.strip())
    return None


def _seen_on(value: object, errors: list[FieldError]) -> date | None:
    try:
        seen = date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        seen = None
    if seen is None:
        errors.append(FieldError("seen_on", "Enter the date the link was seen, as a real date", "seen_on-day"))
    elif seen > now().date():
        errors.append(FieldError("seen_on", "The date seen must be today or in the past", "seen_on-day"))
    return seen


def _child(session: Session, case: Case, value: object, errors: list[FieldError]) -> Subject | None:
    subject_id = _whole(value)
    subject = next((s for s in case.subjects if s.id == subject_id), None)
    if subject is None or subject.role not in CHILD_ROLES:
        errors.append(FieldError("child_subject_id", "Select the child on this contact"))
        return None
    if subject.person_id is None:
        raise Conflict("This child's details were removed under the retention policy.")
    return subject


def _adult(session: Session, case: Case, data: dict, actor: Actor, errors: list[FieldError]) -> Person | None:
    """An adult on this contact, a person already in the index (by number), or a new person record by name."""
    subject_id, person_id = _whole(data.get("adult_subject_id")), _whole(data.get("adult_person_id"))
    if subject_id is not None:
        subject = next((s for s in case.subjects if s.id == subject_id and s.role not in CHILD_ROLES), None)
        if subject is None or subject.person_id is None:
            errors.append(FieldError("adult_subject_id", "Select an adult on this contact"))
            return None
        return session.get(Person, subject.person_id)
    if person_id is not None:
        person = session.get(Person, person_id)
        if person is None or not (person.given_name or person.family_name):
            errors.append(FieldError("adult_person_id", "There is no person with this number"))
        return person
    given, family = _text(data, "adult_given_name", 100), _text(data, "adult_family_name", 100)
    if not (given and family):
        errors.append(FieldError("adult_given_name", "Enter the adult's given and family name, or their person "
                                                     "number"))
        return None
    born = None
    if data.get("adult_date_of_birth"):
        try:
            born = date.fromisoformat(str(data["adult_date_of_birth"]))
        except ValueError:
            errors.append(FieldError("adult_date_of_birth", "The adult's date of birth must be a real date"))
    address = _text(data, "adult_address", 500) or None
    person = Person(given_name=given, family_name=family, date_of_birth=born, given_key=given_key(given),
                    family_key=family_key(family), address=address, postcode=postcode_of(address), created_at=now())
    if not errors:
        session.add(person)
        session.flush()
    return person


def _place(session: Session, data: dict, actor: Actor, errors: list[FieldError]) -> Place | None:
    place_id = _whole(data.get("place_id"))
    if place_id is not None:
        found = session.get(Place, place_id)
        if found is None:
            errors.append(FieldError("place_id", "There is no place with this number"))
        return found
    kind, name = data.get("place_kind"), _text(data, "place_name", 200)
    if kind not in PLACE_KINDS:
        errors.append(FieldError("place_kind", "Select what kind of place it is"))
    if not name:
        errors.append(FieldError("place_name", "Enter the place's name, or its address for a home"))
    address = _text(data, "place_address", 500) or None
    raw_postcode = _text(data, "place_postcode", 10)
    postcode = postcode_of(raw_postcode) or (raw_postcode.replace(" ", "").upper() or None)
    if postcode and len(postcode) > 8:
        errors.append(FieldError("place_postcode", "Enter a real postcode"))
    if errors:
        return None
    found = session.scalar(select(Place).where(Place.kind == kind, Place.name_key == name_key(name),
                                               Place.postcode.is_(None) if postcode is None
                                               else Place.postcode == postcode).order_by(Place.id).limit(1))
    if found is not None:
        return found
    place = Place(kind=kind, name=name, name_key=name_key(name), address=address, postcode=postcode,
                  description=_text(data, "place_description", 2000) or None, created_by=actor.username,
                  created_at=now())
    session.add(place)
    session.flush()
    return place


def _agency(data: dict, actor: Actor) -> str:
    """An agency practitioner speaks for their agency; the hub names the agency that said so (or itself)."""
    own = sorted(actor.roles & set(AGENCIES))
    if data.get("agency") in own:  # one of several agencies the practitioner works for (their return's)
        return str(data["agency"])
    if own:
        return own[0]
    given = data.get("agency")
    return given if isinstance(given, str) and given in SOURCES else "mash"


def record_association(session: Session, case_id: int, data: dict, actor: Actor) -> Association:
    """A child on ``case_id`` is linked to an adult of concern or a place: recorded as proposed."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("There is no such contact.")
    if not sight_of(session, actor, case_id, now()).shows("subjects"):
        raise NotFound("There is no such contact.")
    return link_child(session, case, data, actor)


def link_child(session: Session, case: Case, data: dict, actor: Actor) -> Association:
    """``record_association`` on a case the caller holds, without asking the reader's sight of it: for the links
    a contact or an agency's return names as it is stored (app/people/reported.py), whose sender may not read
    the case back. The same checks, the same proposed row, the same audit."""
    if case.anonymised_at is not None:
        raise Conflict("This contact was anonymised under the retention policy.")
    errors: list[FieldError] = []
    child = _child(session, case, data.get("child_subject_id"), errors)
    target = data.get("links_to")
    if target not in ("adult", "place"):
        errors.append(FieldError("links_to", "Select whether the child is linked to an adult or a place"))
    link = data.get("link")
    if target in ("adult", "place") and link not in (ADULT_LINKS if target == "adult" else PLACE_LINKS):
        errors.append(FieldError("link", "Select how the child is linked"))
    seen = _seen_on(data.get("seen_on"), errors)
    if errors:
        raise ValidationFailed(errors)
    adult = _adult(session, case, data, actor, errors) if target == "adult" else None
    place = _place(session, data, actor, errors) if target == "place" else None
    if errors or child is None or seen is None or (adult is None and place is None):
        raise ValidationFailed(errors or [FieldError("links_to", "Say who or where the child is linked to")])
    if adult is not None and adult.id == child.person_id:
        raise ValidationFailed([FieldError("adult_person_id", "A child cannot be linked to themselves")])
    row = Association(child_person_id=child.person_id, adult_person_id=adult.id if adult else None,
                      place_id=place.id if place else None, link=str(link), seen_on=seen, source_case_id=case.id,
                      agency=_agency(data, actor), status="proposed", recorded_by=actor.username,
                      recorded_at=now())
    session.add(row)
    session.flush()
    record(session, actor, "person.association-recorded", case_id=case.id, summary="Recorded a possible link",
           details={"association_id": row.id, "link": row.link, "agency": row.agency,
                    "adult_person_id": row.adult_person_id, "place_id": row.place_id})
    return row


def decide_association(session: Session, association_id: int, decision: str | None, actor: Actor, *,
                       case_id: int | None = None) -> Association:
    """A hub decision maker confirms or rejects a proposed link; the second of two at once gets a Conflict."""
    if decision not in ("confirm", "reject"):
        raise ValidationFailed([FieldError("decision", "Say whether to confirm or reject the link")])
    row = session.scalar(select(Association).where(Association.id == association_id).with_for_update()
                         .execution_options(populate_existing=True))
    if row is None or (case_id is not None and row.source_case_id != case_id):
        raise NotFound("There is no such link on this contact.")
    if row.status != "proposed":
        raise Conflict(f"{row.decided_by or 'Someone'} has already decided this link ({row.status}). "
                       "The page now shows the decision.")
    row.status = "confirmed" if decision == "confirm" else "rejected"
    row.decided_by, row.decided_at = actor.username, now()
    record(session, actor, f"person.association-{row.status}", case_id=row.source_case_id,
           summary=f"{row.status.capitalize()} a possible link",
           details={"association_id": row.id, "link": row.link})
    return row


def associations_export(session: Session, members: set[int]) -> list[dict]:
    """A person's links for a subject access export (their records ``members``), rejected ones too (the hub
    held them). The other adult is withheld; a home is someone's address and is withheld too; other places
    are named."""
    rows = list(session.scalars(select(Association).where(
        (Association.child_person_id.in_(members)) | (Association.adult_person_id.in_(members)))
        .order_by(Association.seen_on, Association.id)))
    places = {p.id: p for p in session.scalars(select(Place).where(
        Place.id.in_({r.place_id for r in rows if r.place_id is not None} or {-1})))}
    found = []
    for row in rows:
        place = places.get(row.place_id) if row.place_id is not None else None
        if place is not None and place.kind not in HOME_KINDS:
            other = f"{PLACE_KINDS.get(place.kind, place.kind)}: {place.name}"
        elif place is not None:
            other = "A home address (withheld)"
        elif row.child_person_id in members:
            other = "Another person (withheld)"
        else:
            other = "A child (withheld)"
        found.append({"link": row.link, "said": LINKS.get(row.link, row.link), "linked_to": other,
                      "seen_on": row.seen_on.isoformat(), "agency": row.agency, "status": row.status,
                      "recorded_at": row.recorded_at.isoformat(),
                      "withheld": place is None or place.kind in HOME_KINDS})
    return found
