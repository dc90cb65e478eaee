"""Leavers' contact details: a deactivated user's e-mail address is removed once the retention period has run
from their leaving. Their name and username stay: the record must go on saying who did what."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.auth.models import User
from app.core.actor import Actor


def forget_leavers_details(session: Session, cutoff: datetime, actor: Actor) -> int:
    """Blank the e-mail of every account deactivated before ``cutoff`` and still inactive; how many."""
    leavers = list(session.scalars(select(User).where(
        User.is_active_user.is_(False), User.deactivated_at < cutoff, User.email.is_not(None))))
    for user in leavers:
        user.email = None
    if leavers:
        record(session, actor, "retention.leavers-details-removed", details={"users": len(leavers)})
    return len(leavers)
