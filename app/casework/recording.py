"""Typed records from submitted forms, for the case page and reports.

The submission is always kept whole in CompletedTask; these add queryable rows for the forms the hub
reports on. Keyed by form, not by diagram position, so a redrawn diagram keeps its records.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adults.recording import RECORDERS as ADULT_RECORDERS
from app.audit.operations import record
from app.cases.models import AgencyReturn, Case, CompletedTask, ReferrerFeedback, StrategyDiscussion
from app.core.actor import Actor
from app.core.vocabulary import (
    AGENCY_CHECK_FORM,
    DECISION_FORM,
    FEEDBACK_FORM,
    REFERRAL_DATE_FIELD,
    RESOLVE_DISAGREEMENT_FORM,
    SCREENING_FORM,
    STRATEGY_DISCUSSION_RECORD_FORM,
)
from app.disagreements.models import ProfessionalDisagreement
from app.engine import CaseWorkflow, OpenUserTask
from app.inbox.models import OpenTask
from app.lado.recording import RECORDERS as LADO_RECORDERS
from app.marac.recording import RECORDERS as MARAC_RECORDERS
from app.missing.recording import RECORDERS as MISSING_RECORDERS
from app.people.reported import LINKS_FIELD, record_reported_links
from app.sharing.operations import record_decided_dissemination, record_dissemination, record_screening


@dataclass(frozen=True)
class Submission:
    """A completed task's form, with what the step that followed it opened (the diagram's decisions)."""

    case: Case
    task: OpenTask
    data: dict[str, Any]
    actor: Actor
    at: datetime
    opened: Sequence[OpenUserTask]
    #: The case's workflow after the step, and the step's kept answers (both written after the recorders run).
    workflow: CaseWorkflow
    completed: CompletedTask

    def keep_apart(self, names: Iterable[str], kept: Mapping[str, Any]) -> None:
        """Answers a recorder has stored in a record with its own readers and retention leave the case: removed
        from the workflow's data and from the step's kept answers, ``kept`` (the record's id) in their place."""
        names = tuple(names)
        self.workflow.forget(names, kept)
        self.completed.data = {**{k: v for k, v in self.completed.data.items() if k not in names}, **kept}


def _screening(session: Session, done: Submission) -> None:
    """The census factors the screener coded the concern with, and the sharing record of the checks the
    diagram asked for (a blue rating asks none, whatever was ticked)."""
    done.case.presenting_factors = list(done.data.get("presenting_factors") or [])
    asked = [task.info.role for task in done.opened if task.info.form_key == AGENCY_CHECK_FORM and task.info.role]
    record_screening(session, done.case, done.task, done.data, done.actor, done.at, asked=asked)


def _agency_check(session: Session, done: Submission) -> None:
    task, data = done.task, done.data
    session.add(AgencyReturn(
        case_id=done.case.id, task_id=task.task_id, agency=task.role, nothing_known=bool(data.get("nothing_known")),
        findings=data.get("findings"), handling_restriction=data.get("handling_restriction", "none"),
        restriction_note=data.get("restriction_note"), third_parties_to_protect=data.get("third_parties_to_protect"),
        requested_at=task.created_at, due_at=task.due_at, returned_by=done.actor.username, returned_at=done.at))
    # The children the agency's records link to an adult of concern or a place: proposed, from this agency.
    record_reported_links(session, done.case, data.get(LINKS_FIELD), done.actor, agency=task.role)


def _decision(session: Session, done: Submission) -> None:
    """The rationale, and the decision maker's sharing decision on the product (sent later by business support)."""
    done.case.outcome_rationale = done.data.get("outcome_rationale")
    record_decided_dissemination(session, done.case, done.task, done.data, done.actor, done.at)


def _strategy_discussion(session: Session, done: Submission) -> None:
    data = done.data
    session.add(StrategyDiscussion(
        case_id=done.case.id, held_on=date.fromisoformat(data["held_on"]), attendees=list(data.get("attendees", [])),
        summary=data.get("summary", ""), strategy_outcome=data.get("strategy_outcome", ""),
        actions=data.get("actions"), recorded_by=done.actor.username, recorded_at=done.at))


def _feedback(session: Session, done: Submission) -> None:
    """Feedback given, and the product sent as the decision maker decided (or decided here, for a case
    with no sharing decision: app.sharing.forms)."""
    data = done.data
    sent = record_dissemination(session, done.case, done.task, data, done.actor, done.at)
    session.add(ReferrerFeedback(
        case_id=done.case.id, method=data.get("feedback_method", ""), summary=data.get("feedback_summary", ""),
        recipients=sent.recipients, dissemination_note=sent.note, sent_by=done.actor.username, sent_at=done.at))


def _disagreement_resolved(session: Session, done: Submission) -> None:
    """The operations manager's outcome, on the disagreement whose signal opened this step."""
    row = session.scalar(select(ProfessionalDisagreement)
                         .where(ProfessionalDisagreement.task_id == done.task.task_id))
    if row is None:  # a resolve step drawn elsewhere than on a raised disagreement: the form is kept whole
        return
    row.resolve(done.data, done.actor.username, done.at)
    record(session, done.actor, "disagreement.resolved", case_id=done.case.id, task_id=done.task.task_id,
           element_id=done.task.bpmn_id, summary="Professional disagreement resolved",
           details={"disagreement_id": row.id, "resolution": row.resolution})


RECORDERS: dict[str, Callable[[Session, Submission], None]] = {
    SCREENING_FORM: _screening,
    AGENCY_CHECK_FORM: _agency_check,
    DECISION_FORM: _decision,
    STRATEGY_DISCUSSION_RECORD_FORM: _strategy_discussion,
    FEEDBACK_FORM: _feedback,
    RESOLVE_DISAGREEMENT_FORM: _disagreement_resolved,
    **MARAC_RECORDERS,  # Operation Encompass and MARAC (app/marac)
    **LADO_RECORDERS,  # allegations against people who work with children (app/lado)
    **ADULT_RECORDERS,  # adults at risk: consent, capacity, the section 42 decision, the outcome (app/adults)
    **MISSING_RECORDERS,  # missing episodes (app/missing)
}


def mirror_case_data(case: Case, data: Mapping[str, Any]) -> None:
    """Dates the diagram keeps in case data that the case record and reports read: the referral date (case data
    ``referral_date``, an ISO instant, None until the decision makes the contact a referral). A case whose data
    has no such name (started before it existed) keeps what it has."""
    if REFERRAL_DATE_FIELD in data:
        case.referral_at = _instant(data[REFERRAL_DATE_FIELD])


def _instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        at = value
    elif isinstance(value, str) and value:
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            return None  # not a date: the deploy check names the diagram's mistake, the record stays empty
    else:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def record_submission(session: Session, done: Submission) -> None:
    recorder = RECORDERS.get(done.task.form_key)
    if recorder is not None:
        recorder(session, done)
