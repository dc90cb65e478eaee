"""What every contact's case data starts with, whatever door it came through, and how it is then started.

Every name here is in SET_AT_CONTACT (app/core/vocabulary.py), which the deploy check counts as known from the
start: a diagram may test any of them on any contact. A door adds its own names on top."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.cases.models import Case
from app.casework.starting import start_workflow, store_unstarted
from app.core.actor import Actor
from app.core.vocabulary import (
    HAS_OPEN_CASE_FIELD,
    IMMEDIATE_RISK_FIELD,
    OPEN_ENQUIRY_FIELD,
    OUTCOME_FIELD,
    RECEIVED_AT_FIELD,
    REFERENCE_FIELD,
    REFERRAL_DATE_FIELD,
    SOURCE_FIELD,
    STRATEGY_OUTCOME_FIELD,
)
from app.intake.open_work import OpenWork


def contact_data(case: Case, *, received_at: datetime, source: str, immediate_risk: bool,
                 work: OpenWork | None) -> dict[str, Any]:
    """The case data a contact starts with: its reference, receipt, source, immediate risk and the open work on its
    subjects (``work=None``: none looked for), and the decisions made later, present and empty. A door adds its
    own names with ``|``."""
    return {
        REFERENCE_FIELD: case.reference,
        RECEIVED_AT_FIELD: received_at.isoformat(),
        SOURCE_FIELD: source,
        IMMEDIATE_RISK_FIELD: immediate_risk,
        HAS_OPEN_CASE_FIELD: work is not None and work.social_work is not None,
        OPEN_ENQUIRY_FIELD: work.open_enquiry.reference if work is not None and work.open_enquiry else None,
        # Decided later; present from the start so every gateway can test them.
        OUTCOME_FIELD: None,
        STRATEGY_OUTCOME_FIELD: None,
        REFERRAL_DATE_FIELD: None,
    }


def begin(session: Session, case: Case, data: dict[str, Any], actor: Actor, *, start: bool) -> None:
    """Start the case's process now, or store it unstarted for the caller to start after its commit."""
    if start:
        start_workflow(session, case, data, actor)
    else:
        store_unstarted(session, case, data, actor)
