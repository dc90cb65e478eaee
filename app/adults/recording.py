"""The adult safeguarding record from the adult_at_risk pathway's forms (called by app.casework.recording, keyed by
form): each step fills its part of the case's latest AdultSafeguarding row, so a redrawn diagram keeps its records."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adults.models import AdultSafeguarding
from app.cases.step_done import Done
from app.deadlines.models import Deadline

#: The process id of the pathway, and the forms its steps take (forms/<key>.json).
ADULT_PROCESS = "adult_at_risk"
RAISE_CONCERN_FORM = "adult_safeguarding_referral"
CONSENT_CAPACITY_FORM = "adult_consent_capacity"
BEST_INTERESTS_FORM = "adult_best_interests"
S42_DECISION_FORM = "adult_s42_decision"
OUTCOME_FORM = "adult_enquiry_outcome"
#: The deadline the section 42 decision is measured against (the timers' name in processes/adult_at_risk.bpmn).
S42_DEADLINE = "Section 42 decision due"


def latest_record(session: Session, case_id: int) -> AdultSafeguarding | None:
    """The case's latest adult safeguarding record (a children's case may raise more than one concern)."""
    return session.scalar(select(AdultSafeguarding).where(AdultSafeguarding.case_id == case_id)
                          .order_by(AdultSafeguarding.id.desc()).limit(1))


def _record(session: Session, done: Done) -> AdultSafeguarding:
    row = latest_record(session, done.case.id)
    if row is None:  # a case started before the record existed: the step still leaves its part
        row = AdultSafeguarding(case_id=done.case.id, raised_from="decision", raised_at=done.at)
        session.add(row)
    return row


def _concern_raised(session: Session, done: Done) -> None:
    """A children's decision raised the concern: a new record, dated when adult social care recorded it."""
    session.add(AdultSafeguarding(case_id=done.case.id, raised_from="decision", raised_at=done.at))


def _consent_capacity(session: Session, done: Done) -> None:
    row, data = _record(session, done), done.data
    row.consent, row.capacity = data.get("adult_consent"), data.get("adult_capacity")
    row.mca_principles = list(data.get("adult_mca_principles") or [])
    row.capacity_note, row.advocate = data.get("adult_capacity_note"), data.get("adult_advocate")
    row.outcomes_asked, row.desired_outcomes = data.get("adult_outcomes_asked"), data.get("adult_desired_outcomes")
    row.override_reason, row.capacity_recorded_at = data.get("adult_override_reason"), done.at


def _best_interests(session: Session, done: Done) -> None:
    row, data = _record(session, done), done.data
    row.best_interests_decision = data.get("adult_best_interests_decision")
    row.best_interests_consulted = data.get("adult_best_interests_consulted")
    row.best_interests_by = data.get("adult_best_interests_by")


def _s42_decision(session: Session, done: Done) -> None:
    row, data = _record(session, done), done.data
    row.s42_duty_met = all(bool(data.get(name)) for name in (
        "adult_care_and_support_needs", "adult_abuse_or_neglect", "adult_unable_to_protect"))
    row.s42_decision, row.decision_rationale = data.get("adult_s42_decision"), data.get("adult_decision_rationale")
    row.decided_at, row.decided_by = done.at, done.actor.username
    row.decision_due_at = session.scalar(select(Deadline.due_at).where(
        Deadline.case_id == done.case.id, Deadline.process_id == ADULT_PROCESS, Deadline.name == S42_DEADLINE)
        .order_by(Deadline.id.desc()).limit(1))


def _outcome(session: Session, done: Done) -> None:
    row, data = _record(session, done), done.data
    row.risk_outcome, row.outcomes_met = data.get("adult_risk_outcome"), data.get("adult_outcomes_met")
    row.actions_taken = data.get("adult_actions_taken")
    concluded = data.get("adult_concluded_on")
    row.concluded_on = date.fromisoformat(concluded) if isinstance(concluded, str) and concluded else None
    row.concluded_at, row.concluded_by = done.at, done.actor.username


RECORDERS: dict[str, Callable[[Session, Any], None]] = {
    RAISE_CONCERN_FORM: _concern_raised,
    CONSENT_CAPACITY_FORM: _consent_capacity,
    BEST_INTERESTS_FORM: _best_interests,
    S42_DECISION_FORM: _s42_decision,
    OUTCOME_FORM: _outcome,
}
