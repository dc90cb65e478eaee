"""Start a case straight on one of the domestic-abuse pathway's called processes (Operation Encompass, MARAC),
with the case data the police notification sets, so its steps can be walked through the API."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from app.cases.models import Case, Subject
from app.casework.starting import start_workflow
from app.core.actor import SYSTEM
from app.core.config import PROJECT_ROOT
from app.core.db import run_in_transaction
from app.engine import ProcessBundle
from app.people.intake import index_subjects
from app.process_models.registry import register_bundle


def start_on(process_id: str, received_at: datetime, data: dict[str, Any],
             subjects: list[dict[str, Any]] = ()) -> int:
    """A case received at ``received_at`` running ``process_id`` of the shipped bundle; returns its id."""
    def start(session) -> int:
        version = register_bundle(session, ProcessBundle.from_directories(PROJECT_ROOT / "processes",
                                                                          PROJECT_ROOT / "forms"),
                                  process_id=process_id)
        case = Case(status="open", received_at=received_at, typed_in_at=received_at, immediate_risk=False,
                    has_open_case=False, process_version_id=version.id)
        for position, subject in enumerate(subjects):
            case.subjects.append(Subject(position=position, **subject))
        session.add(case)
        session.flush()
        case.reference = f"MASH-{received_at:%Y}-{case.id:06d}"
        index_subjects(session, case, SYSTEM)
        start_workflow(session, case, {"reference": case.reference, "received_at": received_at.isoformat(),
                                       "outcome": None, **data}, SYSTEM)
        return case.id
    return run_in_transaction(start)


def task_of(api, user: str, case_id: int, name: str) -> str:
    """The open task of that name on the case, from the user's own inbox."""
    for item in api(user).get("/api/v1/tasks").get_json():
        if item["case_id"] == case_id and item["name"] == name:
            return item["task_id"]
    raise AssertionError(f"{user} has no '{name}' task on case {case_id}")
