"""Re-rating a contact outside the diagram's own re-rating step (from the case page or the API)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.cases.models import Case
from app.casework.progress import record_progress
from app.core.actor import Actor
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.engine import CaseWorkflow
from app.forms import FieldError, FormDefinition, validate
from app.process_models.registry import compiled_by_id

#: The form (forms/rerate.json) for re-rating a contact from its case page or the API.
RERATE_FORM = "rerate"


def rerate_form(session: Session, case_id: int) -> FormDefinition:
    case = session.get(Case, case_id)
    return compiled_by_id(session, case.process_version_id).forms[RERATE_FORM]


def rerate(session: Session, case_id: int, form_data: dict, actor: Actor) -> Case:
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
    if form_data["rag"] == case.rag:
        raise ValidationFailed([FieldError("rag", f"The contact is already rated {case.rag.capitalize()}")])
    workflow = CaseWorkflow.restore(definition, case.state)
    workflow.set_data("rag", form_data["rag"])
    record_progress(session, case, workflow, [], actor, rag_rationale=form_data["rag_rationale"])
    return case
