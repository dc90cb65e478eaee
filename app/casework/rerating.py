"""Re-rating a contact outside the diagram's own re-rating step (from the case page or the API)."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.cases.models import Case
from app.casework.progress import record_progress
from app.core.actor import Actor
from app.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.core.vocabulary import RAG_FIELD, RERATE_FORM, rag_label
from app.engine import CaseWorkflow
from app.forms import FormDefinition, validate
from app.process_models.registry import compiled_by_id


def rerate_form(session: Session, case_id: int) -> FormDefinition:
    case = session.get_one(Case, case_id)
    return compiled_by_id(session, case.process_version_id).forms[RERATE_FORM]


def rerate(session: Session, case_id: int, form_data: dict[str, Any], actor: Actor) -> Case:
    """Change a contact's RAG rating; open deadlines move with it (record_progress re-times them)."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("There is no case with this id.")
    if case.status != "open":
        raise Conflict("This contact is closed: its RAG rating can no longer change.")
    definition = compiled_by_id(session, case.process_version_id)
    errors = validate(definition.forms[RERATE_FORM], form_data)
    if errors:
        raise ValidationFailed(errors)
    if form_data[RAG_FIELD] == case.rag:
        raise ValidationFailed([FieldError(RAG_FIELD,
                                           f"The contact is already rated {rag_label(form_data[RAG_FIELD])}")])
    workflow = CaseWorkflow.restore(definition, case.state)
    workflow.set_data(RAG_FIELD, form_data[RAG_FIELD])
    record_progress(session, case, workflow, [], actor, rag_rationale=form_data["rag_rationale"])
    return case
