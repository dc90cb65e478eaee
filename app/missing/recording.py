"""Typed records from the missing episode's steps (called by app.casework.recording, keyed by form): the return,
the return home interview's offer and the interview itself, and the manager's answer to the repeat prompt, each
kept on the episode's row for the child's chronology, the case page and the MI."""
from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.step_done import Done
from app.core.calendar import LONDON, london_instant
from app.core.vocabulary import (
    MISSING_RETURN_FORM,
    MISSING_STRATEGY_PROMPT_FORM,
    RETURN_HOME_INTERVIEW_FORM,
    RETURN_INTERVIEW_OFFER_FORM,
)
from app.missing.episodes import episode_of
from app.process_models.models import ProcessVersion
from app.process_models.registry import compiled

#: The named timescale the interview offer is due by (processes/sla-policies.toml).
INTERVIEW_TIMESCALE = "return-home-interview"


def interview_due(version: ProcessVersion | None, returned_at: datetime) -> datetime | None:
    """When the return home interview must be offered by: the version's timescale from the return."""
    if version is None:
        return None
    sla = compiled(version).sla
    window = sla.timescale(INTERVIEW_TIMESCALE).window(returned_at, sla.calendar)
    return window.due_at if window else None


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def _returned(session: Session, done: Done) -> None:
    """The police's later notification of the return: when, and where the child was found."""
    episode = episode_of(session, done.case.id)
    day = _date(done.data.get("missing_returned_on"))
    if episode is None or day is None:
        return
    try:
        episode.returned_at = london_instant(day, str(done.data.get("missing_returned_time") or "00:00"))
    except OverflowError:  # a date at the calendar's edge: the step's answers are kept whole in CompletedTask
        return
    episode.found_where = done.data.get("missing_found_where")
    episode.return_recorded_at = done.at
    episode.interview_due_at = interview_due(session.get(ProcessVersion, done.case.process_version_id),
                                            episode.returned_at)
    record(session, done.actor, "missing.returned", case_id=done.case.id, task_id=done.task.task_id,
           summary="Missing child's return recorded", details={"episode_id": episode.id})


def _offered(session: Session, done: Done) -> None:
    episode = episode_of(session, done.case.id)
    if episode is None:
        return
    data = done.data
    episode.interview_offered = bool(data.get("missing_interview_offered"))
    offered_on = _date(data.get("missing_offered_on"))
    # The offer's moment: now when it was made today, else the start of the day stated (the clock is in hours).
    if episode.interview_offered:
        today = done.at.astimezone(LONDON).date()
        episode.interview_offered_at = (done.at if offered_on in (None, today) else
                                        datetime.combine(offered_on, time(0), LONDON).astimezone(UTC))
        episode.interview_offered_by = data.get("missing_offered_by")
        episode.interview_accepted = bool(data.get("missing_interview_accepted"))
    record(session, done.actor, "missing.interview-offered", case_id=done.case.id, task_id=done.task.task_id,
           summary="Return home interview offer recorded",
           details={"episode_id": episode.id, "offered": episode.interview_offered,
                    "accepted": episode.interview_accepted})


def _interviewed(session: Session, done: Done) -> None:
    episode = episode_of(session, done.case.id)
    if episode is None:
        return
    data = done.data
    episode.interview_held = bool(data.get("missing_interview_held"))
    if episode.interview_held:
        episode.interview_held_on = _date(data.get("missing_held_on"))
        episode.interview_held_by = data.get("missing_held_by")
        episode.push_factors = data.get("missing_push_factors")
        episode.pull_factors = data.get("missing_pull_factors")
        episode.exploitation_indicators = list(data.get("missing_exploitation_indicators") or [])
        episode.interview_summary = data.get("missing_interview_summary")
    record(session, done.actor, "missing.interview-recorded", case_id=done.case.id, task_id=done.task.task_id,
           summary="Return home interview recorded",
           details={"episode_id": episode.id, "held": episode.interview_held,
                    "indicators": episode.exploitation_indicators or []})


def _strategy_considered(session: Session, done: Done) -> None:
    episode = episode_of(session, done.case.id)
    if episode is None:
        return
    episode.strategy_decision = done.data.get("missing_strategy_decision")
    episode.strategy_reason = done.data.get("missing_strategy_reason")
    record(session, done.actor, "missing.strategy-considered", case_id=done.case.id, task_id=done.task.task_id,
           summary="Repeat missing: strategy discussion considered",
           details={"episode_id": episode.id, "decision": episode.strategy_decision})


RECORDERS = {
    MISSING_RETURN_FORM: _returned,
    RETURN_INTERVIEW_OFFER_FORM: _offered,
    RETURN_HOME_INTERVIEW_FORM: _interviewed,
    MISSING_STRATEGY_PROMPT_FORM: _strategy_considered,
}
