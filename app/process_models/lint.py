"""bpmnlint's rules (web/.bpmnlintrc, the recommended set) on uploaded diagrams, run through Node.

The same linter the editors' plugins use, so a process owner sees in the app what Camunda Modeler or
bpmn.io would show. Node and web/node_modules are installed by `make setup` for the web assets already.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass

from app.core.config import PROJECT_ROOT

LINT_SCRIPT = PROJECT_ROOT / "web" / "lint.mjs"
TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class LintFinding:
    file: str
    element_id: str | None
    rule: str
    #: "error" refuses the deploy; "warn" is shown but does not.
    category: str
    message: str


class LintUnavailable(Exception):
    """The linter could not run, so the diagram could not be checked (never treated as a pass)."""


def lint_diagrams(files: dict[str, str]) -> list[LintFinding]:
    """Lint each diagram (file name -> XML text); findings in file order."""
    if not files:
        return []
    node = shutil.which("node")
    if node is None or not (PROJECT_ROOT / "web" / "node_modules" / "bpmnlint").exists():
        raise LintUnavailable("the diagram linter is not installed (Node.js and web/node_modules: run make setup)")
    try:
        # Node and the script are fixed; the diagrams go in on stdin, never on the command line.
        result = subprocess.run([node, str(LINT_SCRIPT)], input=json.dumps({"files": files}), capture_output=True,  # noqa: S603
                                text=True, timeout=TIMEOUT_SECONDS, cwd=LINT_SCRIPT.parent)
    except subprocess.TimeoutExpired as error:
        raise LintUnavailable(f"the diagram linter did not finish within {TIMEOUT_SECONDS} seconds") from error
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise LintUnavailable(f"the diagram linter failed: {last[:200]}")
    return [LintFinding(**item) for item in json.loads(result.stdout)]
