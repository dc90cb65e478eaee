"""What a request's transaction has already read or written, kept in its session for the rest of it.

A completion synchronises the case's deadlines and inbox rows, then answers with the case: the answer takes the
rows the step has just made instead of reading them again; the answer, its flags and its repeat concerns ask for
the same person clusters. Each memo is forgotten when any transaction or savepoint of the session ends (a rolled
back savepoint must not leave rows that were never stored), and by whoever changes what it holds.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

_PREFIX = "mash.memo."


def memo(session: Session, name: str) -> dict[Any, Any]:
    """The session's memo called ``name`` (empty at first)."""
    held: dict[Any, Any] = session.info.setdefault(_PREFIX + name, {})
    return held


def forget(session: Session | None, name: str) -> None:
    if session is not None:
        session.info.pop(_PREFIX + name, None)


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    if not transaction.nested and transaction.parent is not None:
        return  # a flush's own inner transaction, not the request's
    for key in [key for key in session.info if isinstance(key, str) and key.startswith(_PREFIX)]:
        del session.info[key]
