"""Write audit events. Callers pass their session so the event commits or rolls back with the action."""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.core.actor import Actor
from app.core.clock import now


def record(session: Session, actor: Actor, action: str, *, case_id: int | None = None, task_id: str | None = None,
           element_id: str | None = None, summary: str = "", details: dict | None = None) -> AuditEvent:
    event = AuditEvent(at=now(), user_id=actor.user_id, username=actor.username, action=action, case_id=case_id,
                       task_id=task_id, element_id=element_id, summary=summary[:500], details=details or {})
    session.add(event)
    return event
