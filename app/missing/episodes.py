"""Reading a child's missing episodes: their count against the hub's repeat rule, and the flag on the child.

A child is a cluster of person records (app/people/clusters.py). Episodes of a record only PROPOSED as a
match at intake count too, marked "possible": the police notify the same child again and again, and the
manager prompted to consider a strategy discussion confirms the match there. A rejected proposal never counts.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.cases.models import Case, Subject
from app.core.codes import CHILD_ROLES
from app.missing.models import MissingEpisode
from app.missing.rules import RepeatMissingRule, hub_rule
from app.people.clusters import clusters
from app.people.queries import ProposedMatch, proposed_matches

#: The police risk grading (College of Policing APP "Missing persons", 2022: the "absent" category was
#: withdrawn; every report is "missing", graded by risk). Code -> words.
RISK_GRADINGS: dict[str, str] = {"no-apparent-risk": "No apparent risk", "low": "Low risk",
                                 "medium": "Medium risk", "high": "High risk"}
#: Exploitation indicators a return home interview may record (forms/return_home_interview.json).
EXPLOITATION_INDICATORS: dict[str, str] = {
    "cse": "Child sexual exploitation", "cce": "Child criminal exploitation", "county-lines": "County lines",
    "trafficking": "Trafficking or modern slavery", "gangs": "Gang association", "substances": "Drugs or alcohol",
    "online": "Online grooming", "radicalisation": "Radicalisation", "none-identified": "None identified"}


@dataclass(frozen=True)
class RepeatMissing:
    """A child's episodes within the rule's window up to ``at``: the flag shows when ``count`` reaches it."""

    rule: RepeatMissingRule
    count: int
    #: Counting only records the hub has confirmed as the child.
    confirmed_count: int
    episodes: tuple[MissingEpisode, ...]

    @property
    def flagged(self) -> bool:
        return self.count >= self.rule.episodes

    @property
    def possible(self) -> bool:
        """Flagged only if a proposed match is confirmed."""
        return self.flagged and self.confirmed_count < self.rule.episodes

    @property
    def explanation(self) -> str:
        plural = "s" if self.count != 1 else ""
        text = f"{self.rule.label}: {self.count} episode{plural} in the last {self.rule.window_days} days"
        return f"Possible – if the proposed match is confirmed. {text}" if self.possible else text


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def repeat_missing(session: Session, records: Iterable[int], at: datetime, *, proposed: Iterable[int] = (),
                   rule: RepeatMissingRule | None = None) -> RepeatMissing:
    """The episodes of these person records' clusters (``proposed``: records only proposed as the same child)
    that started within the rule's window up to ``at``."""
    return _repeats(session, {0: (list(records), list(proposed))}, at, rule or hub_rule())[0]


#: Built once (the case page asks on every request): the episodes of these person records started in a window.
#: Anonymised episodes have lost their link to the child (app/retention): they never count.
_EPISODES_OF = (select(MissingEpisode).join(Case, Case.id == MissingEpisode.case_id)
                .where(MissingEpisode.person_id.in_(bindparam("records", expanding=True)),
                       MissingEpisode.started_at >= bindparam("since"), MissingEpisode.started_at <= bindparam("until"),
                       Case.anonymised_at.is_(None))
                .order_by(MissingEpisode.started_at, MissingEpisode.id))


def _repeats(session: Session, children: dict[Any, tuple[list[int], list[int]]], at: datetime,
             rule: RepeatMissingRule) -> dict[Any, RepeatMissing]:
    """``repeat_missing`` for several children at once (key -> (own records, proposed records)): one read of
    their clusters and one of their episodes, whatever the number of children."""
    record_root = clusters(session, [r for own, maybe in children.values() for r in (*own, *maybe)])
    since = _aware(at) - timedelta(days=rule.window_days)
    found = list(session.scalars(_EPISODES_OF, {"records": list(record_root), "since": since, "until": _aware(at)})) \
        if record_root else []
    rooted = [(e, record_root[e.person_id]) for e in found if e.person_id is not None]  # all, by the query
    repeats = {}
    for key, (own, maybe) in children.items():
        own_roots = {record_root[r] for r in own if r in record_root}
        roots = own_roots | {record_root[r] for r in maybe if r in record_root}
        mine = tuple(e for e, root in rooted if root in roots)
        confirmed = sum(1 for _, root in rooted if root in own_roots)
        repeats[key] = RepeatMissing(rule, len(mine), confirmed, mine)
    return repeats


@dataclass(frozen=True)
class ChildFlag:
    """A subject of a case flagged as a repeat missing child."""

    subject: Subject
    repeat: RepeatMissing


def child_flags(session: Session, case: Case, at: datetime | None = None,
                matches: Mapping[int, list[ProposedMatch]] | None = None) -> list[ChildFlag]:
    """The case's children who are repeat missing children, counted up to ``at`` (default: the case's
    receipt), for screening and the case page. Three reads for all the children (their proposed matches, unless
    the caller read them: ``matches``, app.people.queries.proposed_matches; their clusters, unless the
    transaction has read them; and their episodes), not three per child."""
    children = [s for s in case.subjects if s.role in CHILD_ROLES and s.person_id is not None]
    if not children:
        return []
    if matches is None:
        matches = proposed_matches(session, case)
    repeats = _repeats(session, {child.id: ([child.person_id] if child.person_id is not None else [],
                                            [m.person_id for m in matches.get(child.id, [])]) for child in children},
                       at or case.received_at, hub_rule())
    return [ChildFlag(child, repeats[child.id]) for child in children if repeats[child.id].flagged]


def episode_of(session: Session, case_id: int) -> MissingEpisode | None:
    """The episode a case was opened for."""
    return session.scalar(select(MissingEpisode).where(MissingEpisode.case_id == case_id))
