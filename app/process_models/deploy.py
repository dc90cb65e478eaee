"""The one deploy pipeline (upload page, modeler, API, `mash deploy`): validate everything, then store a version.

An upload is laid over the latest version of its process, so a process owner can send just the diagram
they redrew: a ``.bpmn`` replaces the stored file that holds the same process, a ``.dmn`` the stored decision
table with the same decision id (or file name), ``<key>.json`` replaces that form, ``sla-policies.toml`` the
policies; anything not sent stays as it was. The whole result is
checked (XML, schema, parse, call activities, expressions in the sandbox, forms, lanes) plus bpmnlint on
the diagrams sent, and every problem comes back at once; nothing is stored unless all of it passes.

The way back from a bad deploy is a deploy: files identical to the current version change nothing, but files
identical to an earlier version are stored again as a new version ("Restored from version N") that new cases
start on. ``restore`` does the same from the version history without sending the files.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from lxml import etree
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.actor import Actor
from app.core.diagram_xml import as_utf8_text, parse_xml
from app.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.core.sla import POLICY_FILE
from app.engine import CompiledDefinition, DefinitionError, DefinitionProblem, ProcessBundle, compile_bundle
from app.engine.decisions import decision_id_of
from app.process_models.lint import LintFinding, LintUnavailable, lint_diagrams
from app.process_models.registry import (
    ENTRY_PROCESS,
    bundle_of,
    called_processes,
    executable_processes,
    latest_version,
    process_ids,
    store_version,
    stored_with,
    version_of,
)

DIAGRAM_SUFFIXES = (".bpmn", ".bpmn20.xml")
TABLE_SUFFIX = ".dmn"
FORM_SUFFIX = ".json"
#: A hub's whole bundle (diagrams, tables, forms, policy files: 71 shipped) with room to grow; a bound, not a quota.
MAX_FILES = 200
PROCESS_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,99}$")
SOURCES = ("init", "web", "modeler", "api", "cli")
UPLOAD = "(upload)"
RACE_MESSAGE = ("Another version of this process was deployed at the same moment. "
                "Check the version history, then deploy again.")
BPMN_DI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"


@dataclass(frozen=True)
class UploadedFile:
    """One file as sent: ``*.bpmn`` (a diagram), ``*.dmn`` (a decision table), ``<form key>.json`` (a form) or
    ``sla-policies.toml``."""

    name: str
    content: bytes


@dataclass(frozen=True)
class Deployment:
    process_id: str
    version: int
    version_id: int
    #: False when the files are those of the current version: it is returned, nothing is stored.
    created: bool
    warnings: list[DefinitionProblem] = field(default_factory=list)
    #: The earlier version whose files these are, when the deploy made it current again.
    restored_from: int | None = None


@dataclass(frozen=True)
class Candidate:
    """A validated upload: the whole bundle it makes once laid over the latest version, and its specs."""

    process_id: str
    bundle: ProcessBundle
    definition: CompiledDefinition
    #: bpmnlint warnings (rules set to "warn"): shown to the process owner, they do not stop a deploy.
    warnings: list[DefinitionProblem] = field(default_factory=list)


@dataclass
class _Upload:
    diagrams: dict[str, bytes] = field(default_factory=dict)
    tables: dict[str, bytes] = field(default_factory=dict)
    forms: dict[str, str] = field(default_factory=dict)
    policies: str | None = None
    #: Each diagram parsed once: its root element, or the syntax error that stopped the parse.
    parsed: dict[str, object] = field(default_factory=dict)

    @property
    def unreadable(self) -> dict[str, etree.XMLSyntaxError]:
        return {name: tree for name, tree in self.parsed.items() if isinstance(tree, etree.XMLSyntaxError)}

    @property
    def readable(self) -> dict[str, object]:
        return {name: tree for name, tree in self.parsed.items() if not isinstance(tree, etree.XMLSyntaxError)}


def validate_upload(session: Session, files: list[UploadedFile], *, process_id: str | None = None) -> Candidate:
    """Everything a deploy checks, changing nothing; raises DefinitionError listing every problem."""
    problems: list[DefinitionProblem] = []
    upload = _sort_files(files, problems)
    target = _target_process(session, upload, process_id, problems)
    if not target:
        raise DefinitionError(problems)
    base = latest_version(session, target)
    return _checked(_lay_over(bundle_of(base) if base is not None else None, upload), target, upload, problems)


def deploy(session: Session, files: list[UploadedFile], actor: Actor, *, process_id: str | None = None,
           note: str = "", source: str = "web") -> Deployment:
    """validate_upload, then store a new immutable version (audited). The caller's transaction commits it.

    The current version's own files store nothing (created False); an earlier version's files make it current
    again as a new version."""
    if source not in SOURCES:
        raise ValueError(f"unknown deploy source {source!r}")
    return _store(session, validate_upload(session, files, process_id=process_id), actor, note, source)


def restore(session: Session, process_id: str, version: int, actor: Actor, *, note: str,
            source: str = "web") -> Deployment:
    """Make an earlier version current again: its files, exactly as stored, become the next version.

    Checked like any deploy (the rules may have grown since it was first deployed). Running cases stay on
    their versions; the migration page can move them. Asking for the files of the current version changes
    nothing and answers that version (created False), so a repeated request is harmless."""
    if source not in SOURCES:
        raise ValueError(f"unknown deploy source {source!r}")
    stored = version_of(session, process_id, version)
    if stored is None:
        raise NotFound(f"{process_id} has no version {version}.")
    if not note.strip():
        raise ValidationFailed([FieldError("note", "Say why this version is to be current again: "
                                                   "it is shown in the version history")])
    return _store(session, validate_bundle(bundle_of(stored), process_id), actor, note, source, asked=version)


def validate_bundle(bundle: ProcessBundle, process_id: str) -> Candidate:
    """A whole stored bundle checked as a deploy checks it (bpmnlint on every diagram); raises DefinitionError."""
    upload = _Upload(diagrams=dict(bundle.bpmn), parsed={name: _parsed(raw) for name, raw in bundle.bpmn.items()})
    return _checked(bundle, process_id, upload, [])


def _checked(bundle: ProcessBundle, process_id: str, upload: _Upload, problems: list[DefinitionProblem]) -> Candidate:
    """Compile the whole bundle and lint the diagrams in ``upload``; every problem at once, or the candidate."""
    errors, warnings = _lint(upload)
    definition = None
    try:
        definition = compile_bundle(bundle, process_id)
    except DefinitionError as error:
        problems.extend(error.problems)
    problems.extend(p for p in errors if p not in problems)
    if problems or definition is None:
        raise DefinitionError(problems)
    return Candidate(process_id=process_id, bundle=bundle, definition=definition,
                     warnings=warnings + definition.warnings)


def _store(session: Session, candidate: Candidate, actor: Actor, note: str, source: str,
           asked: int | None = None) -> Deployment:
    current = latest_version(session, candidate.process_id)
    if current is not None and current.content_hash == candidate.bundle.content_hash:
        return Deployment(current.process_id, current.version, current.id, created=False, warnings=candidate.warnings)
    earlier = stored_with(session, candidate.process_id, candidate.bundle.content_hash)
    restored_from = (asked or earlier.version) if earlier is not None else None
    if restored_from is not None:
        note = f"Restored from version {restored_from}" + (f": {note.strip()}" if note.strip() else "")
    try:
        version = store_version(session, candidate.bundle, actor=actor, process_id=candidate.process_id, note=note,
                                source=source, definition=candidate.definition, restored_from=restored_from)
    except IntegrityError as error:  # two deploys took the same version number; the other one won
        raise Conflict(RACE_MESSAGE) from error
    return Deployment(version.process_id, version.version, version.id, created=True, warnings=candidate.warnings,
                      restored_from=restored_from)


def _parsed(raw: bytes) -> object:
    try:
        return parse_xml(raw)
    except etree.XMLSyntaxError as error:
        return error


# ----------------------------------------------------------------------------- the files sent
def _sort_files(files: list[UploadedFile], problems: list[DefinitionProblem]) -> _Upload:
    upload = _Upload()
    if not files:
        problems.append(DefinitionProblem(UPLOAD, "no files were sent: choose one or more .bpmn files (and any "
                                                    "decision tables or forms)"))
    if len(files) > MAX_FILES:
        problems.append(DefinitionProblem(UPLOAD, f"at most {MAX_FILES} files can be deployed at once"))
        return upload
    seen: set[str] = set()
    for sent in files:
        name = PurePosixPath(sent.name.replace("\\", "/")).name
        if not name:
            problems.append(DefinitionProblem(UPLOAD, "a file was sent without a name"))
            continue
        if name in seen:
            problems.append(DefinitionProblem(name, "this file name was sent twice"))
            continue
        seen.add(name)
        if name.lower().endswith(DIAGRAM_SUFFIXES):
            upload.diagrams[name] = sent.content
            upload.parsed[name] = _parsed(sent.content)
        elif name.lower().endswith(TABLE_SUFFIX):
            upload.tables[name] = sent.content
        elif name == POLICY_FILE:
            upload.policies = _text(name, sent.content, problems)
        elif name.lower().endswith(FORM_SUFFIX):
            text = _text(name, sent.content, problems)
            if text is not None:
                upload.forms[name[: -len(FORM_SUFFIX)]] = text
        else:
            problems.append(DefinitionProblem(name, "this kind of file is not part of a process: send .bpmn "
                                                    "diagrams, .dmn decision tables, forms as <form key>.json, "
                                                    f"or {POLICY_FILE}"))
    return upload


def _text(name: str, content: bytes, problems: list[DefinitionProblem]) -> str | None:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        problems.append(DefinitionProblem(name, f"the file is not UTF-8 text (byte {error.start} cannot be read)"))
        return None


# ----------------------------------------------------------------------------- which process
def _target_process(session: Session, upload: _Upload, process_id: str | None,
                    problems: list[DefinitionProblem]) -> str:
    """The deployed process this upload makes a new version of (or the new process it starts)."""
    if process_id:
        if not PROCESS_ID.match(process_id):
            problems.append(DefinitionProblem(UPLOAD, "the process id must start with a letter and use only letters, "
                                                      "digits, '_', '-' and '.' (at most 100)"))
        return process_id
    deployed = process_ids(session)
    sent: list[str] = []
    called: set[str] = set()
    for raw in upload.diagrams.values():
        sent += [pid for pid, _name in executable_processes(raw)]
        called |= called_processes(raw)
    if not upload.diagrams:
        if len(deployed) == 1 or not deployed:
            return deployed[0] if deployed else ENTRY_PROCESS
        problems.append(DefinitionProblem(UPLOAD, "say which process these files belong to (process_id): "
                                                  f"deployed processes are {', '.join(deployed)}"))
        return ""
    named = sorted({pid for pid in sent if pid in deployed})
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        problems.append(DefinitionProblem(UPLOAD, f"these files hold several deployed processes ({', '.join(named)}): "
                                                  "deploy one process at a time, or name it (process_id)"))
        return ""
    # A file that does not parse says nothing about its process: go by the stored file of the same name.
    unreadable = set(upload.unreadable)
    owners = sorted({root for root in deployed
                     if set(sent) & _ids_in_latest(session, root) or unreadable & _files_in_latest(session, root)})
    if len(owners) == 1:
        return owners[0]
    if ENTRY_PROCESS in owners:  # a file shared with a process a contact type starts (domestic_abuse) is the hub's
        return ENTRY_PROCESS     # entry process's unless the owner names the other (docs/process-contract.md)
    if len(owners) > 1:
        problems.append(DefinitionProblem(UPLOAD, f"the process is part of several deployed processes "
                                                  f"({', '.join(owners)}): name the one to deploy (process_id)"))
        return ""
    if unreadable:
        problems.extend(DefinitionProblem(name, f"the file is not well-formed XML: {error.msg}", line=error.lineno)
                        for name, error in sorted(upload.unreadable.items()))
        return ""
    roots = [pid for pid in dict.fromkeys(sent) if pid not in called]
    if len(roots) == 1:
        return roots[0]
    if not sent:
        problems.append(DefinitionProblem(", ".join(upload.diagrams),
                                          'no executable process: mark the process isExecutable="true" '
                                          '(in the modelers: "Executable" on the process)'))
    else:
        problems.append(DefinitionProblem(UPLOAD, f"these files start several processes ({', '.join(roots or sent)}): "
                                                  "name the one cases start on (process_id)"))
    return ""


def _files_in_latest(session: Session, process_id: str) -> set[str]:
    latest = latest_version(session, process_id)
    return set(bundle_of(latest).bpmn) if latest is not None else set()


def _ids_in_latest(session: Session, process_id: str) -> set[str]:
    latest = latest_version(session, process_id)
    if latest is None:
        return set()
    return {pid for raw in bundle_of(latest).bpmn.values() for pid, _name in executable_processes(raw)}


# ----------------------------------------------------------------------------- the new bundle
def _lay_over(base: ProcessBundle | None, upload: _Upload) -> ProcessBundle:
    bpmn = dict(base.bpmn) if base is not None else {}
    for name, raw in upload.diagrams.items():
        sent_ids = {pid for pid, _name in executable_processes(raw)}
        for stored_name, stored in list(bpmn.items()):
            if stored_name != name and sent_ids & {pid for pid, _name in executable_processes(stored)}:
                del bpmn[stored_name]  # the same process saved under another file name
        bpmn[name] = raw
    dmn = dict(base.dmn) if base is not None else {}
    for name, raw in upload.tables.items():
        sent_id = decision_id_of(raw)
        for stored_name, stored in list(dmn.items()):
            if stored_name != name and sent_id is not None and decision_id_of(stored) == sent_id:
                del dmn[stored_name]  # the same decision saved under another file name
        dmn[name] = raw
    forms = {**(base.forms if base is not None else {}), **upload.forms}
    policies = upload.policies if upload.policies is not None else (base.policies if base is not None else None)
    return ProcessBundle(bpmn=dict(sorted(bpmn.items())), forms=dict(sorted(forms.items())), policies=policies,
                         dmn=dict(sorted(dmn.items())))


# ----------------------------------------------------------------------------- bpmnlint
def _lint(upload: _Upload) -> tuple[list[DefinitionProblem], list[DefinitionProblem]]:
    """(errors, warnings) from bpmnlint on the readable diagrams (compile_bundle reports the others),
    each pointing at its element's line."""
    readable = upload.readable
    try:
        findings = lint_diagrams({name: as_utf8_text(upload.diagrams[name]) for name in readable})
    except LintUnavailable as error:
        return [DefinitionProblem(name, f"not checked: {error}") for name in readable], []
    places = {name: _places(tree) for name, tree in readable.items()}
    errors: list[DefinitionProblem] = []
    warnings: list[DefinitionProblem] = []
    for finding in findings:
        (errors if finding.category == "error" else warnings).append(_problem(finding, places.get(finding.file, {})))
    return errors, warnings


def _places(tree) -> dict[str, tuple[str | None, int]]:
    """Element id -> (name, line), for the model elements (not their drawing)."""
    return {el.get("id"): (el.get("name"), el.sourceline) for el in tree.iter()
            if isinstance(el.tag, str) and el.get("id") and not el.tag.startswith(f"{{{BPMN_DI_NS}}}")}


def _problem(finding: LintFinding, places: dict[str, tuple[str | None, int]]) -> DefinitionProblem:
    name, line = places.get(finding.element_id or "", (None, None))
    message = f"{finding.message[:1].lower()}{finding.message[1:]} (bpmnlint rule {finding.rule})"
    return DefinitionProblem(finding.file, message, finding.element_id, name or None, line)
