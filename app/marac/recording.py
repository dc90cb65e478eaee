"""Typed records from the Encompass and MARAC steps' forms (called by app.casework.recording, keyed by form):
who told which school and when, the MARAC referral with its meeting and repeat finding, and the actions."""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.step_done import Done
from app.core.calendar import london_instant
from app.core.schools import hub_schools, next_school_day
from app.marac.models import EncompassNotification, MaracAction, MaracReferral
from app.marac.repeats import find_repeat

ENCOMPASS_FORM = "encompass_notification"
MARAC_REFERRAL_FORM = "marac_referral"
MARAC_ACTIONS_FORM = "marac_actions"


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def encompass_told(session: Session, done: Done) -> None:
    """One row per school told: the DSL named, the London time stated, how, and the education user recording it."""
    data = done.data
    schools = hub_schools()
    told_on, told_time = _date(data.get("told_on")), data.get("told_time") or "00:00"
    told_at = london_instant(told_on, told_time) if told_on else done.at
    incident_at = _instant(data.get("encompass_from"))
    for school in data.get("encompass_schools") or []:
        due = next_school_day(school, incident_at, schools) if incident_at and school in schools else None
        session.add(EncompassNotification(
            case_id=done.case.id, task_id=done.task.task_id, school=school,
            school_name=schools[school].name if school in schools else school, dsl_name=data.get("dsl_name"),
            told_at=told_at, told_method=data.get("told_method", "phone"), told_note=data.get("told_note"),
            told_by=done.actor.username, incident_at=incident_at, due_at=due, recorded_at=done.at))
    record(session, done.actor, "encompass.school-told", case_id=done.case.id, task_id=done.task.task_id,
           summary="School told (Operation Encompass)",
           details={"schools": list(data.get("encompass_schools") or []), "method": data.get("told_method")})


def marac_referred(session: Session, done: Done) -> None:
    """The referral, with the meeting it goes to and whether the person index knows the victim as a repeat."""
    data = done.data
    finding = find_repeat(session, done.case.id, data.get("da_victim"), done.at, add=True)
    session.add(MaracReferral(
        case_id=done.case.id, task_id=done.task.task_id, victim_person_id=finding.person_id,
        referred_on=_date(data.get("referred_on")) or done.at.date(), referred_at=done.at,
        referred_by=done.actor.username, meeting_date=_date(data.get("marac_meeting_date")),
        repeat_found=finding.repeat, repeat_of_case_id=finding.earlier_case_id,
        repeat=bool(data.get("marac_repeat")), dash_score=data.get("dash_score"),
        referral_note=data.get("referral_note")))
    record(session, done.actor, "marac.referred", case_id=done.case.id, task_id=done.task.task_id,
           summary="Referred to MARAC",
           details={"meeting_date": data.get("marac_meeting_date"), "repeat_found": finding.repeat,
                    "repeat": bool(data.get("marac_repeat"))})


def marac_actions(session: Session, done: Done) -> None:
    """Each action the MARAC agreed, against the case's latest referral."""
    data = done.data
    referral_id = session.scalar(select(MaracReferral.id).where(MaracReferral.case_id == done.case.id)
                                 .order_by(MaracReferral.id.desc()).limit(1))
    heard = _date(data.get("heard_on")) or done.at.date()
    actions = [a for a in data.get("marac_actions") or [] if isinstance(a, dict) and a.get("action")]
    for item in actions:
        session.add(MaracAction(case_id=done.case.id, referral_id=referral_id, heard_on=heard,
                                action=item["action"], owner_agency=item.get("owner_agency", "other"),
                                due_on=_date(item.get("due_on")) or heard, recorded_by=done.actor.username,
                                recorded_at=done.at))
    record(session, done.actor, "marac.actions-recorded", case_id=done.case.id, task_id=done.task.task_id,
           summary="MARAC actions recorded",
           details={"actions": len(actions), "agencies": sorted({a.get("owner_agency") for a in actions})})


RECORDERS = {ENCOMPASS_FORM: encompass_told, MARAC_REFERRAL_FORM: marac_referred, MARAC_ACTIONS_FORM: marac_actions}
