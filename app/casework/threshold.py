"""The threshold's suggestion at screening: the hub's threshold document is a decision table
(processes/threshold.dmn, decision ``threshold``) that a process owner edits; the screener sees the rating it
suggests and the rule that gave it, and chooses. A different rating needs a reason (``rag_override_reason``).

The table runs through the engine boundary (app.engine.trial.try_decision) with the case data the contact set
(``immediate_risk``, ``youngest_child_age``, ``repeat_concern``) and the factors the screener ticked. A table
that is missing or faults never blocks screening: the suggestion is then unavailable, and any rating stands.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import Case
from app.concerns.repeats import repeat_flags
from app.concerns.rules import RepeatRulesError
from app.core.actor import Actor
from app.core.errors import FieldError
from app.core.vocabulary import (
    IMMEDIATE_RISK_FIELD,
    RAG_FIELD,
    RAG_URGENCY,
    REPEAT_CONCERN_FIELD,
    YOUNGEST_CHILD_AGE_FIELD,
    rag_label,
)
from app.engine import CaseWorkflow, CompiledDefinition, ProcessFault
from app.engine.trial import try_decision
from app.process_models.registry import compiled_by_id

logger = logging.getLogger(__name__)

THRESHOLD_DECISION = "threshold"
#: The screening form's field for why the rating differs from the suggestion.
OVERRIDE_REASON_FIELD = "rag_override_reason"
#: Kept with the screening's submission (and so in case data): what the table suggested.
SUGGESTED_RAG_FIELD = "suggested_rag"
SUGGESTED_RULE_FIELD = "suggested_rule"
OVERRIDDEN_EVENT = "screening.threshold-overridden"
#: Set by the domestic abuse table (processes/domestic-abuse.dmn) for a police notification's children.
MINIMUM_RATING_FIELD = "minimum_rating"
DA_RULE_FIELD = "da_rule"
UNAVAILABLE = "The threshold's suggestion is unavailable"


@dataclass(frozen=True)
class Suggestion:
    """What the table suggested (``rag`` a case-data code: "red"...), or why there is no suggestion."""

    rag: str | None = None
    rule: str | None = None
    rule_number: int | None = None
    unavailable: str | None = None

    @property
    def label(self) -> str:
        return rag_label(self.rag) if self.rag else ""

    def differs(self, chosen: str | None) -> bool:
        """True when there is a suggestion and the screener chose another rating."""
        return self.rag is not None and chosen is not None and chosen != self.rag

    def as_json(self) -> dict[str, Any]:
        return {"suggested_rag": self.rag, "suggested_rule": self.rule, "rule_number": self.rule_number,
                "unavailable": self.unavailable}


def youngest_child_age(subjects: Sequence[Any], on: date) -> int | None:
    """Whole years of the youngest child on the contact on ``on`` (an unborn child counts as 0); None when no
    child's date of birth is known."""
    ages = [0 for s in subjects if s.role == "unborn"]
    for subject in subjects:
        born = subject.date_of_birth
        if subject.role == "child" and born is not None:
            ages.append(max(0, on.year - born.year - ((on.month, on.day) < (born.month, born.day))))
    return min(ages) if ages else None


def has_repeat_concern(session: Session, case: Case) -> bool:
    """Any confirmed repeat-concern flag at receipt (app/concerns): a possible one waits for the match. A confirmed
    flag comes from the subjects' own clusters alone, so the proposed matches (possible flags) are not read."""
    try:
        return any(not flag.possible for flag in repeat_flags(session, case, matches={}))
    except RepeatRulesError:
        return False  # refused rules flag nothing; the screening panel says they were refused


def threshold_inputs(session: Session, case: Case) -> dict[str, Any]:
    """The case data the contact sets for the threshold table, from the subjects and the person index."""
    return {YOUNGEST_CHILD_AGE_FIELD: youngest_child_age(case.subjects, case.received_at.date()),
            REPEAT_CONCERN_FIELD: has_repeat_concern(session, case)}


def suggest(definition: CompiledDefinition, case_data: Mapping[str, Any], factors: Sequence[str] | None,
            *, session: Session | None = None, case: Case | None = None) -> Suggestion:
    """The table's suggestion for these factors. A case received before the contact set the table's inputs has
    them worked out now (``session`` and ``case``)."""
    names = (IMMEDIATE_RISK_FIELD, YOUNGEST_CHILD_AGE_FIELD, REPEAT_CONCERN_FIELD)
    data = {name: case_data.get(name) for name in names}
    if (YOUNGEST_CHILD_AGE_FIELD not in case_data or REPEAT_CONCERN_FIELD not in case_data) \
            and session is not None and case is not None:
        data.update(threshold_inputs(session, case))
    data[IMMEDIATE_RISK_FIELD] = bool(data[IMMEDIATE_RISK_FIELD])
    data[REPEAT_CONCERN_FIELD] = bool(data[REPEAT_CONCERN_FIELD])
    data["presenting_factors"] = list(factors or [])
    try:
        trial = try_decision(definition, THRESHOLD_DECISION, data)
    except KeyError:
        return Suggestion(unavailable=f"{UNAVAILABLE}: this version of the process has no threshold table.")
    except ProcessFault as fault:
        logger.warning("threshold table fault: %s", fault)
        return Suggestion(unavailable=f"{UNAVAILABLE}: the threshold table could not be evaluated ({fault}).")
    rag = trial.outputs.get(SUGGESTED_RAG_FIELD)
    code = rag.lower() if isinstance(rag, str) else None
    if code not in RAG_URGENCY:
        return at_least_minimum(Suggestion(unavailable=f"{UNAVAILABLE}: no rule of the threshold table fits these "
                                                       "factors."), case_data)
    rule = trial.outputs.get(SUGGESTED_RULE_FIELD)
    return at_least_minimum(Suggestion(rag=code, rule=str(rule) if rule else None,
                                       rule_number=trial.rules[0] if trial.rules else None), case_data)


def at_least_minimum(suggestion: Suggestion, case_data: Mapping[str, Any]) -> Suggestion:
    """A police domestic abuse notification's table (processes/domestic-abuse.dmn) may send the child to screening
    as at least Amber or Red (``minimum_rating``): below that, the suggestion is the minimum, so rating lower
    needs a reason like any other override."""
    minimum = case_data.get(MINIMUM_RATING_FIELD)
    code = minimum.lower() if isinstance(minimum, str) else None
    if code not in RAG_URGENCY or (suggestion.rag is not None
                                   and RAG_URGENCY.index(suggestion.rag) >= RAG_URGENCY.index(code)):
        return suggestion
    why = case_data.get(DA_RULE_FIELD)
    return Suggestion(rag=code, rule=f"at least {rag_label(code)} by the domestic abuse table"
                      + (f" ({why})" if why else ""))


def screening_suggestion(session: Session, case: Case, factors: Sequence[str] | None) -> Suggestion:
    """The suggestion the screening task page shows for the factors ticked so far (nothing is stored)."""
    definition = compiled_by_id(session, case.process_version_id)
    case_data = CaseWorkflow.restore(definition, case.state).case_data() if case.state else {}
    return suggest(definition, case_data, factors, session=session, case=case)


def rule_words(suggestion: Suggestion) -> str:
    """How a page names the rule: "rule 3, abuse or neglect, baby under one"."""
    parts = [f"rule {suggestion.rule_number}" if suggestion.rule_number else "", suggestion.rule or ""]
    return ", ".join(p for p in parts if p)


def override_errors(suggestion: Suggestion, form_data: Mapping[str, Any]) -> list[FieldError]:
    """A rating other than the suggestion without a reason is refused, naming the suggestion and its rule."""
    chosen = form_data.get(RAG_FIELD)
    reason = form_data.get(OVERRIDE_REASON_FIELD)
    if not suggestion.differs(chosen) or (isinstance(reason, str) and reason.strip()):
        return []
    return [FieldError(OVERRIDE_REASON_FIELD,
                       f"The threshold suggests {suggestion.label} ({rule_words(suggestion)}): enter why you have "
                       f"rated the contact {rag_label(str(chosen))}")]


def with_suggestion(suggestion: Suggestion, form_data: dict[str, Any]) -> dict[str, Any]:
    """The submission with what the table suggested, so the screening's record keeps both."""
    return {**form_data, SUGGESTED_RAG_FIELD: suggestion.rag, SUGGESTED_RULE_FIELD: suggestion.rule}


def record_suggestion(session: Session, case: Case, suggestion: Suggestion, form_data: Mapping[str, Any],
                      actor: Actor, task_id: str, element_id: str) -> None:
    """Keep the suggestion on the case and audit an override (ratings and the rule only: the reason, free
    text, stays with the screening's submission)."""
    chosen = form_data.get(RAG_FIELD)
    case.suggested_rag = suggestion.rag
    case.suggested_rule = suggestion.rule
    case.screened_rag = chosen
    case.rag_overridden = suggestion.differs(chosen) if suggestion.rag is not None else None
    if case.rag_overridden:
        record(session, actor, OVERRIDDEN_EVENT, case_id=case.id, task_id=task_id, element_id=element_id,
               summary=f"Rated {rag_label(str(chosen))} where the threshold suggests {suggestion.label}",
               details={"suggested": suggestion.rag, "chosen": chosen, "rule": suggestion.rule})
