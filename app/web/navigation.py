"""The service navigation at the top of every page (the links the layout lets a reader use), rendered by GOV.UK
Frontend's macro once per distinct set of links rather than on every request.

The macro (an item loop with attributes, several `set` blocks) cost about a fifth of rendering a case page
(issue 20). What it outputs depends only on the links, which one is active and
the service's name and address; the signed-in person's part (their name and the sign-out form with its CSRF
token) goes into its `navigationEnd` slot, which the macro copies out unchanged, so it is put in after.
"""
from __future__ import annotations

from typing import Any

from flask import current_app
from markupsafe import Markup

MACRO = "govuk_frontend_jinja/components/service-navigation/macro.html"
#: Stands in for the signed-in person's slot in a cached rendering (no link text or address can contain it).
SLOT = "\x00mash-navigation-end\x00"
#: Renderings kept; a few per role and page section in practice. Emptied when full rather than grown.
KEEP = 512

_rendered: dict[tuple[Any, ...], Markup] = {}


def service_navigation(params: dict[str, Any], navigation_end: Markup | None) -> Markup:
    """govukServiceNavigation(params) with ``navigation_end`` as its navigationEnd slot (None: no slot)."""
    key = (params.get("serviceName"), params.get("serviceUrl"), params.get("navigationLabel"),
           navigation_end is None,
           tuple((item["href"], item["text"], bool(item["active"])) for item in params.get("navigation") or ()))
    rendered = _rendered.get(key)
    if rendered is None:
        macro = current_app.jinja_env.get_template(MACRO).module.govukServiceNavigation  # type: ignore[attr-defined]
        slots = {"navigationEnd": Markup(SLOT)} if navigation_end is not None else None  # noqa: S704  (a constant)
        rendered = macro({**params, "slots": slots})  # Markup: the macro's output, every value in it escaped
        if len(_rendered) >= KEEP:
            _rendered.clear()
        _rendered[key] = rendered
    if navigation_end is None:
        return rendered
    # both are autoescaped template output: the macro's and the layout's slot
    return Markup(str(rendered).replace(SLOT, str(navigation_end)))  # noqa: S704
