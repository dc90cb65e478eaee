"""A step's new rows of one kind in one INSERT (app/core/bulk.py): ids, the session's own rows, NULL kept NULL."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event, func, inspect, select

from app.core.bulk import insert_together
from app.core.db import get_db
from app.sharing.models import SharingDecision
from tests.api.test_referral_walks import report


def _row(case_id: int, recipient: str | None) -> SharingDecision:
    return SharingDecision(case_id=case_id, task_id="t-1", stage="screening", decision="share", recipient=recipient,
                           what_shared=["subjects"], withheld=[], consent_status="given", decided_by="someone",
                           decided_at=datetime(2027, 1, 4, 9, tzinfo=UTC))


def test_new_rows_are_written_in_one_statement_and_kept_as_the_sessions_own(api):
    case_id = report(api)
    db = get_db()
    with db.unit_of_work() as session:
        rows = [_row(case_id, "police"), _row(case_id, "health"), _row(case_id, None)]
        sent: list[str] = []

        def count(_conn, _cursor, statement, *_):
            sent.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        insert_together(session, rows, key=("recipient",))
        event.remove(db.engine, "before_cursor_execute", count)
        assert len([s for s in sent if s.startswith("INSERT")]) == 1
        assert all(inspect(row).persistent and row.id is not None for row in rows)
        assert len({row.id for row in rows}) == 3
        assert session.get(SharingDecision, rows[1].id) is rows[1]  # no read: the session's own row
        assert (rows[0].identities_protected, rows[0].law_enforcement_part3) == (0, False)  # the columns' defaults
        ids = {row.recipient: row.id for row in rows}
    with db.unit_of_work() as session:
        stored = {row.recipient: row.id for row in session.scalars(select(SharingDecision).where(
            SharingDecision.task_id == "t-1"))}
        assert stored == ids  # each id is its own row's
        # a None in a JSON column is SQL NULL, as the ORM writes it (not the JSON text 'null')
        assert session.scalar(select(func.count()).select_from(SharingDecision).where(
            SharingDecision.task_id == "t-1", SharingDecision.product.is_(None))) == 3


def test_a_row_relying_on_a_computed_default_is_written_with_that_default_not_null(api):
    from app.notifications.models import Notification

    case_id = report(api)
    db = get_db()
    with db.unit_of_work() as session:
        rows = [Notification(kind="task-opened", channel="email", to_address="", case_id=case_id, task_id="t-2",
                             recipient_user_id=None, template_id=None, created_at=datetime(2027, 1, 4, 9, tzinfo=UTC))]
        # fields left to its default (dict)
        insert_together(session, rows, key=("task_id", "recipient_user_id"))
        session.flush()
        row_id = rows[0].id
    with db.unit_of_work() as session:
        assert session.get(Notification, row_id).fields == {}


def test_the_insert_is_compiled_once_and_reused_whatever_the_rows_values(api):
    """A multi-row INSERT with the values inside the statement is compiled anew at every step: the app's rows
    are sent as parameters of one statement the cache holds."""
    case_id = report(api)
    db = get_db()
    hits: list[object] = []

    def cached(_conn, _cursor, statement, _parameters, context, _many):
        if statement.startswith("INSERT INTO sharing_decision"):
            hits.append(context.cache_hit)

    event.listen(db.engine, "after_cursor_execute", cached)
    try:
        for task_id, recipients in (("t-3", ["police", "health"]), ("t-4", ["education", "probation", "housing"])):
            with db.unit_of_work() as session:
                rows = [_row(case_id, recipient) for recipient in recipients]
                for row in rows:
                    row.task_id = task_id
                insert_together(session, rows, key=("recipient",))
    finally:
        event.remove(db.engine, "after_cursor_execute", cached)
    assert len(hits) == 2
    assert hits[1] is db.engine.dialect.CACHE_HIT


def test_a_json_column_empty_in_some_rows_only_is_null_there_and_json_elsewhere(api):
    case_id = report(api)
    db = get_db()
    with db.unit_of_work() as session:
        rows = [_row(case_id, "police"), _row(case_id, "health")]
        for row in rows:
            row.task_id = "t-5"
        rows[0].product = {"name": "chronology"}
        insert_together(session, rows, key=("recipient",))
    with db.unit_of_work() as session:
        stored = {row.recipient: row.product for row in session.scalars(select(SharingDecision).where(
            SharingDecision.task_id == "t-5"))}
        assert stored == {"police": {"name": "chronology"}, "health": None}
        assert session.scalar(select(func.count()).select_from(SharingDecision).where(
            SharingDecision.task_id == "t-5", SharingDecision.product.is_(None))) == 1
