"""Reading task pages as a person sees them: the open task of a step, a form post as the browser sends it."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.inbox.models import OpenTask

ERROR_SUMMARY = re.compile(r'<div class="govuk-error-summary".*?</ul>', re.S)


def open_task(db, case_id: int, element_id: str) -> str | None:
    with db.unit_of_work(write=False) as session:
        return session.scalar(select(OpenTask.task_id).where(OpenTask.case_id == case_id,
                                                             OpenTask.bpmn_id == element_id))


def browser_post(data: dict) -> dict:
    """Form data as a browser sends it: True/False as "true"/"false", lists as repeated fields."""
    return {k: ("true" if v is True else "false" if v is False else v) for k, v in data.items()}


def error_links(page: str) -> list[tuple[str, str]]:
    """The error summary's (href, text) pairs, in order."""
    summary = ERROR_SUMMARY.search(page)
    return re.findall(r'<a href="([^"]+)">([^<]+)</a>', summary.group(0)) if summary else []


def block(page: str, field: str) -> str:
    """The opening tag of a conditional question's block."""
    found = re.search(rf'<div class="mash-reveal[^"]*" id="reveal-{field}"', page)
    assert found, f"no conditional block for {field}"
    return found.group(0)


def hidden(page: str, field: str) -> bool:
    return "mash-reveal--hidden" in block(page, field)
