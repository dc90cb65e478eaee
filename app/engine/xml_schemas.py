"""XML Schema work (building a validator, validating a file) one thread at a time in a process.

libxml2 sets up its built-in schema types on the first schema a process parses, and that is not safe from two
threads: two first requests after a start, compiling the process together, could leave every later schema of the
process failing ("xmlSchemaPValAttrNodeValue, the given type is not a built-in type"), so every step of every case
answered 500 until the server restarted (tests/ops/test_crash_safety.py saw it). Schemas are parsed when a version
compiles, once per process, so holding them to one at a time costs nothing a person waits for twice.
"""
from __future__ import annotations

import threading

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator

#: Held by whoever parses a schema or validates against one; re-entrant (a compile holds it throughout).
SCHEMA_LOCK = threading.RLock()

_built: dict[str | None, BpmnValidator] = {}


class _OneAtATime(BpmnValidator):  # type: ignore[misc]
    def validate(self, bpmn: object, filename: str | None = None) -> None:
        with SCHEMA_LOCK:
            super().validate(bpmn, filename)


def schema_validator(xsd_path: str | None) -> BpmnValidator:
    """The process's validator for this schema (None: BPMN 2.0's), built once, under the lock."""
    with SCHEMA_LOCK:
        found = _built.get(xsd_path)
        if found is None:
            found = _built[xsd_path] = _OneAtATime() if xsd_path is None else _OneAtATime(xsd_path)
        return found
