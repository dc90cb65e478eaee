"""A person's sight of a case: CASE_RULES (app/auth/authorisation.py) applied to who they are and how their
agency is involved, and PATHWAY_CASE_RULES to the case's pathway (its process) for the roles keyed by one. Every
page, API answer, export, chronology and search asks this module; nothing is filtered in a template alone."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, bindparam, false, or_, select, union
from sqlalchemy.orm import Session

from app.auth.authorisation import (
    ALL_RETURNS,
    ANY_CASE,
    CASE_ITEMS,
    CASE_RULES,
    INVOLVED,
    OWN_AND_RELEASED,
    PATHWAY_ROLES,
    CaseRule,
    case_rule,
    opening_pathways,
)
from app.cases.models import AgencyReturn, Case
from app.core.actor import Actor
from app.core.errors import NeedToKnow
from app.core.roles import AGENCIES
from app.need_to_know.involvement import break_glass_open, cases_involving, involved_agencies
from app.need_to_know.models import ReturnRelease
from app.process_models.models import ProcessVersion


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
    return bool(rules_of(actor)) or bool(actor.roles & PATHWAY_ROLES)


def pathway_of(session: Session, case_id: int) -> str | None:
    """A case's pathway: the process id of the version it runs."""
    return session.scalar(select(ProcessVersion.process_id).join(Case, Case.process_version_id == ProcessVersion.id)
                          .where(Case.id == case_id))


def _on_pathways(pathways: frozenset[str]) -> Select:
    return select(Case.id).join(ProcessVersion, ProcessVersion.id == Case.process_version_id) \
        .where(ProcessVersion.process_id.in_(sorted(pathways)))


def linked_to_pathway(session: Session, case_id: int, role: str) -> bool:
    """Whether the case is linked (Case.linked_case_id, either way) to a case a pathway rule opens to ``role``."""
    pathways = opening_pathways(role)
    if not pathways:
        return False
    links_to = select(Case.linked_case_id).where(Case.id == case_id).scalar_subquery()
    return session.scalar(_on_pathways(pathways).where(or_(Case.linked_case_id == case_id, Case.id == links_to))
                          .limit(1)) is not None


def may_break_glass(actor: Actor) -> bool:
    """Whether the person sees some cases only by involvement, and so may open another by breaking glass."""
    rules = [rule for _role, rule in rules_of(actor)]
    return bool(rules) and all(rule.cases == INVOLVED for rule in rules)


def sight_of(session: Session, actor: Actor, case_id: int, at: datetime) -> CaseSight:
    """The person's sight of an existing case; NeedToKnow (a 404) when they may see none of it."""
    items: set[str] = set()
    all_returns, own, exceptional = False, set(), False
    involved: frozenset[str] | None = None
    # The pathway is read only for the roles a pathway rule names: every other reader costs nothing more.
    pathway = pathway_of(session, case_id) if actor.roles & PATHWAY_ROLES else None
    for role in sorted(actor.roles):
        rule = case_rule(role, pathway)
        if rule is None:
            continue
        if rule.cases == INVOLVED:
            if involved is None:
                involved = involved_agencies(session, case_id)
            if role not in involved and not (role in PATHWAY_ROLES and linked_to_pathway(session, case_id, role)):
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
    pathways = frozenset().union(*(opening_pathways(role) for role in actor.roles & PATHWAY_ROLES))
    if not agencies and not pathways:
        return select(AgencyReturn.case_id).where(false())
    involving = cases_involving(session, agencies, user_id=actor.user_id, at=at) if agencies \
        else select(AgencyReturn.case_id).where(false())
    if not pathways:
        return involving
    # Every case on the role's pathways, and (by its own rule, as if involved) the cases linked to them either way.
    on_pathways = _on_pathways(pathways)
    linked = [select(Case.id).where(Case.linked_case_id.in_(on_pathways)),
              select(Case.linked_case_id).where(Case.id.in_(on_pathways), Case.linked_case_id.is_not(None))] \
        if agencies else []
    return select(union(involving, on_pathways, *linked).subquery().c[0])


#: Built once: every answer about a case with returns reads them.
_RELEASES = select(ReturnRelease).where(ReturnRelease.case_id == bindparam("case_id")).order_by(ReturnRelease.id)


def releases_of(session: Session, case_id: int) -> dict[int, list[ReturnRelease]]:
    """Every release on a case, standing or withdrawn, by return id (oldest first)."""
    found: dict[int, list[ReturnRelease]] = {}
    for row in session.scalars(_RELEASES, {"case_id": case_id}):
        found.setdefault(row.return_id, []).append(row)
    return found


#: Built once: a case's returns with their releases, in one read (every answer about a case shows its returns).
_RETURNS = (select(AgencyReturn, ReturnRelease)
            .outerjoin(ReturnRelease, ReturnRelease.return_id == AgencyReturn.id)
            .where(AgencyReturn.case_id == bindparam("case_id"))
            .order_by(AgencyReturn.returned_at, AgencyReturn.id, ReturnRelease.id))


def returns_with_releases(session: Session, case_id: int) -> tuple[list[AgencyReturn],
                                                                    dict[int, list[ReturnRelease]]]:
    """A case's returns, oldest first, and their releases (standing or withdrawn) by return id, oldest first."""
    returns: dict[int, AgencyReturn] = {}
    releases: dict[int, list[ReturnRelease]] = {}
    for ret, release in session.execute(_RETURNS, {"case_id": case_id}):
        returns.setdefault(ret.id, ret)
        if release is not None:
            releases.setdefault(ret.id, []).append(release)
    return list(returns.values()), releases


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
