"""The one deploy pipeline (upload page, modeler, API, `mash deploy`): validate everything, then store a version.

BEING WRITTEN BY THE LEAD: the signatures below are the contract; bodies land shortly.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.core.actor import Actor
from app.engine import CompiledDefinition, ProcessBundle


@dataclass(frozen=True)
class UploadedFile:
    """One file as sent: ``*.bpmn`` (a diagram), ``<form key>.json`` (a form) or ``sla-policies.toml``."""

    name: str
    content: bytes


@dataclass(frozen=True)
class Deployment:
    process_id: str
    version: int
    version_id: int
    #: False when the same content was already deployed: that version is returned, nothing is stored.
    created: bool


@dataclass(frozen=True)
class Candidate:
    """A validated upload: the whole bundle it makes once laid over the latest version, and its specs."""

    process_id: str
    bundle: ProcessBundle
    definition: CompiledDefinition


def validate_upload(session: Session, files: list[UploadedFile], *, process_id: str | None = None) -> Candidate:
    """Everything a deploy checks, changing nothing; raises DefinitionError listing every problem."""
    raise NotImplementedError


def deploy(session: Session, files: list[UploadedFile], actor: Actor, *, process_id: str | None = None,
           note: str = "", source: str = "web") -> Deployment:
    """validate_upload, then store a new immutable version (audited). The caller's transaction commits it."""
    raise NotImplementedError
