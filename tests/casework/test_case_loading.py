"""A request reads its case, subjects and contact once (app/casework/loading.py, issue 20): the memo that saves the
answer's second read never outlives its transaction, nor holds a contact deleted or missed since."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from app.casework.loading import case_with_contact
from app.intake.models import Contact
from tests.api.test_referral_walks import report


@contextmanager
def counting(db) -> Iterator[list[str]]:
    sent: list[str] = []

    def listener(_conn, _cursor, statement, *_):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def test_the_case_and_its_contact_are_read_once_per_transaction_and_afresh_in_the_next(api, db):
    case_id = report(api)
    with counting(db) as sent, db.unit_of_work(write=False) as session:
        case, contact = case_with_contact(session, case_id)
        assert case is not None and case.id == case_id and case.subjects
        assert contact is not None and contact.case_id == case_id
        assert len(sent) == 2  # BEGIN, then one read of the case, its subjects and its contact
        again = case_with_contact(session, case_id)
        assert again == (case, contact) and len(sent) == 2
    with counting(db) as sent, db.unit_of_work(write=False) as session:
        case_with_contact(session, case_id)
        assert len(sent) == 2  # a new transaction reads again


def test_a_contact_deleted_or_added_in_the_transaction_is_not_missed(api, db):
    case_id = report(api)
    with db.unit_of_work() as session:
        contact = case_with_contact(session, case_id)[1]
        assert contact is not None
        values = {column.key: getattr(contact, column.key) for column in Contact.__table__.columns
                  if column.key != "id"}
        session.delete(contact)
        assert case_with_contact(session, case_id)[1] is None
        session.flush()
        assert case_with_contact(session, case_id)[1] is None
        session.add(Contact(**values))
        found = case_with_contact(session, case_id)[1]
        assert found is not None and found.case_id == case_id
        session.rollback()
