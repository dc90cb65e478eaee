"""Filling a kind's words with the facts of one message. Personal fields go only into the secure text; a
subject is one line whatever the facts hold."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from app.notifications.catalogue import LINK, MessageKind

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    template_id: str | None
    fields: dict[str, str]


class _Fields(dict[str, str]):
    """A missing fact leaves a gap rather than stopping the action the message is about."""

    def __init__(self, values: dict[str, str], kind: str) -> None:
        super().__init__(values)
        self.kind = kind

    def __missing__(self, key: str) -> str:
        log.warning("notification kind %s: no value for {%s}", self.kind, key)  # the field's name, never a value
        return ""


def _one_line(value: str) -> str:
    return " ".join(str(value).split())


def render(kind: MessageKind, *, facts: dict[str, str], personal: dict[str, str], secure: bool,
           link: str) -> Rendered:
    """The subject, body (e-mail) or template and personalisation (GOV.UK Notify) for one recipient."""
    unknown = set(personal) - kind.personal
    if unknown:
        raise ValueError(f"notification kind {kind.name}: {sorted(unknown)[0]!r} is not one of its personal "
                         f"fields ({', '.join(sorted(kind.personal)) or 'none'})")
    clash = set(facts) & kind.personal
    if clash:
        raise ValueError(f"notification kind {kind.name}: {sorted(clash)[0]!r} is personal: pass it in personal=")
    plain = {key: str(value) for key, value in facts.items()} | {LINK: link}
    values = plain | ({key: str(value) for key, value in personal.items()} if secure else {})
    subject = _one_line(kind.subject.format_map(_Fields({k: _one_line(v) for k, v in plain.items()}, kind.name)))
    if kind.channel == "notify":
        template = kind.secure_template_id if secure and kind.secure_template_id else kind.template_id
        used = values if template == kind.secure_template_id else plain
        return Rendered(subject=subject, body="", template_id=template, fields=dict(used))
    text = kind.secure_body if secure and kind.secure_body else kind.body
    body = text.format_map(_Fields(values if text is kind.secure_body else plain, kind.name))
    return Rendered(subject=subject, body=body, template_id=None, fields={})



def page_path(case_id: int | str | None, task_id: int | str | None) -> str:
    """The page a message points to: the task, else the case, else the start page. Never the case's content."""
    if task_id is not None:
        return f"/tasks/{task_id}"
    if case_id is not None:
        return f"/cases/{case_id}"
    return "/"
