"""Which definition version is current, and the parsed specs of any stored version (cached)."""
from __future__ import annotations

import ast
import json
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.core.actor import SYSTEM, Actor
from app.core.clock import now
from app.core.db import get_db
from app.core.diagram_xml import parse_xml_or_none
from app.core.errors import ProcessFailed
from app.engine import CompiledDefinition, ProcessBundle, compile_bundle
from app.engine.definitions import BPMN_NS
from app.process_models.models import ProcessVersion

ENTRY_PROCESS = "referral"

#: (process id, content hash) -> parsed specs: the same files compiled for their root process.
_cache: dict[tuple[str, str], CompiledDefinition] = {}
#: (database, version id) -> (process id, content hash): a version's content never changes once stored.
_key_by_id: dict[tuple[str, int], tuple[str, str]] = {}
_lock = threading.Lock()


#: Held while a stored version compiles, so requests that want it meanwhile (the first ones after a start) wait
#: for that compile instead of each compiling it again.
_compiling = threading.Lock()


def compiled(version: ProcessVersion) -> CompiledDefinition:
    """Parsed specs for a stored version; parsing happens once per process and content."""
    key = (version.process_id, version.content_hash)
    with _lock:
        definition = _cache.get(key)
    if definition is None:
        with _compiling:
            with _lock:
                definition = _cache.get(key)
            if definition is None:
                definition = compile_bundle(ProcessBundle.from_json(json.loads(version.bundle)), version.process_id)
                with _lock:
                    _cache[key] = definition
    return definition


def register_bundle(session: Session, bundle: ProcessBundle, *, created_by: str | None = None,
                    actor: Actor | None = None, process_id: str = ENTRY_PROCESS, note: str | None = None,
                    source: str = "init", definition: CompiledDefinition | None = None) -> ProcessVersion:
    """Validate a bundle and store it as a new version, unless some version of the process already holds
    these files: then that version (the newest of them) is returned and nothing is stored.

    This is how the shipped diagrams are registered (`mash init-db`): files the hub has seen before never
    become current again by themselves, so a restart cannot undo a deploy. Deploys from people go through
    app/process_models/deploy.py (lint, the overlay, and rollback to an earlier version's files)."""
    definition = definition or compile_bundle(bundle, process_id)
    existing = stored_with(session, process_id, bundle.content_hash)
    if existing is not None:
        return existing
    return store_version(session, bundle, actor=actor or _named(created_by), process_id=process_id, note=note,
                         source=source, definition=definition)


def store_version(session: Session, bundle: ProcessBundle, *, actor: Actor, process_id: str, note: str | None,
                  source: str, definition: CompiledDefinition, restored_from: int | None = None) -> ProcessVersion:
    """Store a validated bundle as the process's next version (audited); it becomes current.

    ``restored_from``: the earlier version whose files these are (a rollback), audited as such too."""
    latest = session.scalar(select(func.max(ProcessVersion.version)).where(ProcessVersion.process_id == process_id))
    version = ProcessVersion(process_id=process_id, version=(latest or 0) + 1, content_hash=bundle.content_hash,
                             bundle=json.dumps(bundle.to_json()), created_at=now(), created_by=actor.username,
                             note=(note or "").strip() or None, source=source)
    session.add(version)
    session.flush()
    details = {"process_id": process_id, "version": version.version, "content_hash": bundle.content_hash,
               "source": source}
    record(session, actor, "process.deployed", summary=f"{process_id} version {version.version} deployed",
           details=details if restored_from is None else {**details, "restored_from": restored_from})
    if restored_from is not None:
        record(session, actor, "process.restored",
               summary=f"{process_id} version {restored_from} made current again as version {version.version}",
               details={**details, "restored_from": restored_from})
    with _lock:
        _cache[(process_id, bundle.content_hash)] = definition
    return version


def stored_with(session: Session, process_id: str, content_hash: str) -> ProcessVersion | None:
    """The newest version of the process that holds exactly these files, if any."""
    return session.scalar(select(ProcessVersion).where(ProcessVersion.process_id == process_id,
                                                       ProcessVersion.content_hash == content_hash)
                          .order_by(ProcessVersion.version.desc()).limit(1))


def _named(username: str | None) -> Actor:
    return Actor(user_id=None, username=username or "system", roles=frozenset())


def register_directories(session: Session, processes_dir: Path, forms_dir: Path, *,
                         created_by: str = "system") -> ProcessVersion:
    return register_bundle(session, ProcessBundle.from_directories(processes_dir, forms_dir), created_by=created_by)


def process_ids(session: Session) -> list[str]:
    """Every deployed process (a bundle's root process: the one cases start on)."""
    return list(session.scalars(select(ProcessVersion.process_id).distinct().order_by(ProcessVersion.process_id)))


def versions_of(session: Session, process_id: str) -> list[ProcessVersion]:
    """A process's versions, newest first."""
    return list(session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == process_id)
                                .order_by(ProcessVersion.version.desc())))


def version_of(session: Session, process_id: str, version: int) -> ProcessVersion | None:
    return session.scalar(select(ProcessVersion).where(ProcessVersion.process_id == process_id,
                                                       ProcessVersion.version == version))


def bundle_of(version: ProcessVersion) -> ProcessBundle:
    return ProcessBundle.from_json(json.loads(version.bundle))


def file_of_process(bundle: ProcessBundle, bpmn_process_id: str) -> str | None:
    """The diagram file that holds an executable process id, or None."""
    for name, raw in bundle.bpmn.items():
        if any(pid == bpmn_process_id for pid, _name in executable_processes(raw)):
            return name
    return None


def executable_processes(raw: bytes) -> list[tuple[str, str]]:
    """(id, name) of each executable process a diagram declares; none if the file does not parse."""
    tree = parse_xml_or_none(raw)
    if tree is None:
        return []
    return [(process_id, p.get("name") or process_id) for p in tree.iter(f"{{{BPMN_NS}}}process")
            if (process_id := p.get("id")) and (p.get("isExecutable") or "").strip().lower() == "true"]


def called_processes(raw: bytes) -> set[str]:
    """The process ids a diagram's call activities call."""
    tree = parse_xml_or_none(raw)
    if tree is None:
        return set()
    return {called for c in tree.iter(f"{{{BPMN_NS}}}callActivity") if (called := c.get("calledElement"))}


@dataclass(frozen=True)
class ScriptTask:
    """A script task as drawn: its name, and the case-data names its script assigns."""

    element_id: str
    name: str
    assigns: frozenset[str]


_scripts: dict[str, dict[str, ScriptTask]] = {}


def script_tasks(bundle: ProcessBundle) -> dict[str, ScriptTask]:
    """Element id -> script task, over every diagram of a bundle (read once per content)."""
    found = _scripts.get(bundle.content_hash)
    if found is None:
        found = {}
        for raw in bundle.bpmn.values():
            tree = parse_xml_or_none(raw)
            for task in tree.iter(f"{{{BPMN_NS}}}scriptTask") if tree is not None else ():
                if element_id := task.get("id"):
                    script = task.find(f"{{{BPMN_NS}}}script")
                    found[element_id] = ScriptTask(element_id, task.get("name") or element_id,
                                                   _assigned_names(script.text if script is not None else None))
        _scripts[bundle.content_hash] = found
    return found


def _assigned_names(source: str | None) -> frozenset[str]:
    """The names a script assigns (``rag = "red"``, ``for x in ...``, ``n += 1``): what it can set in case data."""
    try:
        tree = ast.parse(source or "")
    except (SyntaxError, ValueError, RecursionError):  # refused at deploy; nothing to attribute
        return frozenset()
    return frozenset(node.id for node in ast.walk(tree) if isinstance(node, ast.Name)
                     and isinstance(node.ctx, ast.Store | ast.Del))


def latest_version(session: Session, process_id: str = ENTRY_PROCESS) -> ProcessVersion | None:
    return session.scalar(select(ProcessVersion).where(ProcessVersion.process_id == process_id)
                          .order_by(ProcessVersion.version.desc()).limit(1))


def pathway_version(session: Session, process_id: str) -> ProcessVersion:
    """The version of a pathway's own process (a contact type's: domestic_abuse, lado_allegation...) to start now.

    Pathways live in the same bundle as the entry process (the children's pathway they call is the hub's current
    referral process), so each is registered from the current entry version's files by the first contact that
    needs it after a deploy; a version of the pathway deployed by name since then is used as it is. Two first
    contacts at once both start on the one version the first stored."""
    entry = latest_version(session)
    if entry is None:
        raise ProcessFailed("No process is deployed: run 'mash init-db' first.")
    latest = latest_version(session, process_id)
    if latest is not None and (latest.content_hash == entry.content_hash or latest.created_at > entry.created_at):
        return latest
    bundle = bundle_of(entry)
    if not any(pid == process_id for raw in bundle.bpmn.values() for pid, _name in executable_processes(raw)):
        raise ProcessFailed(f"The current process version has no '{process_id}' process: deploy its diagram "
                            "with the referral diagrams.")
    note = f"The {process_id} process of {entry.process_id} version {entry.version}'s files"
    try:
        with session.begin_nested():
            return register_bundle(session, bundle, actor=SYSTEM, process_id=process_id,
                                   source=entry.source or "init", note=note)
    except IntegrityError:
        # Two first contacts at the same instant (PostgreSQL): the other stored it first; start on theirs.
        winner = stored_with(session, process_id, entry.content_hash)
        if winner is None:
            raise
        return winner


def compiled_by_id(session: Session, version_id: int) -> CompiledDefinition:
    """Parsed specs for a version id without loading the stored bundle again (versions never change)."""
    key = (get_db().url, version_id)
    with _lock:
        found = _key_by_id.get(key)
        definition = _cache.get(found) if found is not None else None
    if definition is None:
        version = version_by_id(session, version_id)
        definition = compiled(version)
        with _lock:
            _key_by_id[key] = (version.process_id, version.content_hash)
    return definition


def version_by_id(session: Session, version_id: int) -> ProcessVersion:
    version = session.get(ProcessVersion, version_id)
    if version is None:
        raise LookupError(f"process version {version_id} does not exist")
    return version
