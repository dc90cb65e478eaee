"""What the process pages and the API list: each deployed process with its versions and the cases on each."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.cases.models import Case
from app.process_models.models import ProcessVersion
from app.process_models.registry import bundle_of, executable_processes, process_ids, versions_of


@dataclass(frozen=True)
class VersionSummary:
    process_id: str
    version: int
    version_id: int
    deployed_at: datetime
    deployed_by: str
    source: str | None
    note: str | None
    content_hash: str
    diagrams: list[str]
    forms: list[str]
    open_cases: int
    closed_cases: int

    def as_json(self) -> dict:
        return {"version": self.version, "deployed_at": self.deployed_at.isoformat(), "deployed_by": self.deployed_by,
                "source": self.source, "note": self.note, "content_hash": self.content_hash,
                "diagrams": self.diagrams, "forms": self.forms,
                "open_cases": self.open_cases, "closed_cases": self.closed_cases}


@dataclass(frozen=True)
class ProcessSummary:
    process_id: str
    name: str
    versions: list[VersionSummary]

    @property
    def latest(self) -> VersionSummary:
        return self.versions[0]

    def as_json(self) -> dict:
        return {"process_id": self.process_id, "name": self.name, "latest_version": self.latest.version,
                "versions": [v.as_json() for v in self.versions]}


def process_catalogue(session: Session) -> list[ProcessSummary]:
    counts = _case_counts(session)
    return [summary for pid in process_ids(session) if (summary := _summary(session, pid, counts)) is not None]


def process_summary(session: Session, process_id: str) -> ProcessSummary | None:
    return _summary(session, process_id, _case_counts(session))


def _summary(session: Session, process_id: str, counts: dict[tuple[int, str], int]) -> ProcessSummary | None:
    versions = versions_of(session, process_id)
    if not versions:
        return None
    rows = [_version_summary(v, counts) for v in versions]
    return ProcessSummary(process_id=process_id, name=process_name(versions[0]) or process_id, versions=rows)


def _version_summary(version: ProcessVersion, counts: dict[tuple[int, str], int]) -> VersionSummary:
    bundle = bundle_of(version)
    return VersionSummary(
        process_id=version.process_id, version=version.version, version_id=version.id,
        deployed_at=version.created_at, deployed_by=version.created_by, source=version.source, note=version.note,
        content_hash=version.content_hash, diagrams=sorted(bundle.bpmn), forms=sorted(bundle.forms),
        open_cases=counts.get((version.id, "open"), 0), closed_cases=counts.get((version.id, "closed"), 0))


def process_name(version: ProcessVersion) -> str | None:
    """The root process's name as drawn (the process element's name attribute)."""
    for raw in bundle_of(version).bpmn.values():
        for pid, name in executable_processes(raw):
            if pid == version.process_id:
                return name
    return None


def _case_counts(session: Session) -> dict[tuple[int, str], int]:
    rows = session.execute(select(Case.process_version_id, Case.status, func.count())
                           .group_by(Case.process_version_id, Case.status))
    return {(version_id, status): count for version_id, status, count in rows}
