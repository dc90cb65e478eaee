"""Display helpers for templates: London time, RAG tags, plain labels for codes."""
from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, g

from app.auth.authorisation import may_use
from app.core.calendar import london
from app.core.clock import now
from app.core.roles import role_label
from app.core.vocabulary import RAG_TAGS, outcome_label
from app.web.navigation import service_navigation
from app.web.summary_list import summary_list


def due_text(value: datetime | None) -> str:
    """'Due in 3 hours' / 'Overdue by 20 minutes' for countdowns on inboxes."""
    if value is None:
        return "No deadline"
    delta = value - now()
    minutes = int(abs(delta.total_seconds()) // 60)
    if minutes < 60:
        span = f"{minutes} minute{'s' if minutes != 1 else ''}"
    elif minutes < 48 * 60:
        hours = minutes // 60
        span = f"{hours} hour{'s' if hours != 1 else ''}"
    else:
        days = minutes // (60 * 24)
        span = f"{days} days"
    return f"Due in {span}" if delta.total_seconds() >= 0 else f"Overdue by {span}"


def is_overdue(value: datetime | None) -> bool:
    return value is not None and value < now()


def can(endpoint: str) -> bool:
    """Whether the signed-in user may use an endpoint, so pages offer only links that will open."""
    actor = g.get("actor")
    return actor is not None and may_use(endpoint, actor.roles, training=current_app.config["MASH_SETTINGS"].training)


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["london"] = london
    app.jinja_env.filters["due_text"] = due_text
    app.jinja_env.filters["role_label"] = role_label
    app.jinja_env.filters["outcome_label"] = outcome_label
    app.jinja_env.globals["rag_tags"] = RAG_TAGS
    app.jinja_env.globals["is_overdue"] = is_overdue
    app.jinja_env.globals["now"] = now
    app.jinja_env.globals["can"] = can
    app.jinja_env.globals["service_navigation"] = service_navigation
    app.jinja_env.globals["summary_list"] = summary_list
