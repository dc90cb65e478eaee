"""Break glass: out of hours or in an emergency, a hub member not involved in a case opens it by giving a
reason. The access is exceptional, audited, lasts one shift and waits for review the next working day."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import Case
from app.core.actor import Actor
from app.core.errors import Conflict, FieldError, Forbidden, NeedToKnow, NotFound, ValidationFailed
from app.need_to_know.models import BreakGlassAccess
from app.need_to_know.sight import rules_of, sight_of

#: Coded reasons (the audit trail carries the code; the person's own words stay with the access record).
REASONS: dict[str, str] = {
    "immediate-risk": "A child may be at immediate risk",
    "out-of-hours": "Out of hours: the involved agency cannot be reached",
    "emergency-services": "Asked by the emergency services",
    "other": "Another reason (explain)",
}
#: How long one break-glass access lasts: a shift, not for ever.
LASTS = timedelta(hours=12)
REVIEW_OUTCOMES: dict[str, str] = {"appropriate": "Appropriate",
                                   "not-appropriate": "Not appropriate: raised with the person's manager"}


def open_break_glass(session: Session, actor: Actor, reference: str, reason: str, explanation: str,
                     at: datetime) -> tuple[Case, BreakGlassAccess | None]:
    """Open the case with this reference for ``actor``; None as the access when they may see it anyway."""
    errors = []
    if not reference.strip():
        errors.append(FieldError("reference", "Enter the case reference"))
    if reason not in REASONS:
        errors.append(FieldError("reason", "Select why you need to open this case"))
    if reason == "other" and not explanation.strip():
        errors.append(FieldError("explanation", "Explain why you need to open this case"))
    if len(explanation) > 2000:
        errors.append(FieldError("explanation", "The explanation must be 2,000 characters or fewer"))
    if errors:
        raise ValidationFailed(errors)
    if not rules_of(actor):
        raise Forbidden("Your role does not open cases.")
    case = session.scalar(select(Case).where(Case.reference == reference.strip().upper()))
    if case is None:
        raise ValidationFailed([FieldError("reference", "There is no case with this reference")])
    try:
        sight_of(session, actor, case.id, at)
        return case, None
    except NeedToKnow:
        pass
    access = BreakGlassAccess(case_id=case.id, user_id=actor.user_id, username=actor.username, reason=reason,
                              explanation=explanation.strip() or None, opened_at=at, expires_at=at + LASTS)
    session.add(access)
    session.flush()
    record(session, actor, "access.break-glass", case_id=case.id, summary=f"Exceptional access: {REASONS[reason]}",
           details={"reason": reason, "break_glass": access.id})
    return case, access


def awaiting_review(session: Session, limit: int = 200) -> list[tuple[BreakGlassAccess, str | None]]:
    """Every break-glass access not reviewed yet, oldest first, with its case reference."""
    return [tuple(row) for row in session.execute(  # type: ignore[misc]
        select(BreakGlassAccess, Case.reference).join(Case, Case.id == BreakGlassAccess.case_id)
        .where(BreakGlassAccess.reviewed_at.is_(None)).order_by(BreakGlassAccess.id).limit(limit))]


def review(session: Session, access_id: int, outcome: str, actor: Actor, at: datetime) -> BreakGlassAccess:
    access = session.get(BreakGlassAccess, access_id)
    if access is None:
        raise NotFound("There is no such exceptional access.")
    if outcome not in REVIEW_OUTCOMES:
        raise ValidationFailed([FieldError(f"outcome-{access_id}", "Select whether the access was appropriate")])
    if access.reviewed_at is not None:
        raise Conflict(f"{access.reviewed_by} has already reviewed this access.")
    access.reviewed_at, access.reviewed_by, access.review_outcome = at, actor.username, outcome
    record(session, actor, "access.break-glass-reviewed", case_id=access.case_id,
           details={"break_glass": access.id, "outcome": outcome, "user": access.username})
    return access
