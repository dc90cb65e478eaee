"""The case a request works on, read once with what every answer about it shows (issue 20).

A completion reads its case to step it, and its answer shows the case's contact (the concern, the referrer); a
task's or a case's answer reads both too. One read of the case, its subjects and its contact serves them all:
the contact is kept in the transaction's memo (app.core.memo), so the answer after a step does not read it again.
"""
from __future__ import annotations

from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import Session, joinedload

from app.cases.models import Case
from app.core.memo import memo
from app.intake.models import Contact

#: app.core.memo: case id -> its contact (None: it has none), as read with the case in this transaction.
CONTACTS = "case_contact"


def case_with_contact(session: Session, case_id: int) -> tuple[Case | None, Contact | None]:
    """The case with its subjects, and its contact, in one read (none read again in this transaction)."""
    held = memo(session, CONTACTS)
    if case_id in held and _still_holds(session, case_id, held[case_id]):
        return session.get(Case, case_id, options=[joinedload(Case.subjects)]), held[case_id]
    found = session.execute(_CASE_WITH_CONTACT, {"case_id": case_id}).unique().first()
    if found is None:
        held.pop(case_id, None)
        return None, None
    case, contact = found
    held[case_id] = contact
    return case, contact


#: Built once: every request about a case starts with it.
_CASE_WITH_CONTACT = (select(Case, Contact).outerjoin(Contact, Contact.case_id == Case.id)
                      .where(Case.id == bindparam("case_id")).options(joinedload(Case.subjects)))


def _still_holds(session: Session, case_id: int, contact: Contact | None) -> bool:
    """Whether the remembered contact is still the case's: not deleted since, and none added since it had none."""
    if contact is None:
        return not any(isinstance(row, Contact) and row.case_id == case_id for row in session.new)
    state = inspect(contact)
    return not (state.deleted or state.detached or contact in session.deleted)
