"""The subject access export: everything the hub holds about one person, for the information governance
officer to review before disclosure (UK GDPR Art 15).

Withheld, and listed under ``redactions`` for that review (DPA 2018 Sch 2 para 16, information about
other people; the agency's own exemptions for restricted returns):
- identities an agency asked the hub to protect, wherever they appear in the export's text;
- the findings and notes of an agency return that protects identities or may not leave the hub without
  the agency's consent (the officer asks the agency);
- the referrer's identity and the other people named on the contact.
Redactions say where and why, never the withheld text, so the file can be handled like the disclosure.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.audit.operations import record
from app.auth.models import User
from app.cases.models import AgencyReturn, Case, CompletedTask, Subject
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import FieldError, ValidationFailed
from app.core.protected_identities import Redactor, protected_names
from app.intake.models import Contact
from app.lado.queries import allegations_about
from app.lado.retention import LADO_FORMS
from app.people.clusters import cluster_of, roots_for
from app.people.models import Person as IndexedPerson
from app.people.models import PersonMerge, PersonRelationship
from app.people.operations import RELATIONSHIPS
from app.people.places import associations_export
from app.retention.people import (
    EXACT,
    NAMES_ONLY,
    Person,
    SubjectMatch,
    named_only_in_the_index,
    subjects_matching,
)
from app.retention.records import CASE_RECORDS

PARA_16 = "Information about another person (DPA 2018 Sch 2 para 16): disclose only after review"
PROTECTED = "An agency asked the hub to protect this identity"
RESTRICTED = "The agency's return may not leave the hub without its consent: ask the agency"
WITHHELD = "[withheld]"
CONTACT_FIELDS = ("received_at", "received_at_reason", "channel", "source", "concern", "immediate_risk",
                  "consent_status", "consent_reason")
REFERRER_FIELDS = ("referrer_name", "referrer_organisation", "referrer_role", "referrer_email", "referrer_phone")
#: Columns of a queued message that say nothing about the person (app/notifications).
NOTIFICATION_BOOKKEEPING = ("recipient_user_id", "claimed_by", "claimed_until", "provider_ref", "digest_id",
                            "next_attempt_at", "erased_at")
#: A subject found because the hub confirmed, in the person index, that it is the same person.
PERSON_INDEX = "confirmed-in-person-index"
#: Agency return fields withheld when the return protects identities or is restricted to the hub.
RESTRICTED_FIELDS = ("findings", "restriction_note")


def person_from_request(body: dict) -> Person:
    """The person asked about, from the API body or the command line; refuses anything that could match wrongly."""
    errors: list[FieldError] = []
    names = {}
    for name in ("given_name", "family_name"):
        value = body.get(name)
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            errors.append(FieldError(name, f"Enter the person's {name.replace('_', ' ')} (up to 200 characters)"))
        names[name] = value if isinstance(value, str) else ""
    born = body.get("date_of_birth")
    date_of_birth = None
    if born not in (None, ""):
        with contextlib.suppress(ValueError):
            date_of_birth = date.fromisoformat(born) if isinstance(born, str) else None
        if date_of_birth is None:
            errors.append(FieldError("date_of_birth", "Enter the date of birth as YYYY-MM-DD"))
    unknown = set(body) - {"given_name", "family_name", "date_of_birth"}
    errors += [FieldError(name, "This field is not part of a subject access request") for name in sorted(unknown)]
    person = Person(names["given_name"].strip(), names["family_name"].strip(), date_of_birth)
    if not errors and not person.identifiable:
        errors.append(FieldError("given_name", "The names must contain letters"))
    if errors:
        raise ValidationFailed(errors)
    return person


def export_subject_access(session: Session, person: Person, actor: Actor) -> dict:
    """Build the export and audit it (counts and case ids only) in the caller's transaction."""
    matches: dict[int, list[SubjectMatch]] = {}
    found_by_name = subjects_matching(session, person)
    for found in found_by_name + _confirmed_elsewhere(session, found_by_name):
        matches.setdefault(found.subject.case_id, []).append(found)
    redactions: list[dict] = []
    cases = [_case_export(session, session.get_one(Case, case_id), found, redactions)
             for case_id, found in sorted(matches.items())]
    allegations = _allegations_export(session, person, redactions)
    person_index = _person_index_export(session, [m for found in matches.values() for m in found], redactions,
                                        named_only_in_the_index(session, person))
    names_only = sum(1 for c in cases if c["match"] == NAMES_ONLY)
    record(session, actor, "subject-access.exported", summary=f"Subject access export: {len(cases)} case(s)",
           details={"cases": len(cases), "case_ids": sorted(matches), "names_only_matches": names_only,
                    "redactions": len(redactions), "date_of_birth_given": person.date_of_birth is not None})
    return {
        "subject_access_export": {
            "generated_at": now().isoformat(), "generated_by": actor.username,
            "request": {"given_name": person.given_name, "family_name": person.family_name,
                        "date_of_birth": _json(person.date_of_birth)},
            "matching": "Names compared ignoring case, accents, punctuation and spacing, and the date of birth "
                        "when given. A 'names-only' match has no date of birth on one side: confirm it is this "
                        "person before disclosing. A 'confirmed-in-person-index' match is a contact the hub "
                        "confirmed is about the same person, under another spelling or date.",
            "notice": "For the information governance officer's review before disclosure. Information about "
                      "other people is withheld and listed under redactions.",
            "case_count": len(cases),
        },
        "cases": cases,
        "person_index": person_index,
        "lado_allegations": allegations,
        "redactions": redactions,
    }


def _confirmed_elsewhere(session: Session, found: list[SubjectMatch]) -> list[SubjectMatch]:
    """Subjects the person index holds as the same person (confirmed merges), however they were written."""
    person_ids = {m.subject.person_id for m in found if m.subject.person_id is not None}
    members: set[int] = set().union(*(cluster_of(session, person_id) for person_id in person_ids))
    seen = {m.subject.id for m in found}
    others: Iterable[Subject] = session.scalars(
        select(Subject).where(Subject.person_id.in_(members), Subject.id.not_in(seen))
        .order_by(Subject.case_id, Subject.position)) if members else []
    return [SubjectMatch(subject, PERSON_INDEX) for subject in others]


def _person_index_export(session: Session, found: list[SubjectMatch], redactions: list[dict],
                         named: Iterable[int] = ()) -> list[dict]:
    """What the person index holds about them: each record (every spelling and date a contact used), when
    records were merged or split, and their relationships and links (the other person withheld). ``named``:
    their records no contact's subject holds (an adult of concern a link named)."""
    person_ids = {m.subject.person_id for m in found if m.subject.person_id is not None} | set(named)
    exports: list[dict[str, Any]] = []
    for root in sorted(set(roots_for(session, person_ids).values())):
        members = cluster_of(session, root)
        path = f"person_index[{len(exports)}]"
        records = session.scalars(select(IndexedPerson).where(IndexedPerson.id.in_(members)).order_by(IndexedPerson.id))
        merges = session.scalars(select(PersonMerge).where(PersonMerge.person_id.in_(members)).order_by(PersonMerge.id))
        related = list(session.scalars(
            select(PersonRelationship).where((PersonRelationship.person_id.in_(members))
                                             | (PersonRelationship.related_person_id.in_(members)))
            .order_by(PersonRelationship.id)))
        for index, _ in enumerate(related):
            redactions.append({"reference": "person-index", "record": f"{path}.relationships[{index}]",
                               "field": "other person", "reason": PARA_16})
        links = associations_export(session, members)
        for index, link in enumerate(links):
            if link["withheld"]:
                redactions.append({"reference": "person-index", "record": f"{path}.associations[{index}]",
                                   "field": "other person or home", "reason": PARA_16})
        exports.append({
            "records": [_row(r, exclude=("id", "merged_into_id", "given_key", "family_key")) for r in records],
            "merges": [{"merged_at": _json(m.merged_at), "merged_by": m.merged_by, "unmerged_at": _json(m.unmerged_at),
                        "unmerged_by": m.unmerged_by} for m in merges],
            "relationships": [_relationship(r, members) for r in related],
            "associations": links,
        })
    return exports


def _relationship(row: PersonRelationship, members: set[int]) -> dict:
    label = RELATIONSHIPS.get(row.relationship, row.relationship)
    said = (f"This person is {label} another person" if row.person_id in members
            else f"Another person is {label} this person")
    return {"relationship": row.relationship, "said": said, "recorded_at": _json(row.recorded_at)}


def _case_export(session: Session, case: Case, found: list[SubjectMatch], redactions: list[dict]) -> dict:
    ref = case.reference
    redact = lambda record_, field, reason: redactions.append(  # noqa: E731
        {"reference": ref, "record": record_, "field": field, "reason": reason})
    mine = {m.subject.id for m in found}
    others = [s for s in case.subjects if s.id not in mine]
    for subject in others:
        redact(f"subjects[{subject.position}]", "name, date of birth, address", PARA_16)
    returns = list(session.scalars(select(AgencyReturn).where(AgencyReturn.case_id == case.id)
                                   .order_by(AgencyReturn.id)))
    withheld_tasks = {r.task_id: PROTECTED if r.third_parties_to_protect else RESTRICTED
                      for r in returns if r.third_parties_to_protect or r.handling_restriction != "none"}
    protected = protected_names(r.third_parties_to_protect for r in returns)

    export: dict[str, Any] = {
        "reference": ref,
        "match": next(kind for kind in (EXACT, PERSON_INDEX, NAMES_ONLY) if any(m.match == kind for m in found)),
        **{name: _json(getattr(case, name)) for name in (
            "status", "received_at", "closed_at", "closure", "outcome", "outcome_rationale", "strategy_outcome",
            "rag_initial", "rag", "consent", "immediate_risk", "decided_at", "decided_by")},
        "subject": [_row(m.subject, exclude=("id", "case_id")) for m in found],
        "other_people_named": [{"role": s.role} for s in others],
    }
    contact = session.scalar(select(Contact).where(Contact.case_id == case.id))
    if contact is not None:
        export["contact"] = {name: _json(getattr(contact, name)) for name in CONTACT_FIELDS}
        if any(getattr(contact, name) for name in REFERRER_FIELDS):
            redact("contact", "referrer", PARA_16)
    for kind in CASE_RECORDS:
        if not kind.in_subject_access:
            continue
        rows = session.scalars(select(kind.model).where(kind.model.case_id == case.id).order_by(kind.model.id))
        export[kind.name] = [_row(row, exclude=("id", "case_id", "task_id")) for row in rows]
    for index, row in enumerate(export["agency_returns"]):
        source = returns[index]
        if source.third_parties_to_protect:
            redact(f"agency_returns[{index}]", "third_parties_to_protect", PROTECTED)
        row.pop("third_parties_to_protect", None)
        if source.task_id in withheld_tasks:
            for name in RESTRICTED_FIELDS:
                if row.get(name):
                    redact(f"agency_returns[{index}]", name, withheld_tasks[source.task_id])
                    row[name] = WITHHELD
    for index, row in enumerate(export.get("professional_disagreements", [])):
        if row.get("raised_by_role") == "referrer":  # the referrer's identity, as on the contact
            redact(f"professional_disagreements[{index}]", "raised_by", PARA_16)
            row["raised_by"], row["raised_by_agency"] = WITHHELD, None
    for index, row in enumerate(export.get("notifications", [])):
        # What the hub's messages said about the case; who received them (staff, partners, the referrer) is
        # another person's data, and the sender's bookkeeping is nobody's.
        if row.get("to_address"):
            redact(f"notifications[{index}]", "to_address", PARA_16)
            row["to_address"] = WITHHELD
        for name in NOTIFICATION_BOOKKEEPING:
            row.pop(name, None)
    export["completed_forms"] = []
    tasks = session.scalars(select(CompletedTask).where(CompletedTask.case_id == case.id)
                            .order_by(CompletedTask.completed_at))
    for index, task in enumerate(tasks):
        data = dict(task.data or {})
        data.pop("third_parties_to_protect", None)
        if task.form_key in LADO_FORMS:  # the LADO's record of a person who works with children: not the child's
            data = dict.fromkeys(data, WITHHELD)
            redact(f"completed_forms[{index}]", "the LADO's record of an allegation", PARA_16)
        if task.task_id in withheld_tasks:
            for name in RESTRICTED_FIELDS:
                if data.get(name):
                    data[name] = WITHHELD
                    redact(f"completed_forms[{index}]", name, withheld_tasks[task.task_id])
        export["completed_forms"].append({"name": task.name, "form": task.form_key, "completed_by": task.completed_by,
                                          "completed_at": _json(task.completed_at), "answers": data})
    export["viewed_by"] = [
        {"at": _json(at), "username": username, "agency": agency, "action": action}
        for at, username, agency, action in session.execute(
            select(AuditEvent.at, AuditEvent.username, User.agency, AuditEvent.action)
            .outerjoin(User, User.id == AuditEvent.user_id)
            .where(AuditEvent.case_id == case.id, AuditEvent.action.like("%.viewed"))
            .order_by(AuditEvent.id))]
    if protected:
        export = _scrub(export, Redactor(protected, WITHHELD),
                        lambda path: redact(path, "text naming a protected identity", PROTECTED))
    return export


def _allegations_export(session: Session, person: Person, redactions: list[dict]) -> list[dict]:
    """The LADO's records of allegations about this person (app/lado): theirs to see, the employer's safeguarding
    lead withheld; the allegation's text may name the child, for the officer's review."""
    exports = []
    for index, row in enumerate(allegations_about(session, person.given_name, person.family_name,
                                                  person.date_of_birth)):
        exported = _row(row, exclude=("id", "case_id", "lead_name", "lead_contact", "recorded_by"))
        redactions.append({"reference": row.reference, "record": f"lado_allegations[{index}]",
                           "field": "the employer's safeguarding lead", "reason": PARA_16})
        exports.append(exported)
    return exports


def _scrub(value: Any, redactor: Redactor, on_redact, path: str = "") -> Any:
    """Replace every protected identity in the export's text, reporting where."""
    if isinstance(value, dict):
        return {key: _scrub(item, redactor, on_redact, f"{path}.{key}" if path else key) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, redactor, on_redact, f"{path}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, str):
        scrubbed = redactor(value)
        if scrubbed != value:
            on_redact(path)
        return scrubbed
    return value


def _row(row, *, exclude: tuple[str, ...]) -> dict:
    return {column.name: _json(getattr(row, column.key))
            for column in row.__table__.columns if column.name not in exclude}


def _json(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value
