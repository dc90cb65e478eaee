"""Where pages' templates come from, and why a misspelt name in one of ours fails instead of rendering as nothing.

Our templates (app/templates and each blueprint's templates folder) run under `StrictUndefined`: a name or
attribute a template reads must exist, and where absence is a legitimate state the template says so
(`is defined`, `default`). The GOV.UK Frontend templates and macros (`govuk_frontend_jinja/...`) are a port
of Nunjucks code written for a lenient undefined: they test optional parameters by truth
(`{% if params.classes %}`) and compare with the names `undefined` and `null`, which only work when an unknown
name renders as nothing. They are therefore compiled in an overlay of the app's environment that differs in
one thing, `ChainableUndefined` (what every template had before), so they render exactly as they always did.
Anything our templates hand them (a misspelt variable in a macro's parameters) is still created by our strict
environment and still fails where the macro uses it.
"""
from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import (
    BaseLoader,
    ChainableUndefined,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
)

GOVUK_PREFIX = "govuk_frontend_jinja"


class _GovukFrontendTemplates(BaseLoader):
    """Hands out `govuk_frontend_jinja/...` templates compiled by the lenient overlay, so they keep its undefined."""

    def __init__(self, lenient: Environment) -> None:
        self.lenient = lenient

    def load(self, environment: Environment, name: str,
             template_globals: MutableMapping[str, Any] | None = None) -> Template:
        if not name.startswith(GOVUK_PREFIX + "/"):
            raise TemplateNotFound(name)
        return self.lenient.get_template(name, globals=template_globals)

    def list_templates(self) -> list[str]:
        return self.lenient.list_templates()


def configure_templates(app: Flask, templates: Path) -> None:
    """Our templates strict, GOV.UK Frontend's lenient (see the module's docstring)."""
    app.jinja_loader = FileSystemLoader(str(templates))
    env = app.jinja_env
    env.undefined = StrictUndefined
    lenient = env.overlay(
        undefined=ChainableUndefined,
        loader=PrefixLoader({GOVUK_PREFIX: PackageLoader(GOVUK_PREFIX)}),
    )
    # GOV.UK Frontend's names first, then Flask's own loader (the app's and each blueprint's templates folders).
    env.loader = ChoiceLoader([_GovukFrontendTemplates(lenient), app.create_global_jinja_loader()])
