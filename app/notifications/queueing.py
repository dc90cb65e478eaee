"""notify(): queue messages in the caller's transaction. They exist only if the action that causes them commits,
and the scheduler sends them after that (app/notifications/sending.py)."""
from __future__ import annotations

import re
from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import User, UserRole
from app.core.clock import now
from app.core.config import mail_settings
from app.core.db import read_rows
from app.core.roles import ALL_ROLES
from app.notifications import catalogue as catalogues
from app.notifications.models import DIGEST, HELD, QUEUED, Notification, NotificationPreference
from app.notifications.rendering import page_path, render

_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def notify(session: Session, kind: str, *, to_role: str | None = None, to_user_id: int | None = None,
           to_address: str | None = None, to_agency_team: str | None = None, case_id: int | None = None,
           task_id: int | str | None = None, urgent: bool = False, facts: dict[str, str] | None = None,
           personal: dict[str, str] | None = None, page: str | None = None) -> list[int]:
    """queue(), then the messages' ids: written now, to have them."""
    messages = queue(session, kind, to_role=to_role, to_user_id=to_user_id, to_address=to_address,
                     to_agency_team=to_agency_team, case_id=case_id, task_id=task_id, urgent=urgent, facts=facts,
                     personal=personal, page=page)
    if messages:
        session.flush()
    return [message.id for message in messages]


def queue(session: Session, kind: str, *, to_role: str | None = None, to_user_id: int | None = None,
          to_address: str | None = None, to_agency_team: str | None = None, case_id: int | None = None,
          task_id: int | str | None = None, urgent: bool = False, facts: dict[str, str] | None = None,
          personal: dict[str, str] | None = None, page: str | None = None, add: bool = True) -> list[Notification]:
    """Queue one message per recipient: each active person holding ``to_role`` who has an e-mail address, the
    person ``to_user_id``, the address ``to_address`` (a referrer's), the agency team ``to_agency_team``
    (its address in notifications.toml). Never commits: the caller's action does. Returns the messages, written
    with the caller's next flush; ``add=False``: not added, the caller writes them (a step's messages together,
    app.core.bulk.insert_together).

    A member of staff's address is not copied: it stays in their own account and is read when the message is
    sent. The link opens the task, else ``page`` (a path: process owners told of an incident cannot open its
    case), else the case, else the start page. ``facts`` fill the words anyone may read; ``personal`` (the
    child's name, the feedback's text) are written only for an address on the secure list. Red
    (``facts["rag"] == "Red"``), ``urgent`` and the kinds marked urgent go at once; other messages to a person
    who chose the digest wait for it."""
    catalogue = catalogues.current()
    message_kind = catalogue.kind(kind)
    if to_role is None and to_user_id is None and to_address is None and to_agency_team is None:
        raise ValueError("notify() needs a recipient: to_role, to_user_id, to_address or to_agency_team")
    if to_role is not None and to_role not in ALL_ROLES:
        raise ValueError(f"unknown role {to_role!r}")
    facts, personal = dict(facts or {}), dict(personal or {})
    settings = mail_settings()
    at_once = urgent or message_kind.urgent or facts.get("rag", "").strip().lower() == "red"
    link = settings.base_url + (page if page is not None and task_id is None else page_path(case_id, task_id))

    recipients: list[tuple[int | None, str]] = []
    preferences: set[int] = set()
    if to_role is not None:
        people = _people_with_role(session, to_role)
        recipients += [(person.user_id, person.email) for person in people]
        preferences |= {person.user_id for person in people if person.digest}
    if to_user_id is not None:
        user = session.get(User, to_user_id)
        if user is not None and user.is_active_user and user.email:
            recipients.append((user.id, user.email))
            preferences |= _digest_choosers(session, {user.id})
    if to_address is not None:
        recipients.append((None, _checked_address(to_address)))
    if to_agency_team is not None:
        recipients.append((None, catalogue.team_address(to_agency_team)))

    created = now()
    seen: set[str] = set()
    messages: list[Notification] = []
    for user_id, address in recipients:
        if address.lower() in seen:
            continue
        seen.add(address.lower())
        secure = catalogue.is_secure(address, settings.council_domain)
        words = render(message_kind, facts=facts, personal=personal, secure=secure, link=link)
        held = not at_once and user_id is not None and user_id in preferences
        message = Notification(kind=kind, channel=message_kind.channel, recipient_user_id=user_id,
                               to_address="" if user_id is not None else address, secure=secure, urgent=at_once,
                               case_id=case_id,
                               task_id=None if task_id is None else str(task_id), subject=words.subject[:300],
                               body=words.body, template_id=words.template_id, fields=words.fields,
                               status=HELD if held else QUEUED, attempts=0, next_attempt_at=None if held else created,
                               created_at=created)
        if add:
            session.add(message)
        messages.append(message)
    return messages


def _checked_address(address: str) -> str:
    address = address.strip()
    if not _ADDRESS.match(address) or any(c in address for c in "\r\n,;<>"):
        raise ValueError("to_address is not an e-mail address")
    return address


@dataclass(frozen=True)
class _Recipient:
    user_id: int
    email: str
    #: Gathers non-urgent messages into the digest: everyone who has not chosen otherwise.
    digest: bool


#: Session.info key: (the transaction, {role: its people}): every role's people and their delivery choice read
#: in one statement once per transaction, however many cases a scheduler's batch fires or tasks a step opens.
_ROLE_PEOPLE = "mash.people_with_role"


#: Built once: a step that opens a task tells its role's people.
_ROLE_HOLDERS = (select(UserRole.role, User.id, User.email, NotificationPreference.delivery)
                 .join(User, UserRole.user_id == User.id)
                 .outerjoin(NotificationPreference, NotificationPreference.user_id == User.id)
                 .where(User.is_active_user.is_(True), User.email.is_not(None), User.email != "")
                 .order_by(User.id))


def _people_with_role(session: Session, role: str) -> list[_Recipient]:
    transaction = session.get_transaction()
    cached = session.info.get(_ROLE_PEOPLE)
    if cached is None or cached[0] is not transaction:
        people: dict[str, list[_Recipient]] = defaultdict(list)
        # Read without writing the step's pending changes (the case's: written once, at the step's end), unless
        # some are to people, their roles or their choices.
        people_changed = any(isinstance(row, (User, UserRole, NotificationPreference))
                             for row in (*session.new, *session.dirty, *session.deleted))
        with nullcontext() if people_changed else session.no_autoflush:
            found = read_rows(session, _ROLE_HOLDERS)
        for held, user_id, email, delivery in found:
            people[held].append(_Recipient(user_id, email or "", delivery is None or delivery == DIGEST))
        cached = session.info[_ROLE_PEOPLE] = (transaction, dict(people))
    return cached[1].get(role, [])


def _digest_choosers(session: Session, user_ids: set[int]) -> set[int]:
    """Who among these wants non-urgent messages gathered: everyone who has not chosen otherwise."""
    if not user_ids:
        return set()
    immediate = set(session.scalars(select(NotificationPreference.user_id)
                                    .where(NotificationPreference.user_id.in_(user_ids),
                                           NotificationPreference.delivery != DIGEST)))
    return user_ids - immediate
