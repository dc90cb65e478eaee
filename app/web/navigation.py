"""The service navigation at the top of every page: the links a reader may use, rendered by GOV.UK Frontend's
macro once per distinct set of links rather than on every request.

The macro (an item loop with attributes, several `set` blocks) and the sixteen permission checks cost about a
quarter of rendering a case page (issue 20). What it outputs depends only on the links, which one is active and
the service's name and address; the signed-in person's part (their name and the sign-out form with its CSRF
token) goes into its `navigationEnd` slot, which the macro copies out unchanged, so it is put in after.
"""
from __future__ import annotations

from typing import Any

from flask import current_app, g, request, url_for
from markupsafe import Markup

from app.auth.authorisation import may_use

#: (endpoint, label, blueprint that marks it active; None: only the page itself), in the order shown.
LINKS: tuple[tuple[str, str, str | None], ...] = (
    ("inbox.index", "Inbox", "inbox"),
    ("intake.new_contact", "Report a concern", None),
    ("intake.my_contacts", "Your contacts", None),
    ("cases.index", "Cases", "cases"),
    ("people.index", "People", "people"),
    ("dashboard.index", "SLA wall", "dashboard"),
    ("audit.index", "Audit", "audit"),
    ("need_to_know.oversight", "Access oversight", None),
    ("sharing.index", "Sharing decisions", "sharing"),
    ("reports.index", "Reports", "reports"),
    ("maps.index", "Process maps", "maps"),
    ("process_models.index", "Process models", "process_models"),
    ("users.index", "Users", None),
    ("notifications.dead_letters", "Undelivered messages", None),
    ("lado.allegations", "Allegations", None),
    ("missing.episodes", "Missing children", None),
)
TRAINING_LINK = ("training.index", "Training", "training")
MACRO = "govuk_frontend_jinja/components/service-navigation/macro.html"
#: Stands in for the signed-in person's slot in a cached rendering (no link text or address can contain it).
SLOT = "\x00mash-navigation-end\x00"
#: Renderings kept; a few per role and page section in practice. Emptied when full rather than grown.
KEEP = 512

#: (signed in, roles, training, the app's address prefix) -> (href, label, endpoint, active section) of each link.
_allowed: dict[tuple[bool, frozenset[str], bool, str], tuple[tuple[str, str, str, str | None], ...]] = {}
_rendered: dict[tuple[Any, ...], Markup] = {}


def navigation_items() -> list[dict[str, Any]]:
    """The links the signed-in reader may use (as `can` decides), the current page's section marked active. Which
    links and their addresses (no arguments: the same for every request under one address prefix) are worked out
    once per set of roles."""
    training = current_app.config["MASH_SETTINGS"].training
    actor = g.get("actor")  # None on a public page (the sign-in page) even for someone signed in: no links
    key = (actor is not None, actor.roles if actor is not None else frozenset(), training, request.script_root)
    links = _allowed.get(key)
    if links is None:
        links = tuple((url_for(endpoint), text, endpoint, section)
                      for endpoint, text, section in LINKS + ((TRAINING_LINK,) if training else ())
                      if actor is not None and may_use(endpoint, actor.roles, training=training))
        _allowed[key] = links
    return [{"href": href, "text": text,
             "active": request.endpoint == endpoint or (section and request.blueprint == section)}
            for href, text, endpoint, section in links]


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
