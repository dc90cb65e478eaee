"""The whole case as the people working it see it: the record with its deadlines, sharing decisions, the
person index's view of its subjects and the repeat concerns, for the case page, the task page and the API.

Read-only, and above every feature it reads (docs/architecture.md); no workflow deserialization.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.cases.models import AgencyReturn, Case, CompletedTask, RagChange, ReferrerFeedback, StrategyDiscussion
from app.cases.queries import case_history
from app.concerns.repeats import repeat_concerns_json
from app.core.clock import now
from app.core.errors import NotFound
from app.deadlines.queries import DeadlineView, case_deadlines
from app.inbox.models import OpenTask
from app.intake.models import Contact
from app.people.queries import subjects_json
from app.process_models.models import ProcessVersion
from app.sharing.queries import DecisionGroup, case_sharing_decisions


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
    def by_case(model: Any, order: Any) -> list[Any]:
        return list(session.scalars(select(model).where(model.case_id == case_id).order_by(order)))

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
        history=case_history(session, case_id),
        process=session.get_one(ProcessVersion, case.process_version_id),
        deadlines=case_deadlines(session, case_id, now()),
        linked_case=session.get(Case, case.linked_case_id) if case.linked_case_id else None,
    )


def case_summary(session: Session, detail: CaseDetail) -> dict[str, Any]:
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
                     for s, people in zip(case.subjects, subjects_json(session, case), strict=True)],
        "open_tasks": [{"task_id": t.task_id, "name": t.name, "role": t.role,
                        "due_at": t.due_at.isoformat() if t.due_at else None} for t in detail.open_tasks],
        "agency_returns": [{"agency": r.agency, "nothing_known": r.nothing_known,
                            "handling_restriction": r.handling_restriction,
                            "returned_at": r.returned_at.isoformat()} for r in detail.agency_returns],
        "deadlines": [d.as_json() for d in detail.deadlines],
        "process": {"id": detail.process.process_id, "version": detail.process.version},
        "repeat_concerns": repeat_concerns_json(case),
    }


def summary_of_case(session: Session, case_id: int) -> dict[str, Any]:
    """The API's case, by id, for answers about a case that exists (after completing a task or re-rating it)."""
    detail = case_detail(session, case_id)
    if detail is None:
        raise NotFound("There is no case with this id.")
    return case_summary(session, detail)
