"""Record sharing decisions from the screening and decision forms, and the sending of the product (feedback).

Called from app.casework.recording inside the step's own transaction, so a decision is stored, and
audited, exactly when the step that made it commits. One row per recipient (golden rule 7: record
what was shared, with whom and why, and record decisions not to share as well). The audit events
carry codes and ids only; the reasons stay on the record.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import Case, CompletedTask
from app.core.actor import Actor
from app.core.bulk import insert_together
from app.core.lawful_bases import hub_lawful_bases
from app.core.memo import forget
from app.core.vocabulary import (
    AGENCIES_FIELD,
    CONSENT_GIVEN,
    CONSENT_NOT_SOUGHT,
    NOWHERE,
    PRODUCT_SENT_METHOD_FIELD,
    RECIPIENTS_FIELD,
)
from app.inbox.models import OpenTask
from app.sharing.models import SharingDecision
from app.sharing.product import build_product
from app.sharing.queries import LATEST_DISSEMINATION, case_facts, decided_not_sent


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


def record_decided_dissemination(session: Session, case: Case, task: OpenTask, data: dict, actor: Actor,
                                 at: datetime) -> None:
    """The decision maker's sharing decision (decision form): one row per recipient, decided and not yet sent.

    A decision made on a form without the sharing questions (a process version from before #18) records
    nothing here: its feedback step asks them instead (app.sharing.forms)."""
    if RECIPIENTS_FIELD not in data:
        return
    _store(session, case, task, actor, at, "dissemination", _dissemination_rows(data))


def record_dissemination(session: Session, case: Case, task: OpenTask, data: dict, actor: Actor,
                         at: datetime) -> Sent:
    """Business support sends what the decision maker decided: each recipient's row gets the product exactly
    as it left, and who sent it, when and how. Without a decision to carry out (a case decided before #18,
    or a blue contact that had no decision), the feedback form asked the sharing questions and the sender
    decides and sends in one step, as before."""
    pending = decided_not_sent(session, case.id)
    if not pending:
        rows = _dissemination_rows(data)
        _store(session, case, task, actor, at, "dissemination", rows)
        pending = rows
        note = data.get("dissemination_note")
    else:
        decided = session.get(CompletedTask, pending[0].task_id)
        note = decided.data.get("dissemination_note") if decided is not None else None
    facts = case_facts(session, case) if any(row.decision == "share" for row in pending) else None
    method = data.get(PRODUCT_SENT_METHOD_FIELD)
    for row in pending:
        row.sent_by, row.sent_at, row.sent_task_id = actor.username, at, task.task_id
        if facts is None or row.decision != "share" or row.recipient is None:
            continue
        product = build_product(facts, row.recipient, at)
        row.what_shared, row.withheld = list(product.what_shared), [vars(w) for w in product.withheld]
        row.identities_protected, row.product, row.sent_method = product.identities_protected, product.as_json(), method
        record(session, actor, "sharing.sent", case_id=case.id, task_id=task.task_id,
               summary=f"Information product sent to {row.recipient}",
               details={"decision_id": row.id, "recipient": row.recipient, "method": method,
                        "decided_by": row.decided_by, "withheld": len(row.withheld),
                        "identities_protected": row.identities_protected})
    session.flush()
    return Sent(recipients=[row.recipient for row in pending if row.decision == "share" and row.recipient]
                or [NOWHERE], note=note)


@dataclass(frozen=True)
class Sent:
    """What the feedback step sent, for the referrer-feedback record."""

    recipients: list[str]
    note: str | None


def _dissemination_rows(data: dict) -> list[SharingDecision]:
    """The rows of a sharing decision on the product (Article 6 basis stored whenever it leaves the hub,
    consent or not); the product itself is added when it is sent."""
    recipients = [r for r in data.get(RECIPIENTS_FIELD) or [] if r != NOWHERE]
    common = _legal_position(data, consent="sharing_consent", reason="sharing_consent_reason",
                             basis="sharing_lawful_basis", condition="sharing_special_category_condition",
                             sharing=bool(recipients))
    if not recipients:
        return [SharingDecision(recipient=None, decision="not-share", what_shared=[], **common)]
    informed = data.get("subject_informed")
    return [SharingDecision(
        recipient=recipient, decision="share", purpose=data.get("sharing_purpose"), what_shared=[],
        subject_informed=informed,
        subject_informed_reason=data.get("subject_informed_reason") if informed is False else None, **common)
        for recipient in recipients]


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
    forget(session, LATEST_DISSEMINATION)
    # their ids for the audit events, in one INSERT and without flushing the step's other changes (the case's)
    insert_together(session, rows, key=("recipient",))
    if any(row.id is None for row in rows):
        session.flush()
    for row in rows:
        summary = f"{stage.capitalize()}: " + (f"shared with {row.recipient}" if row.decision == "share"
                                               else "not shared")
        record(session, actor, "sharing.decided", case_id=case.id, task_id=task.task_id, summary=summary, details={
            "decision_id": row.id, "stage": stage, "decision": row.decision, "recipient": row.recipient,
            "consent": row.consent_status, "lawful_basis": row.lawful_basis_art6, "condition": row.condition_art9,
            "part3": row.law_enforcement_part3, "withheld": len(row.withheld),
            "identities_protected": row.identities_protected})
