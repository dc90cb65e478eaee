"""Receive an allegation against a person who works with children: the child's contact and case (the children are
its subjects), the LADO's own record of the person and the allegation (app/lado, kept apart from the child's), and
the lado_allegation process. The case data carries none of the allegation's details (docs/process-contract.md)."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import Case
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import FieldError, ValidationFailed
from app.forms import FormDefinition
from app.intake.case_data import begin, contact_data, named_person, new_case, pathway_form, validated
from app.intake.contact_types import ALLEGATION
from app.intake.models import Contact
from app.lado.recording import allegation_row
from app.people.intake import index_subjects

#: The contact's source (children in need census codes) by the employer's sector; anyone else is "other" (8).
SOURCE_BY_SECTOR = {"education": "2A", "early-years": "2B", "health": "3F", "social-care": "5A", "police": "6"}
OTHER_SOURCE = "8"
#: What the child's contact says: the allegation's details are the LADO's alone.
CONCERN = "An allegation against a person who works with children. The LADO holds the details."
CONSENT_REASON = ("An allegation against a person who works with children: the LADO is told within one working day, "
                  "without asking the family first (Working Together).")


def allegation_form(session: Session) -> FormDefinition:
    """The allegation form of the current lado_allegation process version (the page and the API)."""
    return pathway_form(session, ALLEGATION)[1]


def receive_allegation(session: Session, payload: dict[str, Any], actor: Actor, *, channel: str,
                       idempotency_key: str | None, digest: str | None, start: bool) -> Case:
    """Store a validated allegation, the child's case and the LADO's record, and start (or store) the process."""
    version, form = validated(session, ALLEGATION, payload)
    received_at = now()
    noticed = date.fromisoformat(payload["allegation"]["came_to_notice_on"])
    if noticed > received_at.date():
        raise ValidationFailed([FieldError("allegation.came_to_notice_on", "The date you first knew of it must be "
                                           "today or in the past", form.anchor("allegation.came_to_notice_on"))])
    children = [{"role": "child", **named_person(child), "nhs_number": None} for child in payload["children"]]
    case, work = new_case(session, children, version_id=version.id, received_at=received_at, immediate_risk=False)
    referrer, person = payload["referrer"], payload["person"]
    source = SOURCE_BY_SECTOR.get(person["sector"], OTHER_SOURCE)
    session.add(Contact(
        case_id=case.id, source=source, channel=channel, referrer_name=referrer["name"].strip(),
        referrer_organisation=referrer["organisation"].strip(),
        referrer_role=(referrer.get("role") or "").strip() or None,
        referrer_email=(referrer.get("email") or "").strip() or None,
        referrer_phone=(referrer.get("phone") or "").strip() or None, concern=CONCERN, immediate_risk=False,
        consent_status="not-sought", consent_reason=CONSENT_REASON, created_by_id=actor.user_id,
        idempotency_key=idempotency_key, idempotency_digest=digest, received_at=received_at, type=ALLEGATION.name))
    allegation = allegation_row(case.id, "contact", person, payload["allegation"], payload["safeguarding_lead"],
                                received_at, actor.username)
    session.add(allegation)
    session.flush()
    allegation.reference = f"LADO-{received_at:%Y}-{allegation.id:06d}"
    record(session, actor, "contact.received", case_id=case.id, summary=f"Contact {case.reference} received",
           details={"channel": channel, "source": source, "type": ALLEGATION.name, "sector": person["sector"]})
    index_subjects(session, case, actor)
    # No MASH decision (``outcome`` empty): lado.bpmn reads it to know the allegation came as a contact, its details
    # recorded.
    data = contact_data(case, received_at=received_at, source=source, immediate_risk=False, work=work)
    begin(session, case, data, actor, start=start)
    return case
