"""A case's missing episode as its reader may see it (need to know): the episode's dates, the police risk grading
and the interview's progress to anyone who may open the case; the child's identifiers to those who see them; where
the child was found to those who read the notification's concern; and what the child said at the return home
interview only to the missing children coordinator, whose record it is, and the hub's decision makers (those who
read the hub's analysis): an agency that notified the episode learns the interview was held, not what was said."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.auth.authorisation import MISSING_LIST_ROLES
from app.cases.models import Case
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import NeedToKnow, NotFound
from app.missing.episodes import EXPLOITATION_INDICATORS, RISK_GRADINGS, child_flags, episode_of
from app.missing.models import MissingEpisode
from app.need_to_know.sight import CaseSight, sight_of, visible_case_ids


def _iso(at: Any) -> str | None:
    return at.isoformat() if at is not None else None


def offered_in_time(episode: MissingEpisode) -> bool | None:
    """Whether the interview was offered by its due time (None until offered or while the child is missing)."""
    if not episode.interview_offered or episode.interview_offered_at is None or episode.interview_due_at is None:
        return None
    return _aware(episode.interview_offered_at) <= _aware(episode.interview_due_at)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


#: The role whose record the return home interview is.
COORDINATOR = "missing-children"


def reads_interview(sight: CaseSight, actor: Actor) -> bool:
    """Whether the reader sees what the child said at the interview."""
    return sight.shows("analysis") or (COORDINATOR in actor.roles and sight.shows("concern"))


def episode_json(episode: MissingEpisode, sight: CaseSight, *, interview: bool = False) -> dict[str, Any]:
    """The episode, cut to what the reader's sight of its case shows (``interview``: what the child said)."""
    found: dict[str, Any] = {
        "case_id": episode.case_id, "started_at": _iso(episode.started_at), "returned_at": _iso(episode.returned_at),
        "still_missing": episode.returned_at is None, "risk_grading": episode.risk_grading,
        "looked_after": episode.looked_after, "police_reference": episode.police_reference,
        "repeat": episode.repeat, "repeat_count": episode.repeat_count,
        "interview_due_at": _iso(episode.interview_due_at), "interview_offered": episode.interview_offered,
        "interview_offered_at": _iso(episode.interview_offered_at),
        "interview_offered_in_time": offered_in_time(episode), "interview_accepted": episode.interview_accepted,
        "interview_held": episode.interview_held, "interview_held_on": _iso(episode.interview_held_on),
        "strategy_decision": episode.strategy_decision}
    if sight.shows("identifiers"):
        found["child"] = {"given_name": episode.given_name, "family_name": episode.family_name,
                          "date_of_birth": _iso(episode.date_of_birth), "nhs_number": episode.nhs_number,
                          "address": episode.address, "person_id": episode.person_id}
    if sight.shows("concern"):
        found |= {"found_where": episode.found_where, "interview_offered_by": episode.interview_offered_by,
                  "interview_held_by": episode.interview_held_by}
    if interview:
        found |= {"push_factors": episode.push_factors, "pull_factors": episode.pull_factors,
                  "exploitation_indicators": list(episode.exploitation_indicators or []),
                  "interview_summary": episode.interview_summary, "strategy_reason": episode.strategy_reason}
    return found


def missing_episode_on(session: Session, case_id: int, actor: Actor) -> dict[str, Any]:
    """The case's missing episode (404 outside need to know, or when the case is no missing episode)."""
    if session.get(Case, case_id) is None:
        raise NotFound("There is no case with this id.")
    sight = sight_of(session, actor, case_id, now())
    if "progress" not in sight.items:
        raise NeedToKnow()
    episode = episode_of(session, case_id)
    if episode is None:
        raise NotFound("This case is not a missing episode.")
    return episode_json(episode, sight, interview=reads_interview(sight, actor))


def flags_json(session: Session, case: Case, at: datetime | None = None) -> list[dict[str, Any]]:
    """The case's children flagged as repeat missing children (for the case page and screening)."""
    return [{"subject_position": flag.subject.position, "label": flag.repeat.rule.label,
             "count": flag.repeat.count, "possible": flag.repeat.possible, "explanation": flag.repeat.explanation}
            for flag in child_flags(session, case, at)]


def risk_label(code: str | None) -> str:
    return RISK_GRADINGS.get(code or "", code or "")


def indicator_labels(codes: list | None) -> list[str]:
    return [EXPLOITATION_INDICATORS.get(code, code) for code in codes or []]


# ----------------------------------------------------------------------------- the coordinator's list (/missing)
EPISODES_PER_PAGE = 25


@dataclass(frozen=True)
class ListedEpisode:
    """One row of the coordinator's list: the episode, its case, and the child's name when the reader's sight of the
    case shows identifiers (None otherwise: the row then names the case only)."""

    episode: MissingEpisode
    case_id: int
    reference: str
    open: bool
    child: str | None

    @property
    def risk(self) -> str:
        return risk_label(self.episode.risk_grading)

    @property
    def in_time(self) -> bool | None:
        return offered_in_time(self.episode)


@dataclass(frozen=True)
class EpisodeList:
    rows: list[ListedEpisode]
    total: int
    page: int
    pages: int


def episode_list(session: Session, actor: Actor, page: int) -> EpisodeList:
    """The episodes of the cases this reader may see, not anonymised: open episodes first (the longest-running
    first), then closed ones (the latest first), ``page`` of them. NotFound for a page past the end."""
    if not actor.roles & MISSING_LIST_ROLES:
        raise NeedToKnow()
    at = now()
    wanted = select(MissingEpisode, Case).join(Case, Case.id == MissingEpisode.case_id) \
        .where(Case.anonymised_at.is_(None))
    visible = visible_case_ids(session, actor, at)
    if visible is not None:
        wanted = wanted.where(Case.id.in_(visible))
    total = session.scalar(select(func.count()).select_from(wanted.subquery())) or 0
    pages = max(1, -(-total // EPISODES_PER_PAGE))
    if not 1 <= page <= pages:
        raise NotFound("There is no such page of missing episodes.")
    is_open = Case.status == "open"
    found = session.execute(wanted.order_by(
        case((is_open, 0), else_=1), case((is_open, MissingEpisode.started_at), else_=None).asc(),
        MissingEpisode.started_at.desc(), MissingEpisode.id.desc())
        .limit(EPISODES_PER_PAGE).offset((page - 1) * EPISODES_PER_PAGE)).all()
    rows = []
    for episode, its_case in found:
        sight = sight_of(session, actor, its_case.id, at)
        child = f"{episode.given_name or ''} {episode.family_name or ''}".strip() \
            if sight.shows("identifiers") else None
        rows.append(ListedEpisode(episode, its_case.id, its_case.reference or str(its_case.id),
                                  its_case.status == "open", child))
    return EpisodeList(rows, total, page, pages)
