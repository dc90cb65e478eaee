"""Write audit events. Callers pass their session so the event commits or rolls back with the action;
the event joins the hash chain when that session commits (app/audit/chain.py)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.audit.chain import PendingEvent, install, pending
from app.core.actor import Actor
from app.core.clock import now

install()  # every session that can record an event chains it at commit


def record(session: Session, actor: Actor, action: str, *, case_id: int | None = None, task_id: str | None = None,
           element_id: str | None = None, summary: str = "", details: dict | None = None,
           security: bool = False) -> PendingEvent:
    """Record one event. Summaries and details carry codes and ids, never personal data: the audit
    trail cannot be edited, so nothing in it can ever be anonymised.

    A ``security`` event (a refused token, a failed sign-in, a refused access) is kept even when the action
    it happened in is refused and rolled back: who tried what must stay on the record."""
    event = PendingEvent(at=now(), user_id=actor.user_id, username=actor.username, action=action, case_id=case_id,
                         task_id=task_id, element_id=element_id, summary=summary[:500], details=details or {},
                         kept_on_rollback=security)
    pending(session).append(event)
    return event
