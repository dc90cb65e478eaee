"""Which agencies are involved in a case, the fact an agency practitioner's sight of it turns on.

An agency is involved when its check was requested on the case (the screening's sharing record, an open
step in its lane, or its return), when a strategy discussion on the case recorded it as an attendee, or
when one of its users made the contact. Read from the records those steps write, so a redrawn diagram
keeps the rule.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import (
    JSON,
    BindParameter,
    CompoundSelect,
    Select,
    String,
    bindparam,
    cast,
    false,
    or_,
    select,
    type_coerce,
    union,
    union_all,
)
from sqlalchemy.orm import Session

from app.auth.models import UserRole
from app.cases.models import AgencyReturn, CompletedTask, StrategyDiscussion
from app.core.db import read_rows
from app.core.roles import AGENCIES
from app.inbox.models import OpenTask
from app.intake.models import Contact
from app.need_to_know.models import BreakGlassAccess
from app.sharing.models import SharingDecision

#: Roles involved in a case by a step in their lane, open or done, as an agency is (the MARAC coordinator sees
#: the cases referred to MARAC; the LADO the cases with an allegation; the missing children coordinator the missing
#: episodes).
STEP_ROLES: frozenset[str] = frozenset({"marac-coordinator", "lado", "missing-children"})
_INVOLVABLE = frozenset(AGENCIES) | STEP_ROLES


def involved_agencies(session: Session, case_id: int) -> frozenset[str]:
    """The agencies involved in one case, read in one statement (a case's sight is asked on every case answer)."""
    found: set[str] = set()
    for agency, listed in read_rows(session, _INVOLVED, {"case_id": case_id}):
        found.update((listed or ()) if agency is None else (agency,))
    return frozenset(found) & _INVOLVABLE


def _involved_statement() -> CompoundSelect:
    case_id: BindParameter[int] = bindparam("case_id")
    code, attendees = type_coerce(None, String).label("code"), type_coerce(None, JSON).label("attendees")
    return union_all(
        select(SharingDecision.recipient.label("code"), attendees).where(
            SharingDecision.case_id == case_id, SharingDecision.stage == "screening",
            SharingDecision.decision == "share"),
        select(OpenTask.role, attendees).where(OpenTask.case_id == case_id),
        select(AgencyReturn.agency, attendees).where(AgencyReturn.case_id == case_id),
        select(code, StrategyDiscussion.attendees).where(StrategyDiscussion.case_id == case_id),
        select(UserRole.role, attendees).join(Contact, Contact.created_by_id == UserRole.user_id)
        .where(Contact.case_id == case_id),
        select(CompletedTask.role, attendees).where(CompletedTask.case_id == case_id,
                                                    CompletedTask.role.in_(STEP_ROLES)),
    )


#: Built once: six selects cost more to build than to run.
_INVOLVED = _involved_statement()


def cases_involving(session: Session, agencies: Iterable[str], *, user_id: int | None = None,
                    at: datetime | None = None) -> Select:
    """The ids of every case any of these agencies is involved in (and, given a user and a time, the cases
    that user holds break-glass access to), as a subquery for lists and searches."""
    wanted = sorted(set(agencies) & _INVOLVABLE)
    # Attendees are a JSON list of agency codes: a code appears in its text as "code" (quotes included) on
    # SQLite and PostgreSQL alike, and no code is a quoted part of another.
    attended = or_(false(), *(cast(StrategyDiscussion.attendees, String).like(f'%"{code}"%') for code in wanted))
    return select(union(
        select(SharingDecision.case_id).where(SharingDecision.stage == "screening",
                                              SharingDecision.decision == "share",
                                              SharingDecision.recipient.in_(wanted)),
        select(OpenTask.case_id).where(OpenTask.role.in_(wanted)),
        select(AgencyReturn.case_id).where(AgencyReturn.agency.in_(wanted)),
        select(Contact.case_id).join(UserRole, UserRole.user_id == Contact.created_by_id)
        .where(UserRole.role.in_(wanted)),
        select(StrategyDiscussion.case_id).where(attended),
        select(CompletedTask.case_id).where(CompletedTask.role.in_(sorted(set(wanted) & STEP_ROLES))),
        select(BreakGlassAccess.case_id).where(BreakGlassAccess.user_id == user_id, BreakGlassAccess.expires_at > at)
        if user_id is not None and at is not None else select(BreakGlassAccess.case_id).where(false()),
    ).subquery().c[0])


def break_glass_open(session: Session, user_id: int | None, case_id: int, at: datetime) -> bool:
    """Whether this person holds exceptional access to the case now."""
    if user_id is None:
        return False
    return session.scalar(select(BreakGlassAccess.id).where(
        BreakGlassAccess.user_id == user_id, BreakGlassAccess.case_id == case_id,
        BreakGlassAccess.expires_at > at).limit(1)) is not None
