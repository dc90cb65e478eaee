"""The only package that imports SpiffWorkflow. Everything else talks to the process through here."""
from __future__ import annotations

from datetime import datetime as _datetime
from datetime import tzinfo as _tzinfo

import SpiffWorkflow.bpmn.specs.event_definitions.timer as _timer_module

from app.core.clock import clock as _clock
from app.engine.definitions import (
    CompiledDefinition,
    DefinitionError,
    DefinitionProblem,
    ProcessBundle,
    TimerInfo,
    UserTaskInfo,
    compile_bundle,
)
from app.engine.functions import RAG_CLOCK
from app.engine.migration import MigrationCheck, MigrationRefused, VersionChange
from app.engine.paths import TakenPath, taken_paths
from app.engine.runtime import (
    CaseWorkflow,
    EngineError,
    NotListening,
    NotPermitted,
    OpenUserTask,
    ProcessFault,
    Retimed,
    StepEvent,
    TaskNotReady,
    WaitingTimer,
)


class _ClockedDatetime(_datetime):
    """SpiffWorkflow computes and checks timer due times with datetime.now(): route it to our clock."""

    # The clock's own datetime, not an instance of this class: SpiffWorkflow only compares and subtracts it,
    # and this class exists only to reroute the library's module-level `datetime.now`.
    @classmethod
    def now(cls, tz: _tzinfo | None = None) -> _datetime:  # type: ignore[override]
        current = _clock.now()
        return current.astimezone(tz) if tz is not None else current.replace(tzinfo=None)


_timer_module.datetime = _ClockedDatetime

__all__ = [
    "RAG_CLOCK",
    "CaseWorkflow",
    "CompiledDefinition",
    "DefinitionError",
    "DefinitionProblem",
    "EngineError",
    "MigrationCheck",
    "MigrationRefused",
    "NotListening",
    "NotPermitted",
    "OpenUserTask",
    "ProcessBundle",
    "ProcessFault",
    "Retimed",
    "StepEvent",
    "TakenPath",
    "TaskNotReady",
    "TimerInfo",
    "UserTaskInfo",
    "VersionChange",
    "WaitingTimer",
    "compile_bundle",
    "taken_paths",
]
