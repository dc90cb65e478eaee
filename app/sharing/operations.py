"""Record sharing decisions from the screening and dissemination (feedback) forms.

Called from app.casework.recording inside the step's own transaction, so a decision is stored, and
audited, exactly when the step that made it commits. One row per recipient (golden rule 7: record
what was shared, with whom and why, and record decisions not to share as well). The audit events
carry codes and ids only; the reasons stay on the record.
"""
from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import Case
from app.core.actor import Actor
from app.core.lawful_bases import hub_lawful_bases
from app.core.vocabulary import AGENCIES_FIELD, CONSENT_GIVEN, CONSENT_NOT_SOUGHT
from app.inbox.models import OpenTask
from app.sharing.models import SharingDecision
from app.sharing.product import build_product
from app.sharing.queries import case_facts

NOWHERE = "none"


def record_screening(session: Session, case: Case, task: OpenTask, data: dict, actor: Actor, at: datetime, *,
                     asked: Collection[str]) -> None:
    """Asking partner agencies for checks shares the contact with each of them.

    Who is asked is the diagram's decision, not the form's: ``asked`` is the agencies whose check tasks
    the screening step opened (a blue rating opens none, whatever was ticked). Rows follow the order the
    screener chose them in.
    """
    chosen = list(data.get(AGENCIES_FIELD) or [])
    agencies = [a for a in chosen if a in asked] + [a for a in asked if a not in chosen]
    shared = ["contact-summary", "subjects"] + (["questions"] if data.get("questions_for_agencies") else [])
    common = _legal_position(data, consent="consent", reason="consent_reason", basis="lawful_basis",
                             condition="special_category_condition", sharing=bool(agencies))
    rows = [SharingDecision(recipient=agency, decision="share", what_shared=shared, **common) for agency in agencies]
    if not rows:
        rows = [SharingDecision(recipient=None, decision="not-share", what_shared=[], **common)]
    _store(session, case, task, actor, at, "screening", rows)


def record_dissemination(session: Session, case: Case, task: OpenTask, data: dict, actor: Actor, at: datetime) -> None:
    """Each recipient of the information product gets a record with the product exactly as it left."""
    recipients = [r for r in data.get("information_product_recipients") or [] if r != NOWHERE]
    common = _legal_position(data, consent="sharing_consent", reason="sharing_consent_reason",
                             basis="sharing_lawful_basis", condition="sharing_special_category_condition",
                             sharing=bool(recipients))
    rows = []
    if recipients:
        informed = data.get("subject_informed")
        facts = case_facts(session, case)
        for recipient in recipients:
            product = build_product(facts, recipient, at)
            rows.append(SharingDecision(
                recipient=recipient, decision="share", purpose=data.get("sharing_purpose"),
                what_shared=list(product.what_shared), withheld=[vars(w) for w in product.withheld],
                identities_protected=product.identities_protected, subject_informed=informed,
                subject_informed_reason=data.get("subject_informed_reason") if informed is False else None,
                product=product.as_json(), **common))
    else:
        rows.append(SharingDecision(recipient=None, decision="not-share", what_shared=[], **common))
    _store(session, case, task, actor, at, "dissemination", rows)


def _legal_position(data: dict, *, consent: str, reason: str, basis: str, condition: str, sharing: bool) -> dict:
    """Consent, reason and bases as the form gave them. A reason without consent is kept only when
    something was shared: it answers "why without consent", which a decision not to share never asks."""
    bases = hub_lawful_bases()
    status = data.get(consent, CONSENT_NOT_SOUGHT)
    basis_code, condition_code = data.get(basis), data.get(condition)
    return {
        "consent_status": status,
        "reason_without_consent": data.get(reason) if sharing and status != CONSENT_GIVEN else None,
        "lawful_basis_art6": basis_code,
        "condition_art9": condition_code,
        "law_enforcement_part3": "part3" in (bases.kind_of(basis_code), bases.kind_of(condition_code)),
    }


def _store(session: Session, case: Case, task: OpenTask, actor: Actor, at: datetime, stage: str,
           rows: list[SharingDecision]) -> None:
    for row in rows:
        row.case_id, row.task_id, row.stage = case.id, task.task_id, stage
        row.decided_by, row.decided_at = actor.username, at
        row.withheld = row.withheld or []
        row.identities_protected = row.identities_protected or 0
        session.add(row)
    session.flush()
    for row in rows:
        summary = f"{stage.capitalize()}: " + (f"shared with {row.recipient}" if row.decision == "share"
                                               else "not shared")
        record(session, actor, "sharing.decided", case_id=case.id, task_id=task.task_id, summary=summary, details={
            "decision_id": row.id, "stage": stage, "decision": row.decision, "recipient": row.recipient,
            "consent": row.consent_status, "lawful_basis": row.lawful_basis_art6, "condition": row.condition_art9,
            "part3": row.law_enforcement_part3, "withheld": len(row.withheld),
            "identities_protected": row.identities_protected})
