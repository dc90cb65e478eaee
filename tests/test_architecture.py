"""The import rule (docs/architecture.md): dependencies run one way, from the web down to the record.

Every ``import`` in app/ is read, those inside functions too (a lazy import is still a dependency).
Each module sits in one of three kinds of place:

- the **record**: a feature's ``models`` module and ``app.models``; it may import only ``app.core`` and
  other models (the database schema is one thing, shared by every feature that reads it);
- the **web**: the app factory, the ``web``, ``api`` and ``dashboard`` packages, the command line and
  demo data, and every feature's ``views``/``api`` modules; it may import anything, and nothing but the
  web may import it;
- a **layer**: every other module belongs to its package's layer in ``LAYERS`` and may import its own
  package, any models, and the packages below it.

Run ``python -m tests.test_architecture`` to print the edges that go the wrong way.
"""
from __future__ import annotations

import ast
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"

#: Feature packages from the ground up: a package may import the ones before it, never the ones after.
LAYERS: tuple[str, ...] = (
    "core",            # db, clock, calendar, config, errors, the process vocabulary
    "forms",           # JSON Schema forms
    "engine",          # the only code that imports SpiffWorkflow
    "audit",           # the hash-chained trail every action writes to
    "auth",            # users, sessions, tokens, the authorisation table
    "users",           # users and leavers: the administrator's joiners, movers and leavers
    "notifications",   # queued messages and their channels (SMTP, GOV.UK Notify): any feature may notify
    "process_models",  # deployed versions of the diagrams
    "cases",           # the case record and reads of it
    "need_to_know",    # who sees which cases and which parts of them; releases; break glass
    "people",          # the person index
    "concerns",        # chronologies and repeat concerns
    "sharing",         # sharing decisions and the information product's record
    "inbox",           # open-task rows and claiming
    "incidents",       # steps stopped by a fault, with held answers
    "deadlines",       # deadline rows, the SLA wall's reads, the training clock
    "search",          # the header search: people and cases within need to know
    "rota",            # the duty rota and escalating unclaimed urgent tasks to the person on duty
    "marac",           # Operation Encompass and MARAC: schools told, referrals, actions, repeat victims
    "lado",            # allegations against people who work with children: the LADO's records, readers, retention
    "adults",          # adults at risk: the section 42 enquiry record written from the pathway's steps
    "missing",         # missing episodes: the repeat rule, the steps' records (the receiver is app/intake)
    "casework",        # what happens to a case: start, complete, timers, re-rating, retries, version moves
    "domestic_abuse",  # police notifications' records, the daily triage and its decisions
    "intake",          # the front door: receiving a contact starts a case
    "disagreements",   # professional disagreements: raising one signals the case's workflow
    "maps",            # process and case maps
    "reports",         # management information
    "retention",       # anonymising, holds, subject access
    "information_product",
    "training",        # the training sandbox drives cases through casework
    "modeler",
    "ops",             # backup and restore
)
#: Packages and top-level modules that are the web (entry points): they may import anything.
WEB_PACKAGES = frozenset({"", "web", "api", "dashboard", "cli", "demo", "demo_volume"})
#: A feature's own entry points.
WEB_MODULES = frozenset({"views", "versions_views", "api"})
RECORD_MODULE = "models"


@dataclass(frozen=True)
class Edge:
    importer: str
    imported: str
    line: int

    @property
    def packages(self) -> tuple[str, str]:
        return package_of(self.importer), package_of(self.imported)

    def __str__(self) -> str:
        return f"{self.importer} -> {self.imported} (line {self.line})"


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def kind_of(module: str) -> str:
    parts = module.split(".")
    if module == "app.models" or (len(parts) > 2 and parts[-1] == RECORD_MODULE):
        return "record"
    if package_of(module) in WEB_PACKAGES or (len(parts) > 2 and parts[2] in WEB_MODULES):
        return "web"
    return "layer"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(APP.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _known(module: str, modules: set[str]) -> str:
    """``from app.x import y`` names module app.x.y when there is one, else app.x."""
    return module if module in modules else module.rsplit(".", 1)[0]


def edges() -> list[Edge]:
    paths = sorted(APP.rglob("*.py"))
    modules = {_module_name(p) for p in paths}
    found: dict[tuple[str, str, int], Edge] = {}
    for path in paths:
        importer = _module_name(path)
        package = importer.split(".") if path.name == "__init__.py" else importer.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = ".".join(package[:len(package) - node.level + 1]) if node.level else ""
                module = ".".join(p for p in (base, node.module or "") if p)
                targets = [_known(f"{module}.{alias.name}", modules) for alias in node.names]
            for target in targets:
                if (target == "app" or target.startswith("app.")) and target != importer:
                    found[(importer, target, node.lineno)] = Edge(importer, target, node.lineno)
    return list(found.values())


def wrong_way(edge: Edge) -> str | None:
    """Why an edge breaks the rule, or None when it may stand."""
    importer_kind, imported_kind = kind_of(edge.importer), kind_of(edge.imported)
    importer_pkg, imported_pkg = edge.packages
    if importer_kind == "web":
        return None
    if imported_kind == "web":
        return "imports the web"
    if importer_kind == "record":
        if imported_kind == "record" or imported_pkg == "core":
            return None
        return "the record imports a feature"
    if imported_kind == "record" or importer_pkg == imported_pkg:
        return None
    if imported_pkg not in LAYERS or importer_pkg not in LAYERS:
        return "a package with no layer"
    if LAYERS.index(imported_pkg) > LAYERS.index(importer_pkg):
        return "imports a layer above"
    return None


def violations() -> list[tuple[Edge, str]]:
    return [(edge, why) for edge in edges() if (why := wrong_way(edge))]


def every_package_has_a_place() -> list[str]:
    packages = {package_of(m) for m in map(_module_name, APP.rglob("*.py")) if kind_of(m) != "record"}
    return sorted(p for p in packages if p not in LAYERS and p not in WEB_PACKAGES)


def test_every_package_has_a_place_in_the_layers():
    assert every_package_has_a_place() == []


def test_no_import_goes_the_wrong_way():
    found = [f"{edge}: {why}" for edge, why in violations()]
    assert found == [], "Imports against docs/architecture.md:\n" + "\n".join(found)


def test_the_rule_catches_an_upward_import():
    """The rule itself can fail: an inbox module reaching up into casework, and the record reaching out."""
    assert wrong_way(Edge("app.inbox.operations", "app.casework.completion", 1)) == "imports a layer above"
    assert wrong_way(Edge("app.cases.models", "app.inbox.queries", 1)) == "the record imports a feature"
    assert wrong_way(Edge("app.cases.queries", "app.cases.views", 1)) == "imports the web"
    assert wrong_way(Edge("app.cases.views", "app.casework.completion", 1)) is None
    assert wrong_way(Edge("app.reports.queries", "app.cases.models", 1)) is None


def main() -> int:
    found = violations()
    by_package = Counter(f"{a} -> {b}" for a, b in (edge.packages for edge, _ in found))
    print(f"{len(found)} imports go the wrong way")
    for pair, count in sorted(by_package.items()):
        print(f"  {pair}: {count}")
    for edge, why in found:
        print(f"    {edge}: {why}")
    everything = edges()
    into_models = [e for e in everything if kind_of(e.imported) == "record" and e.packages[0] != e.packages[1]
                   and kind_of(e.importer) != "record"]
    print(f"(for information: {len(into_models)} imports read another feature's models; "
          f"{len({e.importer for e in into_models if e.imported == 'app.cases.models'})} modules outside cases "
          "read app.cases.models)")
    missing = every_package_has_a_place()
    if missing:
        print("packages with no layer: " + ", ".join(missing))
    return 1 if found or missing else 0


if __name__ == "__main__":
    sys.exit(main())
