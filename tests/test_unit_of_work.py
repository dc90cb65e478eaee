"""One unit of work per request (docs/architecture.md): what a request does commits once, at its end; a refused
action is undone but who asked and the security events stay; effects wait for the commit; a conflict retries one
operation, not the request."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app.audit.chain import verify
from app.audit.models import AuditEvent
from app.audit.operations import record
from app.core.actor import SYSTEM
from app.core.db import after_commit, end_request_unit, open_request_unit, run_in_transaction
from app.core.errors import Conflict


@pytest.fixture
def request_unit(db):
    """The unit of work a request opens (app/web/unit_of_work.py), without the request around it."""
    unit = open_request_unit()
    unit.session.connection()  # the request has begun: who is asking has been read
    yield unit
    end_request_unit()
    db.remove()


def actions(db) -> list[str]:
    with db.unit_of_work(write=False) as session:
        return list(session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("test.%"))
                                    .order_by(AuditEvent.seq)))


def test_a_refused_action_is_undone_but_who_asked_and_the_security_events_are_kept(db, request_unit):
    session = request_unit.session
    record(session, SYSTEM, "test.who-asked")  # a token's use, written before the action
    request_unit.start_action()
    record(session, SYSTEM, "test.viewed")
    run_in_transaction(lambda s: record(s, SYSTEM, "test.operation-done"))
    record(session, SYSTEM, "test.access-refused", security=True)
    request_unit.refuse()
    request_unit.finish(keep=True)
    assert actions(db) == ["test.who-asked", "test.access-refused"]
    with db.unit_of_work(write=False) as check:
        assert verify(check).ok



def test_a_refusal_on_a_public_page_keeps_its_security_events(db, request_unit):
    """A public route (sign-in) opens no action savepoint: the refusal undoes everything but who tried what."""
    session = request_unit.session
    record(session, SYSTEM, "test.page-read")
    record(session, SYSTEM, "test.sign-in-refused", security=True)
    request_unit.refuse()
    request_unit.finish(keep=True)
    assert actions(db) == ["test.sign-in-refused"]

def test_a_refusal_that_says_so_keeps_the_steps_done_before_it(db, request_unit):
    request_unit.start_action()
    run_in_transaction(lambda s: record(s, SYSTEM, "test.step-1"))
    with pytest.raises(Conflict):
        run_in_transaction(_refused_step)
    request_unit.refuse(earlier_steps_stand=True)
    request_unit.finish(keep=True)
    assert actions(db) == ["test.step-1"]


def _refused_step(session):
    record(session, SYSTEM, "test.step-2")
    raise Conflict("step 2 cannot be done", earlier_steps_stand=True)


def test_effects_run_after_the_commit_and_never_for_what_was_rolled_back(db, request_unit):
    session = request_unit.session
    ran: list[str] = []
    run_in_transaction(lambda s: after_commit(s, lambda: ran.append("wake the scheduler")))
    with pytest.raises(Conflict):
        run_in_transaction(_queue_then_refuse, ran)
    assert ran == []  # nothing runs before the commit
    record(session, SYSTEM, "test.done")
    request_unit.finish(keep=True)
    assert ran == ["wake the scheduler"]


def _queue_then_refuse(session, ran: list[str]):
    after_commit(session, lambda: ran.append("undone effect"))
    raise Conflict("refused")


def test_a_request_that_fails_keeps_nothing_and_runs_no_effect(db, request_unit):
    ran: list[str] = []
    record(request_unit.session, SYSTEM, "test.who-asked")
    run_in_transaction(lambda s: after_commit(s, lambda: ran.append("effect")))
    request_unit.finish(keep=False)
    assert actions(db) == [] and ran == []


def test_a_version_conflict_retries_the_operation_alone_on_fresh_data(db, request_unit):
    session = request_unit.session
    record(session, SYSTEM, "test.who-asked")
    attempts: list[int] = []

    def operation(s):
        attempts.append(1)
        record(s, SYSTEM, f"test.attempt-{len(attempts)}")
        if len(attempts) == 1:
            raise StaleDataError("another request changed the case first")

    run_in_transaction(operation)
    request_unit.finish(keep=True)
    assert actions(db) == ["test.who-asked", "test.attempt-2"]


def test_an_operation_that_begins_the_action_runs_in_its_savepoint_and_is_undone_alone(db, request_unit):
    """The first operation of an action needs no savepoint of its own (issue 20): a conflict still retries it
    alone, and a failed one leaves what came before and lets the next one commit."""
    session = request_unit.session
    record(session, SYSTEM, "test.who-asked")
    request_unit.start_action()
    attempts: list[int] = []

    def operation(s):
        attempts.append(1)
        record(s, SYSTEM, f"test.attempt-{len(attempts)}")
        if len(attempts) == 1:
            raise StaleDataError("another request changed the case first")

    with pytest.raises(Conflict):
        run_in_transaction(_queue_then_refuse, [])
    run_in_transaction(operation)
    run_in_transaction(lambda s: record(s, SYSTEM, "test.next-step"))
    request_unit.finish(keep=True)
    assert actions(db) == ["test.who-asked", "test.attempt-2", "test.next-step"]


def test_an_action_begun_before_any_write_is_undone_without_a_savepoint(db, request_unit):
    """Nothing written when the action begins (who asked still pending): no SAVEPOINT is sent, and a refusal after
    the operation wrote its rows still leaves who asked and the security events alone (issue 20's fifth round)."""
    from sqlalchemy import event

    from app.auth.models import User

    session = request_unit.session
    someone = session.scalars(select(User.id).order_by(User.id)).first()
    name = session.get_one(User, someone).display_name
    session.get_one(User, someone).email = "who.asked@example.org"  # who asked changes a row, still pending
    record(session, SYSTEM, "test.who-asked")
    sent: list[str] = []
    engine = db.engine
    listener = lambda _c, _cu, statement, *_: sent.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        request_unit.start_action()

        def operation(s):
            s.get_one(User, someone).display_name = "Written by the action"
            s.flush()
            record(s, SYSTEM, "test.operation-done")
            record(s, SYSTEM, "test.operation-security", security=True)

        run_in_transaction(operation)
        record(session, SYSTEM, "test.access-refused", security=True)
        request_unit.refuse()
        request_unit.finish(keep=True)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert not any(s.startswith(("SAVEPOINT", "RELEASE")) for s in sent), sent
    assert actions(db) == ["test.who-asked", "test.operation-security", "test.access-refused"]
    with db.unit_of_work(write=False) as check:
        assert check.get_one(User, someone).display_name == name
        assert check.get_one(User, someone).email == "who.asked@example.org"
        assert verify(check).ok


def test_a_failed_first_operation_without_a_savepoint_keeps_its_security_events_and_what_came_before(db, request_unit):
    session = request_unit.session
    record(session, SYSTEM, "test.who-asked")
    request_unit.start_action()
    record(session, SYSTEM, "test.viewed")

    def refused(s):
        record(s, SYSTEM, "test.undone")
        record(s, SYSTEM, "test.refused-security", security=True)
        raise Conflict("refused")

    with pytest.raises(Conflict):
        run_in_transaction(refused)
    run_in_transaction(lambda s: record(s, SYSTEM, "test.next-step"))
    request_unit.finish(keep=True)
    assert actions(db) == ["test.who-asked", "test.viewed", "test.refused-security", "test.next-step"]


def test_an_action_begun_after_a_write_keeps_its_savepoint(db, request_unit):
    from app.auth.models import User

    session = request_unit.session
    someone = session.scalars(select(User.id).order_by(User.id)).first()
    name = session.get_one(User, someone).display_name
    record(session, SYSTEM, "test.who-asked")
    session.get_one(User, someone).email = "written.first@example.org"
    session.flush()  # written before the action: a rollback could not make it again
    request_unit.start_action()
    assert session.in_nested_transaction()

    def operation(s):
        s.get_one(User, someone).display_name = "Undone"
        record(s, SYSTEM, "test.undone")

    run_in_transaction(operation)
    request_unit.refuse()
    request_unit.finish(keep=True)
    assert actions(db) == ["test.who-asked"]
    with db.unit_of_work(write=False) as check:
        assert check.get_one(User, someone).display_name == name
        assert check.get_one(User, someone).email == "written.first@example.org"


def test_after_committing_so_far_the_action_goes_on_without_a_savepoint_and_is_undone_alone(db, request_unit):
    """A new contact commits once stored, then records its start (app.casework.starting): the second transaction
    has nothing written when it begins, so its steps need no SAVEPOINT, and a refusal then undoes only them."""
    from sqlalchemy import event

    session = request_unit.session
    record(session, SYSTEM, "test.who-asked")
    request_unit.start_action()
    run_in_transaction(lambda s: record(s, SYSTEM, "test.stored"))
    request_unit.commit_so_far()
    sent: list[str] = []
    listener = lambda _c, _cu, statement, *_: sent.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        with pytest.raises(Conflict):
            run_in_transaction(_queue_then_refuse, [])
        run_in_transaction(lambda s: record(s, SYSTEM, "test.started"))
        record(session, SYSTEM, "test.refused-after", security=True)
        request_unit.refuse()
        request_unit.finish(keep=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert not any(s.startswith(("SAVEPOINT", "RELEASE")) for s in sent), sent
    assert actions(db) == ["test.who-asked", "test.stored", "test.refused-after"]
