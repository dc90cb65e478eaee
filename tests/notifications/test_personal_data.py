"""Messages hold addresses and, to secure addresses, the child's name and the feedback's text: they go with the
contact when it is anonymised, the address and text of a sent message are erased after its keeping period, and a
subject access export shows what the messages said without who received them."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.core.clock import clock, now
from app.core.db import get_db
from app.notifications import notify
from app.notifications.models import DEAD, HELD, SENT
from app.notifications.sending import drain
from tests.notifications.conftest import messages
from tests.retention.test_anonymise import database_text, survivors
from tests.retention.walks import T0, ZEPHYRINE, mash, walk_to_decision

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
REFERRER = f"{ZEPHYRINE.tag.lower()}@school.example.org"
CHILD = f"{ZEPHYRINE.given} {ZEPHYRINE.family}"


def _messages_about(case_id: int) -> None:
    """The feedback to the referrer (at a domain made secure here), a new task and a chase: what the alerts
    send about a contact."""
    with get_db().unit_of_work() as session:
        notify(session, "feedback", to_address=REFERRER, case_id=case_id,
               personal={"child_name": CHILD, "feedback": ZEPHYRINE.text("Feedback summary for")})
        notify(session, "new-task", to_role="mash-manager", case_id=case_id, urgent=True,
               facts={"rag": "Amber", "agency": "MASH", "step": "decision"}, personal={"child_name": CHILD})
        notify(session, "chase", to_agency_team="police", case_id=case_id, facts={"rag": "Amber"})


@BOTH
def test_anonymising_a_contact_erases_its_messages_from_the_whole_database(
        api, database_url, tmp_path, staff_addresses, monkeypatch, mailbox):
    monkeypatch.setenv("MASH_COUNCIL_DOMAIN", "school.example.org")
    clock.freeze(T0)
    case_id = walk_to_decision(api, ZEPHYRINE, "nfa")
    _messages_about(case_id)
    drain("sender")
    statuses = {m.status for m in messages(get_db())}
    assert SENT in statuses and statuses <= {SENT, HELD}, "sent, or held for a digest (the walk's new tasks)"
    before = database_text()
    assert ("notification", ZEPHYRINE.given.lower()) in survivors([ZEPHYRINE.given.lower()], before)
    assert ("notification", REFERRER) in survivors([REFERRER], before)

    clock.freeze(T0 + timedelta(days=365 * 3 + 30))
    result = mash(database_url, tmp_path, "retention")
    assert result.exit_code == 0, result.output
    assert survivors(ZEPHYRINE.personal_strings(), database_text(skip=("audit_event",))) == []
    assert survivors([*ZEPHYRINE.personal_strings(), REFERRER, CHILD],
                     {"audit_event": database_text()["audit_event"]}) == []
    kinds = sorted({m.kind for m in messages(get_db())})
    assert kinds == ["chase", "feedback", "new-task"]  # the facts stay: which messages went, and when


def test_a_sent_message_keeps_its_address_and_text_for_the_keeping_period_only(
        db, staff_addresses, mailbox, monkeypatch):
    from app.core.actor import SYSTEM
    from app.retention.operations import apply_retention

    monkeypatch.setenv("MASH_NOTIFY_KEEP_DAYS", "30")
    monkeypatch.setenv("MASH_NOTIFY_MAX_ATTEMPTS", "1")
    clock.freeze(now())
    with db.unit_of_work() as session:
        notify(session, "chase", to_agency_team="police", facts={"rag": "Red", "step": "check"})
    drain("sender")
    mailbox.refuse_with = "554 5.7.1 Relay access denied"
    with db.unit_of_work() as session:
        notify(session, "chase", to_agency_team="health", facts={"rag": "Red", "step": "check"})
    drain("sender")
    sent, dead = messages(db)
    assert (sent.status, dead.status) == (SENT, DEAD)

    clock.advance(timedelta(days=29))
    apply_retention(db, SYSTEM, months=36)
    assert messages(db)[0].to_address == "mash-police@police.example"

    clock.advance(timedelta(days=2))
    run = apply_retention(db, SYSTEM, months=36)
    sent, dead = messages(db)
    assert run.messages_erased == 1
    assert (sent.to_address, sent.body, sent.fields, sent.erased_at) == ("", "", None, now())
    assert sent.kind == "chase" and sent.subject == "The MASH is waiting for your Red check"
    assert dead.to_address == "safeguarding-health@nhs-trust.example", "a dead letter waits for the operations manager"


def test_the_subject_access_export_shows_what_the_messages_said_but_not_who_received_them(
        api, staff_addresses, monkeypatch):
    monkeypatch.setenv("MASH_COUNCIL_DOMAIN", "school.example.org")
    case_id = walk_to_decision(api, ZEPHYRINE, "nfa")
    _messages_about(case_id)
    response = api("admin").post("/api/v1/subject-access-exports", json={
        "given_name": ZEPHYRINE.given, "family_name": ZEPHYRINE.family, "date_of_birth": ZEPHYRINE.dob})
    assert response.status_code == 200, response.get_json()
    export = response.get_json()
    [case] = export["cases"]
    by_kind = {row["kind"]: row for row in case["notifications"]}
    assert set(by_kind) == {"feedback", "new-task", "chase"}
    assert ZEPHYRINE.text("Feedback summary for") in by_kind["feedback"]["body"]
    # The referrer's and the team's addresses are withheld; a member of staff's was never copied.
    assert {kind: row["to_address"] for kind, row in by_kind.items()} == {
        "feedback": "[withheld]", "chase": "[withheld]", "new-task": ""}
    assert "manager@council.gov.uk" not in response.get_data(as_text=True)
    assert "mash-police@police.example" not in response.get_data(as_text=True)
    assert {r["record"] for r in export["redactions"] if r["field"] == "to_address"} == {
        f"notifications[{n}]" for n, row in enumerate(case["notifications"]) if row["kind"] != "new-task"}
    assert "claimed_by" not in by_kind["chase"]
