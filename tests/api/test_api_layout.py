"""The API's routes live beside their features and describe themselves: every route on the API blueprint is in
the OpenAPI document and every documented operation is a route, and imports run one way (a feature's api.py
on app/api; nothing below the web layer on either)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.test_architecture import edges
from tests.training.sandbox import training_settings

APP = Path(__file__).resolve().parents[2] / "app"
#: Besides app/api and the features' web modules, only these may import from app/api, and only the error body.
JSON_REFUSALS = {"app.web.access", "app.web.security"}


@pytest.fixture
def settings(settings):
    return training_settings(settings)  # the clock is documented in the training sandbox only


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


def test_imports_of_the_api_run_one_way():
    """Below the web nothing imports the API (tests/test_architecture.py says so for every layer); within the web,
    the API is used by app/api, the features' web modules and the app factory, by the access hook and the error
    pages for its error body alone, and only app/api/routes.py imports a feature's api.py."""
    wrong = []
    for edge in edges():
        where, on = edge.importer, edge.imported
        path = where.split(".")
        web = where == "app" or where.startswith("app.api") or path[-1] in ("api", "views")
        if (on == "app.api" or on.startswith("app.api.")) and not web and not (
                where in JSON_REFUSALS and on == "app.api.errors"):
            wrong.append(f"{where} imports {on}")
        if re.fullmatch(r"app\.(?!api\.)\w+\.api", on) and where != "app.api.routes":
            wrong.append(f"{where} imports {on}")
    assert wrong == []
