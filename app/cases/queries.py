"""Reads of the case record for pages and the API. No workflow deserialization."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from app.audit.models import AuditEvent
from app.cases.models import AgencyReturn, Case, CompletedTask, RagChange, ReferrerFeedback, StrategyDiscussion
from app.concerns.repeats import repeat_concerns_json
from app.core.actor import Actor
from app.core.clock import now
from app.core.roles import HUB_ROLES
from app.deadlines.queries import DeadlineView, case_deadlines
from app.inbox.models import OpenTask
from app.intake.models import Contact
from app.people.queries import subjects_json
from app.process_models.models import ProcessVersion
from app.sharing.queries import DecisionGroup, case_sharing_decisions

#: What the case page's history shows, and how it names each action.
HISTORY_LABELS = {"contact.received": "Contact received", "task.completed": "Task completed",
                  "timer.fired": "Deadline reached", "case.rag-changed": "RAG rating", "case.closed": "Case closed",
                  "task.claimed": "Task claimed", "task.released": "Task released",
                  "deadline.retimed": "Deadline moved", "timer.incident-raised": "Timers failed",
                  "timer.incident-resolved": "Timers fired again", "timer.incident-retried": "Timers retried",
                  "retention.anonymised": "Anonymised", "retention.hold-placed": "Retention hold",
                  "retention.hold-released": "Retention hold lifted", "case.migrated": "Moved to a new version",
                  "task.incident-raised": "Step failed: answers held",
                  "task.incident-failed-again": "Step failed again", "task.incident-resolved": "Step went through",
                  "task.incident-returned": "Task given back", "case.incident-raised": "Could not start",
                  "case.incident-failed-again": "Start failed again", "case.incident-resolved": "Started"}
HISTORY_ACTIONS = tuple(HISTORY_LABELS)


@dataclass
class CaseDetail:
    case: Case
    contact: Contact | None
    rag_history: list[RagChange]
    agency_returns: list[AgencyReturn]
    open_tasks: list[OpenTask]
    completed_tasks: list[CompletedTask]
    strategy_discussions: list[StrategyDiscussion]
    feedback: list[ReferrerFeedback]
    history: list[AuditEvent]
    process: ProcessVersion
    deadlines: list[DeadlineView]
    linked_case: Case | None = None
    sharing_decisions: list[DecisionGroup] = field(default_factory=list)

    def completed(self, form_key: str) -> CompletedTask | None:
        matches = [t for t in self.completed_tasks if t.form_key == form_key]
        return matches[-1] if matches else None


def case_detail(session: Session, case_id: int) -> CaseDetail | None:
    case = session.get(Case, case_id)
    if case is None:
        return None
    by_case = lambda model, order: list(session.scalars(select(model).where(model.case_id == case_id).order_by(order)))  # noqa: E731
    return CaseDetail(
        case=case,
        contact=session.scalar(select(Contact).where(Contact.case_id == case_id)),
        rag_history=by_case(RagChange, RagChange.id),
        sharing_decisions=case_sharing_decisions(session, case),
        agency_returns=by_case(AgencyReturn, AgencyReturn.returned_at),
        open_tasks=by_case(OpenTask, OpenTask.created_at),
        completed_tasks=by_case(CompletedTask, CompletedTask.completed_at),
        strategy_discussions=by_case(StrategyDiscussion, StrategyDiscussion.id),
        feedback=by_case(ReferrerFeedback, ReferrerFeedback.id),
        history=list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id,
                                                              AuditEvent.action.in_(HISTORY_ACTIONS))
                                     .order_by(AuditEvent.id))),
        process=session.get(ProcessVersion, case.process_version_id),
        deadlines=case_deadlines(session, case_id, now()),
        linked_case=session.get(Case, case.linked_case_id) if case.linked_case_id else None,
    )


def case_for_referrer(session: Session, case_id: int, actor: Actor) -> Case | None:
    """A referrer sees only the contacts they made; hub members see any."""
    case = session.get(Case, case_id)
    if case is None:
        return None
    if actor.roles & HUB_ROLES:
        return case
    made_by = session.scalar(select(Contact.created_by_id).where(Contact.case_id == case_id))
    return case if made_by == actor.user_id else None


def feedback_given(session: Session, case_id: int) -> list[ReferrerFeedback]:
    return list(session.scalars(select(ReferrerFeedback).where(ReferrerFeedback.case_id == case_id)
                                .order_by(ReferrerFeedback.id)))


def referrer_status(case: Case, feedback_given: bool) -> str:
    return "feedback given" if feedback_given else ("closed" if case.status == "closed" else "with the hub")


def referrer_view(session: Session, case: Case) -> dict:
    """What a referrer may know about their own contact: status and the feedback the hub gave them.
    Never the hub's analysis, agency findings or where the information product went."""
    feedback = feedback_given(session, case.id)
    return {
        "case_id": case.id,
        "reference": case.reference,
        "received_at": case.received_at.isoformat(),
        "status": referrer_status(case, bool(feedback)),
        "feedback": [{"method": fb.method, "summary": fb.summary, "sent_at": fb.sent_at.isoformat()}
                     for fb in feedback],
    }


def contacts_made_by(session: Session, actor: Actor, limit: int = 200) -> list[tuple[Case, str]]:
    """The contacts this person reported, newest first, each with where it is (a referrer's own list)."""
    cases = list(session.scalars(select(Case).join(Contact, Contact.case_id == Case.id)
                                 .where(Contact.created_by_id == actor.user_id)
                                 .order_by(Case.received_at.desc()).limit(limit)))
    answered = set(session.scalars(select(ReferrerFeedback.case_id)
                                   .where(ReferrerFeedback.case_id.in_([c.id for c in cases])))) if cases else set()
    return [(case, referrer_status(case, case.id in answered)) for case in cases]


def list_cases(session: Session, *, status: str | None = "open", limit: int = 200) -> list[Case]:
    query = select(Case).order_by(Case.received_at.desc()).limit(limit)
    if status:
        query = query.where(Case.status == status)
    return list(session.scalars(query))


def case_summary(detail: CaseDetail) -> dict:
    """The case as the JSON API shows it (GET /api/v1/cases/{id} and after completing a task)."""
    case = detail.case
    return {
        "case_id": case.id,
        "reference": case.reference,
        "status": case.status,
        "closure": case.closure,
        "received_at": case.received_at.isoformat(),
        "rag": case.rag,
        "rag_initial": case.rag_initial,
        "presenting_factors": list(case.presenting_factors or []),
        "rag_history": [{"from": r.from_rag, "to": r.to_rag, "rationale": r.rationale, "by": r.changed_by,
                         "at": r.changed_at.isoformat(), "step": r.step} for r in detail.rag_history],
        "outcome": case.outcome,
        "strategy_outcome": case.strategy_outcome,
        "immediate_risk": case.immediate_risk,
        "linked_case_id": case.linked_case_id,
        "anonymised_at": case.anonymised_at.isoformat() if case.anonymised_at else None,
        "subjects": [{"role": s.role, "given_name": s.given_name, "family_name": s.family_name,
                      "date_of_birth": s.date_of_birth.isoformat() if s.date_of_birth else None,
                      "address": s.address, "nhs_number": s.nhs_number, "gender": s.gender, **people}
                     for s, people in zip(case.subjects, subjects_json(object_session(case), case))],
        "open_tasks": [{"task_id": t.task_id, "name": t.name, "role": t.role,
                        "due_at": t.due_at.isoformat() if t.due_at else None} for t in detail.open_tasks],
        "agency_returns": [{"agency": r.agency, "nothing_known": r.nothing_known,
                            "handling_restriction": r.handling_restriction,
                            "returned_at": r.returned_at.isoformat()} for r in detail.agency_returns],
        "deadlines": [d.as_json() for d in detail.deadlines],
        "process": {"id": detail.process.process_id, "version": detail.process.version},
        "repeat_concerns": repeat_concerns_json(case),
    }
