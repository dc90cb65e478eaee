"""A contact walked in-process, through the real operations, to a decision with something in every section."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.auth.models import User
from app.cases.models import Case
from app.casework.completion import complete_task
from app.core.clock import clock
from app.core.db import run_in_transaction
from app.inbox.models import OpenTask
from app.intake.operations import receive_contact
from tests import factories as f

RECEIVED = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # a Monday morning
POLICE_FINDINGS = "Two domestic abuse call-outs to the address in the last 6 months (DASH: medium)."
HEALTH_FINDINGS = "Missed two health visitor appointments since October."
ANALYSIS = "Pattern of missed appointments and call-outs; protective: school attendance is good."
REVIEW_RATIONALE = "Re-rated to red after the police call-outs came back."


def actor(db, username: str):
    with db.unit_of_work(write=False) as session:
        return session.scalar(select(User).where(User.username == username)).as_actor()


def do(db, case_id: int, bpmn_id: str, username: str, data: dict) -> None:
    with db.unit_of_work(write=False) as session:
        task_id = session.scalar(select(OpenTask.task_id).where(OpenTask.case_id == case_id,
                                                                OpenTask.bpmn_id == bpmn_id))
    assert task_id, f"no open {bpmn_id} task on case {case_id}"
    run_in_transaction(complete_task, task_id, data, actor(db, username))
    clock.advance(timedelta(minutes=30))


def reported(db, **contact) -> int:
    clock.freeze(RECEIVED)
    case, _created = run_in_transaction(receive_contact, f.contact(given="Zoë", family="Dubois", **contact),
                                        actor(db, "referrer"), channel="web")
    clock.advance(timedelta(minutes=30))
    return case.id


def decided(db, recipients: list[str] | None = None) -> int:
    """Screened amber; police return hub-only (on time), health returns late; re-rated red at review; s17."""
    case_id = reported(db)
    do(db, case_id, "screening", "mash-manager", f.screening("amber", ["police", "health"]))
    do(db, case_id, "police_check", "police", f.agency_return(
        findings=POLICE_FINDINGS, handling_restriction="hub-only", third_parties_to_protect="Neighbour at number 3"))
    clock.advance(timedelta(days=7))
    do(db, case_id, "health_check", "health", f.agency_return(findings=HEALTH_FINDINGS))
    review = f.review("yes", "red")
    do(db, case_id, "mash_review", "mash-manager", {**review, "analysis": ANALYSIS, "rag_rationale": REVIEW_RATIONALE})
    do(db, case_id, "decision", "mash-manager", f.decision("s17-assessment", recipients,
                                                           additional_referrals=["police-investigation"]))
    with db.unit_of_work() as session:  # coded at screening once the form asks (app/reports); set as it would be
        session.get(Case, case_id).presenting_factors = ["16A", "3B"]
    return case_id


def disseminated(db) -> int:
    """The MASH manager decided to send the product to the assessment team and the police; business support sent it."""
    case_id = decided(db, ["assessment-team", "police"])
    do(db, case_id, "feedback_to_referrer", "business-support", f.feedback(sent_method="secure-email"))
    return case_id
