"""A fault in the diagram, as the refusal the hub gives: the same words wherever a step fails."""
from __future__ import annotations

from app.core.errors import ProcessFailed
from app.engine import ProcessFault


def process_failed(fault: ProcessFault) -> ProcessFailed:
    return ProcessFailed(f"The process failed at '{fault.element_id}': {fault}", fault.element_id)
