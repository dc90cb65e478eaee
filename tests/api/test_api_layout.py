"""The API's routes live beside their features and describe themselves: every route on the API blueprint is in
the OpenAPI document and every documented operation is a route, and imports run one way (a feature's api.py
on app/api; nothing below the web layer on either)."""
from __future__ import annotations

import ast
import re
from dataclasses import replace
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"
#: Besides app/api and the features' web modules, only these may import from app/api, and only the error body.
JSON_REFUSALS = {"app/web/access.py", "app/web/security.py"}


@pytest.fixture
def settings(settings):
    return replace(settings, training=True)  # the clock is documented in the training sandbox only


def _operations_routed(app) -> set[tuple[str, str]]:
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi":
            path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
            routed |= {(method.lower(), path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return routed


def test_every_api_route_is_in_the_openapi_document_and_nothing_else(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    documented = {(method, path) for path, item in document["paths"].items() if path.startswith("/api/")
                  for method in item}
    assert documented == _operations_routed(app)
    ids = [operation["operationId"] for item in document["paths"].values() for operation in item.values()]
    assert len(ids) == len(set(ids))


def test_every_feature_api_module_is_registered():
    from app.api.routes import FEATURES

    registered = {feature.__name__ for feature in FEATURES}
    assert registered == {f"app.{path.parent.name}.api" for path in APP.glob("*/api.py")}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_imports_of_the_api_run_one_way():
    wrong = []
    for path in sorted(APP.rglob("*.py")):
        where = path.relative_to(APP.parent).as_posix()
        imported = _imports(path)
        on_api = {name for name in imported if name == "app.api" or name.startswith("app.api.")}
        feature_apis = {name for name in imported if re.fullmatch(r"app\.(?!api\.)\w+\.api", name)}
        web = where.startswith("app/api/") or path.name in ("api.py", "views.py") or where == "app/__init__.py"
        if on_api and not web and not (where in JSON_REFUSALS
                                       and on_api <= {"app.api.errors", "app.api.errors.refusal"}):
            wrong.append(f"{where} imports {sorted(on_api)}")
        if feature_apis and where != "app/api/routes.py":
            wrong.append(f"{where} imports {sorted(feature_apis)}")
    assert wrong == []
