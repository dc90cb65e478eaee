"""Which two versions to compare (the page and the API read the same query), and the diff as JSON."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.core.errors import FieldError, NotFound, ValidationFailed
from app.process_models.diff import VersionDiff, diff_bundles
from app.process_models.models import ProcessVersion
from app.process_models.registry import bundle_of, versions_of


@dataclass(frozen=True)
class Comparison:
    process_id: str
    versions: list[ProcessVersion]
    old: ProcessVersion
    new: ProcessVersion
    diff: VersionDiff


def _number(args: Mapping[str, str], name: str, errors: list[FieldError]) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        errors.append(FieldError(name, f"Enter the {'first' if name == 'from' else 'second'} version as a whole "
                                       "number, like 2"))
        return None
    return int(raw)


def compare(session: Session, process_id: str, args: Mapping[str, str]) -> Comparison:
    """The versions named by ``from`` and ``to`` (default: the latest against the one before it).

    NotFound for an unknown process or version; ValidationFailed for numbers that are not numbers, the
    same version twice, or a process with one version only."""
    versions = versions_of(session, process_id)
    if not versions:
        raise NotFound(f"There is no process {process_id}.")
    errors: list[FieldError] = []
    wanted_from, wanted_to = _number(args, "from", errors), _number(args, "to", errors)
    if errors:
        raise ValidationFailed(errors)
    if len(versions) == 1:
        raise ValidationFailed([FieldError("from", f"{process_id} has only one version so far: there is nothing to "
                                                   "compare it with")])
    by_number = {v.version: v for v in versions}
    new = by_number.get(wanted_to) if wanted_to is not None else versions[0]
    if new is None:
        raise NotFound(f"There is no version {wanted_to} of {process_id}.")
    if wanted_from is None:
        older = [v for v in versions if v.version < new.version]
        old = older[0] if older else versions[1]
    else:
        chosen = by_number.get(wanted_from)
        if chosen is None:
            raise NotFound(f"There is no version {wanted_from} of {process_id}.")
        old = chosen
    if old.version == new.version:
        raise ValidationFailed([FieldError("to", "Choose two different versions to compare")])
    return Comparison(process_id=process_id, versions=versions, old=old, new=new,
                      diff=diff_bundles(bundle_of(old), bundle_of(new)))


def comparison_json(comparison: Comparison) -> dict:
    return {"process_id": comparison.process_id, "from": comparison.old.version, "to": comparison.new.version,
            **comparison.diff.as_dict()}


_CHANGE = {"type": "object", "required": ["what", "old", "new"], "properties": {
    "what": {"type": "string",
             "description": "What differs, e.g. Name, Form key, Timer, Condition, Lane (who does it)"},
    "old": {"type": ["string", "null"]}, "new": {"type": ["string", "null"]}}}
_STATUS = {"type": "string", "enum": ["added", "removed", "changed"]}
DIFF = {"type": "object", "required": ["process_id", "from", "to", "counts", "elements", "forms", "policies", "moved"],
        "properties": {
    "process_id": {"type": "string"}, "from": {"type": "integer"}, "to": {"type": "integer"},
    "counts": {"type": "object", "properties": {k: {"type": "integer"} for k in
                                                 ("added", "removed", "changed", "forms", "policies", "moved",
                                                  "tables")}},
    "elements": {"type": "array", "items": {"type": "object", "required": [
        "status", "process_id", "element_id", "element_type", "name", "changes"], "properties": {
        "status": _STATUS, "process_id": {"type": "string"}, "element_id": {"type": "string"},
        "element_type": {"type": "string"}, "name": {"type": "string"},
        "old_file": {"type": ["string", "null"]}, "new_file": {"type": ["string", "null"]},
        "changes": {"type": "array", "items": _CHANGE}}}},
    "forms": {"type": "array", "items": {"type": "object", "required": ["status", "key", "title", "changes", "fields"],
                                         "properties": {
        "status": _STATUS, "key": {"type": "string"}, "title": {"type": "string"},
        "changes": {"type": "array", "items": _CHANGE},
        "fields": {"type": "array", "items": {"type": "object", "required": ["status", "field", "title", "changes"],
                                              "properties": {"status": _STATUS, "field": {"type": "string"},
                                                             "title": {"type": "string"},
                                                             "changes": {"type": "array", "items": _CHANGE}}}}}}},
    "policies": {"type": "array", "items": _CHANGE, "description": "Settings of sla-policies.toml, by dotted name"},
    "tables": {"type": "array", "description": "Decision tables (.dmn) by decision id: hit policy and columns, then "
                                               "rule by rule (rules matched by their id; numbers as each version "
                                               "shows them)",
               "items": {"type": "object", "required": ["status", "decision_id", "name", "changes", "rules"],
                         "properties": {
        "status": _STATUS, "decision_id": {"type": "string"}, "name": {"type": "string"},
        "old_file": {"type": ["string", "null"]}, "new_file": {"type": ["string", "null"]},
        "changes": {"type": "array", "items": _CHANGE},
        "rules": {"type": "array", "items": {"type": "object", "required": ["status", "rule_id", "changes"],
                                             "properties": {
            "status": _STATUS, "rule_id": {"type": "string"}, "old_number": {"type": ["integer", "null"]},
            "new_number": {"type": ["integer", "null"]}, "description": {"type": "string"},
            "changes": {"type": "array", "items": _CHANGE}}}}}}},
    "moved": {"type": "array", "description": "Elements moved on the diagram only (nothing a case does changes)",
              "items": {"type": "object", "properties": {"process_id": {"type": "string"},
                                                         "element_id": {"type": "string"},
                                                         "name": {"type": "string"}}}}}}


def diff_paths(responses: Callable[..., dict]) -> dict:
    """The OpenAPI description of GET /api/v1/process-models/{process_id}/diff."""
    return {"/api/v1/process-models/{process_id}/diff": {"get": {
        "summary": "What changed between two versions of a process: elements added, removed and changed (names, "
                   "lanes, form keys, timers and deadline kinds, conditions, default flows, flow ends, scripts, "
                   "called processes, documentation), forms field by field, SLA policy settings and decision tables "
                   "rule by rule",
        "operationId": "diffProcessModelVersions",
        "parameters": [
            {"name": "process_id", "in": "path", "required": True, "schema": {"type": "string"}},
            {"name": "from", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1},
             "description": "The older version (default: the one before `to`)"},
            {"name": "to", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1},
             "description": "The newer version (default: the latest)"}],
        "responses": responses({"200": {"description": "The differences", "content": {"application/json": {
            "schema": DIFF}}}}, 401, 403, 404, 422)}}}
