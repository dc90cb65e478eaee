"""Remove one contact's personal data and keep the coded facts management information needs.

Kept: the case row's dates (received, decided, closed), source and channel, RAG initial and final and
every RAG change's from/to/when/by, consent position (coded), outcome, closure, immediate-risk flag,
each agency return's agency, nothing-known flag, handling restriction code and requested/due/returned
times, strategy discussion date, attendee agencies and outcome, feedback method and recipient codes,
every completed form's coded answers (choices from a fixed list and yes/no), deadlines, subject roles,
and the audit trail (which holds no personal data and is never changed).

Removed: subject names, dates of birth, NHS numbers and addresses, and the same in the person records
made for them (app/people/retention.py); the referrer's name, organisation, role, e-mail
and phone; the concern; every free-text answer (rationales, findings, notes, identities to protect,
summaries, actions); the decision rationale; and the serialized workflow, which holds all form data.
Dates of birth are dropped rather than reduced to a year: with a date of contact and a small area a
year of birth can single a child out, and no report needs it.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import Case, CompletedTask
from app.core.actor import Actor
from app.intake.models import Contact
from app.people.retention import forget_people
from app.process_models.registry import compiled_by_id
from app.retention.records import CASE_RECORDS, blank_value

#: What ``Case.state`` holds once anonymised. Nothing restores a closed case's workflow (completing a task
#: needs an open task, firing timers and re-rating need an open case), and ``anonymised_at`` says why it is empty.
ANONYMISED_STATE = ""

CONTACT_PERSONAL = ("referrer_name", "referrer_organisation", "referrer_role", "referrer_email", "referrer_phone",
                    "concern", "consent_reason", "received_at_reason", "idempotency_key", "idempotency_digest")
SUBJECT_PERSONAL = ("given_name", "family_name", "date_of_birth", "address", "nhs_number")


def anonymise_case(session: Session, case: Case, actor: Actor, *, at: datetime, policy: dict) -> dict[str, int]:
    """Anonymise one case in the caller's transaction and audit it there. Returns how many rows of each
    kind lost personal data (the audit event's details: counts only)."""
    removed: dict[str, int] = {"subjects": 0, "contact": 0, "completed_forms": 0}
    removed["people"] = forget_people(session, case, actor)
    for subject in case.subjects:
        _blank(subject, SUBJECT_PERSONAL)
        removed["subjects"] += 1
    contact = session.scalar(select(Contact).where(Contact.case_id == case.id))
    if contact is not None:
        _blank(contact, CONTACT_PERSONAL)
        removed["contact"] = 1
    forms = compiled_by_id(session, case.process_version_id).forms
    for task in session.scalars(select(CompletedTask).where(CompletedTask.case_id == case.id)):
        form = forms.get(task.form_key)
        task.data = coded_answers(task.data or {}, form.schema if form is not None else {})
        removed["completed_forms"] += 1
    for kind in CASE_RECORDS:
        rows = list(session.scalars(select(kind.model).where(kind.model.case_id == case.id)))
        for row in rows:
            _blank(row, kind.free_text)
        removed[kind.name] = len(rows)
    case.outcome_rationale = None
    case.state = ANONYMISED_STATE
    case.next_timer_due = None
    case.anonymised_at = at
    record(session, actor, "retention.anonymised", case_id=case.id, summary="Anonymised under the retention policy",
           details={"policy": policy, "removed": removed})
    return removed


def coded_answers(data: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """Only the answers picked from a fixed list (enums, yes/no, lists of enums): the facts reports count.
    Anything typed (text, dates, numbers, nested groups) goes, as does any answer the form does not declare."""
    properties = schema.get("properties", {})
    return {name: value for name, value in data.items()
            if name in properties and _is_coded(properties[name], value)}


def _is_coded(spec: Mapping[str, Any], value: Any) -> bool:
    if "const" in spec:
        return value == spec["const"]
    if "enum" in spec:
        return value in spec["enum"]
    if spec.get("type") == "boolean":
        return isinstance(value, bool)
    if spec.get("type") == "array" and isinstance(value, list):
        items = spec.get("items", {})
        return "enum" in items and all(item in items["enum"] for item in value)
    return False


def _blank(row, columns: tuple[str, ...]) -> None:
    for column in columns:
        setattr(row, column, blank_value(type(row), column))
