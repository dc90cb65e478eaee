"""notify(): one message per recipient, queued with the action, personal words only to secure addresses."""
from __future__ import annotations

import pytest

from app.core.clock import now
from app.notifications import notify
from app.notifications.models import HELD, QUEUED, NotificationPreference
from tests.notifications.conftest import messages, user_id


def test_a_role_is_each_of_its_active_people_with_an_address(db, staff_addresses):
    with db.unit_of_work() as session:
        ids = notify(session, "new-task", to_role="police", case_id=7, task_id="t-1", urgent=True,
                     facts={"rag": "Amber", "agency": "Police", "step": "Agency check"},
                     personal={"child_name": "Ava Smith"})
    [message] = messages(db)
    assert ids == [message.id]
    with db.unit_of_work(write=False) as session:
        assert message.recipient_user_id == user_id(session, "police")
    assert message.to_address == "", "a member of staff's address stays in their own account"
    assert message.subject == "A new Amber Agency check is waiting for Police in the MASH"
    assert "https://mash.council.gov.uk/tasks/t-1" in message.body
    assert "Ava" not in message.body and not message.secure
    assert message.status == QUEUED


def test_the_child_is_named_only_to_a_secure_address(db, staff_addresses):
    with db.unit_of_work() as session:
        notify(session, "new-task", to_role="health", case_id=7, urgent=True,
               facts={"rag": "Red", "agency": "Health", "step": "Agency check"}, personal={"child_name": "Ava Smith"})
        notify(session, "new-task", to_role="mash-manager", case_id=7, urgent=True,
               facts={"rag": "Red", "agency": "MASH", "step": "Screening"}, personal={"child_name": "Ava Smith"})
    nhs, council = messages(db)
    assert nhs.secure and "Child: Ava Smith" in nhs.body
    assert council.secure and "Child: Ava Smith" in council.body
    assert "Ava" not in nhs.subject + council.subject


def test_a_team_address_and_a_referrer_address(db, staff_addresses):
    with db.unit_of_work() as session:
        notify(session, "chase", to_agency_team="police", case_id=3, facts={"rag": "Red", "step": "check"})
        notify(session, "feedback", to_address="dsl@oakfield.example.org", case_id=3,
               personal={"child_name": "Ava Smith", "feedback": "Early help offered."})
    chase, feedback = messages(db)
    assert chase.to_address == "mash-police@police.example"
    assert feedback.to_address == "dsl@oakfield.example.org"
    assert "Early help" not in feedback.body and "/cases/3" in feedback.body


def test_non_urgent_messages_wait_for_the_digest_unless_the_person_chose_immediate(db, staff_addresses):
    with db.unit_of_work() as session:
        session.add(NotificationPreference(user_id=user_id(session, "health"), delivery="immediate",
                                           updated_at=now()))
        notify(session, "new-task", to_role="police", facts={"rag": "Amber"})
        notify(session, "new-task", to_role="health", facts={"rag": "Amber"})
        notify(session, "new-task", to_role="police", facts={"rag": "Red"})
    police_amber, health_amber, police_red = messages(db)
    assert police_amber.status == HELD
    assert health_amber.status == QUEUED
    assert police_red.status == QUEUED and police_red.urgent


def test_a_message_queued_in_a_rolled_back_action_does_not_exist(db, staff_addresses):
    def refused_action() -> None:
        with db.unit_of_work() as session:
            notify(session, "breach", to_role="mash-manager", facts={"rag": "Red"})
            raise RuntimeError("the action was refused")

    with pytest.raises(RuntimeError):
        refused_action()
    assert messages(db) == []


@pytest.mark.parametrize("kind", ["new-task", "at-risk", "breach", "chase", "feedback", "handover", "incident",
                                  "duty-escalation"])
def test_every_kind_can_be_queued(db, staff_addresses, kind):
    with db.unit_of_work() as session:
        assert len(notify(session, kind, to_role="mash-manager", case_id=1)) == 1


def test_refused_requests(db, staff_addresses):
    with db.unit_of_work() as session:
        with pytest.raises(ValueError, match="unknown notification kind"):
            notify(session, "party-invitation", to_role="police")
        with pytest.raises(ValueError, match="needs a recipient"):
            notify(session, "breach")
        with pytest.raises(ValueError, match="not one of its personal fields"):
            notify(session, "breach", to_role="police", personal={"child_name": "Ava"})
        with pytest.raises(ValueError, match="no team address"):
            notify(session, "chase", to_agency_team="fire-service")


def test_a_member_of_staffs_address_is_held_only_in_their_own_account(db, staff_addresses):
    from tests.retention.test_anonymise import database_text, survivors

    with db.unit_of_work() as session:
        notify(session, "new-task", to_role="police", urgent=True, facts={"rag": "Red"})
        notify(session, "incident", to_user_id=user_id(session, "mash-manager"), facts={"step": "Screening"})
    held = survivors(["pc.jones@police.example", "manager@council.gov.uk"], database_text())
    assert {table for table, _address in held} == {"user_account"}
