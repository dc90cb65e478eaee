"""A person's sight of a case: CASE_RULES (app/auth/authorisation.py) applied to who they are and how their
agency is involved. Every page, API answer, export, chronology and search asks this module; nothing is
filtered in a template alone."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from app.auth.authorisation import (
    ALL_RETURNS,
    ANY_CASE,
    CASE_ITEMS,
    CASE_RULES,
    INVOLVED,
    OWN_AND_RELEASED,
    CaseRule,
)
from app.cases.models import AgencyReturn
from app.core.actor import Actor
from app.core.errors import NeedToKnow
from app.core.roles import AGENCIES
from app.need_to_know.involvement import break_glass_open, cases_involving, involved_agencies
from app.need_to_know.models import ReturnRelease


@dataclass(frozen=True)
class CaseSight:
    """What one person sees of one case."""

    case_id: int
    items: frozenset[str]
    #: Every return (decision makers), or only those of these agencies and those released to them.
    all_returns: bool
    own_agencies: frozenset[str]
    #: Opened by break-glass rather than by involvement (the page says the access is exceptional).
    exceptional: bool = False

    @property
    def whole(self) -> bool:
        return self.all_returns and self.items == CASE_ITEMS

    def shows(self, item: str) -> bool:
        if item not in CASE_ITEMS:
            raise ValueError(f"{item!r} is not a part of a case CASE_RULES names")
        return item in self.items

    def reads_return(self, ret: AgencyReturn, released_to: Iterable[str] = ()) -> bool:
        """A return is read by decision makers, by its own agency, and by agencies its owner released it to."""
        return self.all_returns or ret.agency in self.own_agencies or bool(set(released_to) & self.own_agencies)


def rules_of(actor: Actor) -> list[tuple[str, CaseRule]]:
    return [(role, CASE_RULES[role]) for role in sorted(actor.roles) if role in CASE_RULES]


def reads_any_case(actor: Actor) -> bool:
    """Whether any of the person's roles opens case content at all."""
    return bool(rules_of(actor))


def may_break_glass(actor: Actor) -> bool:
    """Whether the person sees some cases only by involvement, and so may open another by breaking glass."""
    rules = [rule for _role, rule in rules_of(actor)]
    return bool(rules) and all(rule.cases == INVOLVED for rule in rules)


def sight_of(session: Session, actor: Actor, case_id: int, at: datetime) -> CaseSight:
    """The person's sight of an existing case; NeedToKnow (a 404) when they may see none of it."""
    items: set[str] = set()
    all_returns, own, exceptional = False, set(), False
    involved: frozenset[str] | None = None
    for role, rule in rules_of(actor):
        if rule.cases == INVOLVED:
            if involved is None:
                involved = involved_agencies(session, case_id)
            if role not in involved:
                if not break_glass_open(session, actor.user_id, case_id, at):
                    continue
                exceptional = True
        elif rule.cases != ANY_CASE:
            continue
        items |= rule.items
        all_returns = all_returns or rule.returns == ALL_RETURNS
        if rule.returns == OWN_AND_RELEASED and role in AGENCIES:
            own.add(role)
    if not items:
        raise NeedToKnow()
    return CaseSight(case_id, frozenset(items), all_returns, frozenset(own),
                     exceptional=exceptional and not all_returns)


def visible_case_ids(session: Session, actor: Actor, at: datetime) -> Select | None:
    """The cases a person may list: None for every case (a rule opens any case), else a subquery of ids."""
    agencies = []
    for role, rule in rules_of(actor):
        if rule.cases == ANY_CASE:
            return None
        agencies.append(role)
    if not agencies:
        return select(AgencyReturn.case_id).where(false())
    return cases_involving(session, agencies, user_id=actor.user_id, at=at)


def releases_of(session: Session, case_id: int) -> dict[int, list[ReturnRelease]]:
    """Every release on a case, standing or withdrawn, by return id (oldest first)."""
    found: dict[int, list[ReturnRelease]] = {}
    for row in session.scalars(select(ReturnRelease).where(ReturnRelease.case_id == case_id)
                               .order_by(ReturnRelease.id)):
        found.setdefault(row.return_id, []).append(row)
    return found


def readable_returns(session: Session, sight: CaseSight, returns: list[AgencyReturn],
                     releases: dict[int, list[ReturnRelease]], at: datetime) -> list[AgencyReturn]:
    """The returns this sight reads; a release read for the first time by its receiving agency is marked
    read (from then on it cannot be withdrawn)."""
    shown = []
    for ret in returns:
        standing = [r for r in releases.get(ret.id, []) if r.standing]
        if not sight.reads_return(ret, [r.to_agency for r in standing]):
            continue
        shown.append(ret)
        if not sight.all_returns and ret.agency not in sight.own_agencies:
            for release in standing:
                if release.to_agency in sight.own_agencies and release.read_at is None:
                    release.read_at = at
    return shown
