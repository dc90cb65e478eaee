"""Reads of the adult safeguarding record within need to know: what of it a reader's sight of the case shows."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adults.models import AdultSafeguarding
from app.cases.models import Case
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import NotFound
from app.need_to_know.sight import CaseSight, sight_of

#: The record's parts, by the part of a case (CASE_RULES) that shows each: the concern as raised; the hub's reasoning
#: (consent, capacity, the adult's wishes, a best-interests decision); the decision and the outcome.
CONCERN = ("raised_from", "raised_at", "care_needs", "abuse_kinds", "location_of_risk", "source_of_risk",
           "adult_aware", "adult_consents_to_concern", "consent_reason")
ANALYSIS = ("consent", "capacity", "mca_principles", "capacity_note", "advocate", "outcomes_asked", "desired_outcomes",
            "override_reason", "best_interests_decision", "best_interests_consulted", "best_interests_by")
DECISION = ("s42_duty_met", "s42_decision", "decision_rationale", "decided_at", "decided_by", "decision_due_at",
            "risk_outcome", "outcomes_met", "actions_taken", "concluded_on", "concluded_by")
PARTS = {"concern": CONCERN, "analysis": ANALYSIS, "decision": DECISION}


@dataclass(frozen=True)
class AdultRecordView:
    """One adult safeguarding record as a reader may see it: only the columns their sight shows."""

    row: AdultSafeguarding
    shown: frozenset[str]

    def get(self, name: str) -> Any:
        return getattr(self.row, name) if name in self.shown else None

    def shows(self, part: str) -> bool:
        return PARTS[part][0] in self.shown


def adult_records(session: Session, sight: CaseSight) -> list[AdultRecordView]:
    """The case's adult safeguarding records, each cut to the reader's sight (nothing when it shows none of them)."""
    shown = frozenset(name for part, names in PARTS.items() if sight.shows(part) for name in names)
    if not shown:
        return []
    rows = session.scalars(select(AdultSafeguarding).where(AdultSafeguarding.case_id == sight.case_id)
                           .order_by(AdultSafeguarding.id))
    return [AdultRecordView(row, shown) for row in rows]


def record_json(view: AdultRecordView) -> dict[str, Any]:
    """A record as the API gives it: the parts the reader may see, dates as ISO strings."""
    answer: dict[str, Any] = {"children_case_id": view.row.children_case_id}
    for name in sorted(view.shown):
        value = getattr(view.row, name)
        answer[name] = value.isoformat() if hasattr(value, "isoformat") else value
    if "decided_at" in view.shown:
        answer["decided_in_time"] = view.row.decided_in_time
    return answer


def adult_safeguarding_on(session: Session, case_id: int, actor: Actor) -> list[dict[str, Any]]:
    """The case's adult safeguarding records as the reader may see them (404 outside need to know)."""
    if session.get(Case, case_id) is None:
        raise NotFound("There is no case with this id.")
    return [record_json(view) for view in adult_records(session, sight_of(session, actor, case_id, now()))]
