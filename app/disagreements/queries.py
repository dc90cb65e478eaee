"""Reading a case's professional disagreements as the reader may: decision makers and the operations manager
read all of them, whole; anyone else who may raise one reads those they raised, without the hub's reasoning."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.authorisation import DECISION_RECORD_ROLES
from app.cases.models import Case
from app.core.actor import Actor
from app.core.errors import NeedToKnow
from app.disagreements.models import ProfessionalDisagreement
from app.disagreements.operations import raising_role

#: What someone who raised a disagreement reads of it (the hub's reasoning is the decision makers').
RAISER_FIELDS = ("id", "case_id", "raised_by_role", "disputed", "view", "created_at", "status", "resolution",
                 "resolved_at")


def reads_every_disagreement(actor: Actor) -> bool:
    return bool(actor.roles & DECISION_RECORD_ROLES)


def disagreements_on(session: Session, case_id: int, actor: Actor) -> list[ProfessionalDisagreement]:
    """The case's disagreements this reader may read, oldest first; NeedToKnow when they may neither read
    every one nor raise one on this case."""
    if session.get(Case, case_id) is None:
        raise NeedToKnow()
    query = select(ProfessionalDisagreement).where(ProfessionalDisagreement.case_id == case_id)
    if not reads_every_disagreement(actor):
        if raising_role(session, actor, case_id) is None:
            raise NeedToKnow()
        query = query.where(ProfessionalDisagreement.raised_by == actor.username)
    return list(session.scalars(query.order_by(ProfessionalDisagreement.id)))


def disagreement_json(row: ProfessionalDisagreement, whole: bool) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "id": row.id, "case_id": row.case_id, "task_id": row.task_id, "raised_by": row.raised_by,
        "raised_by_role": row.raised_by_role, "raised_by_agency": row.raised_by_agency, "disputed": row.disputed,
        "rag_at_raising": row.rag_at_raising, "outcome_at_raising": row.outcome_at_raising, "view": row.view,
        "created_at": row.created_at.isoformat(), "status": "open" if row.open else "resolved",
        "resolution": row.resolution, "resolution_rationale": row.resolution_rationale,
        "changed_to": row.changed_to, "escalated_to": row.escalated_to,
        "disputing_party_told": row.disputing_party_told,
        "resolved_by": row.resolved_by, "resolved_at": row.resolved_at.isoformat() if row.resolved_at else None,
    }
    return answer if whole else {name: answer[name] for name in RAISER_FIELDS}
