"""Moving running cases onto a newer version of their process: the preview, and the move itself.

A deployed version never changes and new contacts start on the latest one; a case stays on the version
it started on until a process owner moves it. The preview tries the move on every open case of an older
version (nothing is saved) and says, in plain words, why a case cannot go. The move takes each chosen
case in its own transaction: the workflow re-pointed and re-saved, its deadlines kept at their original
due times, its inbox rows and deadline rows brought in step, and one ``case.migrated`` audit event. A
case someone worked on since the preview (its optimistic-lock version moved) is reported, not moved.

Process owners read the preview and the move's result, and they are trusted with diagrams, not with children's
records. The dry run evaluates each case's own data, and the engine's message for a step that fails can quote it
(a script's ``raise ValueError(rag_rationale)``): so a failing step is reported by its element and the kind of
refusal only, and counted. Decision makers see the full message on the SLA wall when a case reaches the step.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import Case
from app.casework.progress import record_progress
from app.core.actor import Actor
from app.core.db import run_in_transaction
from app.core.errors import FieldError, NotFound, ValidationFailed
from app.deadlines.tracking import follow_renamed_timers
from app.engine import MigrationRefused, ProcessFault, VersionChange
from app.process_models.diff import ElementDiff, diff_bundles
from app.process_models.models import ProcessVersion
from app.process_models.registry import bundle_of, compiled, latest_version, version_of, versions_of


@dataclass(frozen=True)
class CaseMove:
    """One open case in the preview: can it move to the target version, and if not, why."""

    case_id: int
    reference: str
    version: int
    #: The case row's optimistic-lock version when previewed: the move refuses a case changed since.
    lock: int
    current_step: str
    reasons: list[str]
    notes: list[str]
    #: The steps it is at that the target version changes (name, what changed).
    changed_steps: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def movable(self) -> bool:
        return not self.reasons

    @property
    def token(self) -> str:
        """What the form posts for a chosen case: its id and the version the preview saw."""
        return f"{self.case_id}:{self.lock}"


@dataclass(frozen=True)
class MigrationPreview:
    process_id: str
    target: ProcessVersion
    versions: list[ProcessVersion]
    cases: list[CaseMove]

    @property
    def movable(self) -> list[CaseMove]:
        return [c for c in self.cases if c.movable]

    @property
    def blocked(self) -> list[CaseMove]:
        return [c for c in self.cases if not c.movable]

    @property
    def refusals(self) -> list[tuple[str, int]]:
        """Each reason a case cannot move, with how many cases it stops, most first."""
        return Counter(reason for c in self.blocked for reason in c.reasons).most_common()


@dataclass(frozen=True)
class Outcome:
    case_id: int
    reference: str
    from_version: int | None
    reason: str | None = None

    @property
    def moved(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class MigrationResult:
    process_id: str
    to_version: int
    outcomes: list[Outcome]

    @property
    def moved(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.moved]

    @property
    def refused(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.moved]


def target_version(session: Session, process_id: str, wanted: int | None) -> ProcessVersion:
    """The version to move cases to (the latest unless asked); NotFound for an unknown process or version."""
    target = latest_version(session, process_id) if wanted is None else version_of(session, process_id, wanted)
    if target is None:
        raise NotFound(f"There is no version {wanted} of {process_id}." if wanted is not None and
                       latest_version(session, process_id) is not None else f"There is no process {process_id}.")
    return target


def _label(version: ProcessVersion) -> str:
    return f"version {version.version}"


def _fails_at(label: str, element_id: str | None) -> str:
    """A step that fails on the case's data, in words that hold none of it."""
    return (f"the process fails on {label} at '{element_id or 'an element without an id'}' with this case's data "
            "(the engine's message can quote the case: managers see it on the SLA wall when a case reaches the step)")


def _reasons_to_show(refusal: MigrationRefused, label: str) -> list[str]:
    """Why a case cannot move, fit for a process owner: a failing step by its element and kind only; the
    other reasons are built from the diagrams (step names, ids) and the case's place in them."""
    if isinstance(refusal.__cause__, ProcessFault):
        return [_fails_at(label, refusal.__cause__.element_id)]
    return refusal.reasons


def _dry_run_reasons(change: VersionChange, state: str, label: str) -> list[str]:
    """The reasons of a case the check refused, without the engine's text: run the move once more (nothing is
    saved) to learn whether a step failed on the case's data."""
    try:
        change.migrate(state)
    except MigrationRefused as refusal:
        return _reasons_to_show(refusal, label)
    return ["it could not be moved on a first try: preview again"]


def _open_cases_before(session: Session, process_id: str, target: ProcessVersion) -> list[tuple[Case, ProcessVersion]]:
    older = {v.id: v for v in versions_of(session, process_id) if v.version < target.version}
    if not older:
        return []
    cases = session.scalars(select(Case).where(Case.status == "open", Case.process_version_id.in_(older))
                            .order_by(Case.received_at, Case.id))
    return [(case, older[case.process_version_id]) for case in cases]


def preview(session: Session, process_id: str, to_version: int | None, actor: Actor) -> MigrationPreview:
    """Try the move on every open case of an older version; nothing is saved but the audit of looking."""
    target = target_version(session, process_id, to_version)
    changes: dict[int, VersionChange] = {}
    changed: dict[int, dict[tuple[str, str], ElementDiff]] = {}
    rows = []
    for case, version in _open_cases_before(session, process_id, target):
        if version.id not in changes:
            changes[version.id] = VersionChange(compiled(version), compiled(target), _label(target))
            elements = diff_bundles(bundle_of(version), bundle_of(target)).elements
            changed[version.id] = {(e.process_id, e.element_id): e for e in elements if e.status == "changed"}
        check = changes[version.id].check(case.state)
        reasons = _dry_run_reasons(changes[version.id], case.state, _label(target)) if check.reasons else []
        differs = [changed[version.id][(s.process_id, s.element_id)] for s in check.active_steps
                   if (s.process_id, s.element_id) in changed[version.id]]
        steps = [(element.name, [c.what for c in element.changes]) for element in differs]
        rows.append(CaseMove(case_id=case.id, reference=case.reference or str(case.id), version=version.version,
                             lock=case.version, current_step=case.current_step, reasons=reasons,
                             notes=check.notes, changed_steps=steps))
    record(session, actor, "process.migration-previewed",
           summary=f"{process_id}: moving cases to version {target.version}",
           details={"process_id": process_id, "to_version": target.version, "cases": len(rows),
                    "movable": sum(1 for r in rows if r.movable)})
    return MigrationPreview(process_id=process_id, target=target, versions=versions_of(session, process_id), cases=rows)


def parse_selection(values: Iterable[str]) -> list[tuple[int, int]]:
    """The posted ``case_id:lock`` tokens; ValidationFailed when none is chosen or one is not ours to read."""
    chosen = []
    for value in values:
        case_id, _, lock = value.partition(":")
        if not (case_id.isdigit() and lock.isdigit()):
            raise ValidationFailed([FieldError("cases", "The cases chosen could not be read: preview again")])
        chosen.append((int(case_id), int(lock)))
    if not chosen:
        raise ValidationFailed([FieldError("cases", "Select at least one case to move")])
    return list(dict.fromkeys(chosen))


def migrate_cases(process_id: str, to_version: int, chosen: list[tuple[int, int]], actor: Actor) -> MigrationResult:
    """Move each chosen case in its own transaction; one that cannot move any more is reported, never half-moved."""
    changes: dict[int, VersionChange] = {}
    outcomes = [run_in_transaction(_migrate_case, process_id, to_version, case_id, lock, actor, changes)
                for case_id, lock in chosen]
    result = MigrationResult(process_id=process_id, to_version=to_version, outcomes=outcomes)
    run_in_transaction(_record_batch, result, actor)
    return result


def _migrate_case(session: Session, process_id: str, to_version: int, case_id: int, lock: int, actor: Actor,
                  changes: dict[int, VersionChange]) -> Outcome:
    target = target_version(session, process_id, to_version)
    case = session.get(Case, case_id)
    if case is None:
        return Outcome(case_id, str(case_id), None, "it no longer exists")
    source = session.get_one(ProcessVersion, case.process_version_id)
    reference = case.reference or str(case.id)

    def refused(reason: str) -> Outcome:
        return Outcome(case.id, reference, source.version, reason)

    if source.process_id != process_id:
        return refused(f"it runs another process ({source.process_id})")
    if case.status != "open":
        return refused("it has closed since the preview")
    if source.version >= target.version:
        return refused(f"it is already on version {source.version}")
    if case.version != lock:
        return refused("it changed since the preview (someone worked on it): preview again")
    if source.id not in changes:
        changes[source.id] = VersionChange(compiled(source), compiled(target), _label(target))
    try:
        migrated = changes[source.id].migrate(case.state)
    except MigrationRefused as refusal:
        return refused("; ".join(_reasons_to_show(refusal, _label(target))))
    workflow = migrated.workflow
    # A timer due while the case moved (the scheduler had not reached it yet) fires as it would have;
    # record_progress records it.
    case.process_version_id = target.id
    follow_renamed_timers(session, case.id, workflow)
    record_progress(session, case, workflow, migrated.events, actor)
    record(session, actor, "case.migrated", case_id=case.id,
           summary=f"Moved from version {source.version} to version {target.version}",
           details={"process_id": process_id, "from_version": source.version, "to_version": target.version})
    return Outcome(case.id, reference, source.version)


def _record_batch(session: Session, result: MigrationResult, actor: Actor) -> None:
    record(session, actor, "process.cases-migrated",
           summary=f"{len(result.moved)} case(s) moved to {result.process_id} version {result.to_version}",
           details={"process_id": result.process_id, "to_version": result.to_version,
                    "moved": len(result.moved), "refused": len(result.refused)})
