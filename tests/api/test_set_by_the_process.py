"""A script cannot decide for a person: a rating, outcome, strategy outcome or consent that the diagram set is
recorded as set by the process, at the script that set it, never under the name of whoever completed the step
before it. Here a process owner has drawn the old rule back into the first script (an immediate-risk flag rated
red and sent to a strategy discussion by the diagram): the referrer who sent the contact decided nothing.
The shipped diagram has a MASH manager confirm immediate risk instead (tests/api/test_deciding_on_time.py)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from tests import factories as f
from tests.api.test_referral_walks import complete, report, screen_and_check
from tests.intake.test_slow_diagrams import deploy_risk_script

IMMEDIATE_RISK_SCRIPT = "Open the contact's record"
#: The old rule, drawn back into the first script by a process owner.
RATED_BY_A_SCRIPT = 'rag = "red"\noutcome = "strategy-discussion"'


def case_json(api, case_id: int) -> dict:
    return api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()


def audit(db, case_id: int, action: str) -> list[AuditEvent]:
    with db.unit_of_work() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id,
                                                             AuditEvent.action == action).order_by(AuditEvent.id)))


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_an_immediate_risk_contact_is_rated_and_routed_by_the_process_not_by_the_referrer(api, db):
    deploy_risk_script(api, RATED_BY_A_SCRIPT)
    case_id = report(api, immediate_risk=True)
    case = case_json(api, case_id)
    assert (case["rag"], case["outcome"]) == ("red", "strategy-discussion")
    assert case["decided_by"] == "process"
    assert case["outcome_rationale"] == f"Set by the process at: {IMMEDIATE_RISK_SCRIPT}"
    [rated] = case["rag_history"]
    assert (rated["from"], rated["to"], rated["by"], rated["step"]) == (None, "red", "process", IMMEDIATE_RISK_SCRIPT)
    assert rated["rationale"] == f"Set by the process at: {IMMEDIATE_RISK_SCRIPT}"

    [rag_event] = audit(db, case_id, "case.rag-changed")
    assert (rag_event.username, rag_event.element_id) == ("process", "open_the_record")
    [outcome_event] = audit(db, case_id, "case.set-by-process")
    assert (outcome_event.username, outcome_event.element_id, outcome_event.details) == (
        "process", "open_the_record", {"field": "outcome", "to": "strategy-discussion"})
    # The referrer still reported the contact: that, and only that, is theirs.
    assert [e.username for e in audit(db, case_id, "contact.received")] == ["referrer"]


def test_the_case_page_says_the_process_set_them(api, web):
    deploy_risk_script(api, RATED_BY_A_SCRIPT)
    case_id = report(api, immediate_risk=True)
    html = web("mash-manager").get(f"/cases/{case_id}").get_data(as_text=True)
    assert f"Set by the process at: {IMMEDIATE_RISK_SCRIPT}".replace("'", "&#39;") in html
    assert "set by the process (no person decided it)" in html
    assert " by referrer" not in html


def test_a_rating_chosen_on_a_form_stays_the_persons_and_a_decision_too(api, db):
    case_id = report(api)
    screen_and_check(api, case_id, "amber", ["police"])
    complete(api, case_id, "mash_review", "mash-manager", f.review())
    after = complete(api, case_id, "decision", "mash-manager", f.decision("early-help"))
    [rated] = after["rag_history"]
    assert (rated["by"], rated["step"], rated["rationale"]) == (
        "mash-manager", "Screen the contact", "Rated amber on the information in the contact.")
    case = case_json(api, case_id)
    assert case["decided_by"] == "mash-manager"
    assert case["outcome_rationale"] == "Outcome early-help on the evidence gathered."
    assert audit(db, case_id, "case.set-by-process") == []
    assert [e.username for e in audit(db, case_id, "case.rag-changed")] == ["mash-manager"]


def test_a_re_rating_a_script_copies_from_the_review_is_the_processs_with_the_managers_reason(api):
    case_id = report(api)
    screen_and_check(api, case_id, "green", ["education"])
    after = complete(api, case_id, "mash_review", "mash-manager", f.review("yes", "red"))
    assert [(h["to"], h["by"], h["step"]) for h in after["rag_history"]] == [
        ("green", "mash-manager", "Screen the contact"), ("red", "process", "Record the new RAG rating")]
    assert after["rag_history"][1]["rationale"] == "Re-rated to red after the agency returns."
