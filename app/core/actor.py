"""Who is acting: a plain snapshot so operations never depend on a web session's objects."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    roles: frozenset[str]

    def has_any(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


SYSTEM = Actor(user_id=None, username="system", roles=frozenset())
#: Who set a decision field that no person's form set: the diagram (a script), recorded under this name.
PROCESS = Actor(user_id=None, username="process", roles=frozenset())
