"""What a pathway's recorder is given when a step of its diagram is completed (app.casework.recording.Submission).

The recorders (app/marac, app/lado, app/adults, app/missing) sit below casework, so they name what they read of a
submission here rather than importing it."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from app.cases.models import Case
from app.core.actor import Actor


class Done(Protocol):
    """A completed step: its case, its form's answers, who completed it, when, and the task row."""

    @property
    def case(self) -> Case: ...
    @property
    def data(self) -> dict[str, Any]: ...
    @property
    def actor(self) -> Actor: ...
    @property
    def at(self) -> datetime: ...
    @property
    def task(self) -> Any: ...
    def keep_apart(self, names: Iterable[str], kept: Mapping[str, Any]) -> None:
        """Remove these answers from the case (its workflow's data and the step's kept answers), ``kept`` instead."""
