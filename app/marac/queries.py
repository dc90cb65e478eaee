"""Reads of the Encompass and MARAC records, within need to know: a case's schools told and MARAC referral, and
the coordinator's list of referrals with their meetings and repeat flags."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cases.models import Case
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import NeedToKnow, NotFound
from app.core.marac_meetings import hub_meetings
from app.core.schools import hub_schools
from app.engine import CaseWorkflow
from app.inbox.models import OpenTask
from app.marac.models import EncompassNotification, MaracAction, MaracReferral
from app.marac.repeats import find_repeat
from app.need_to_know.sight import sight_of, visible_case_ids
from app.process_models.registry import compiled_by_id

#: The MARAC coordinator's role and the element id of the referral step they work (marac.bpmn).
MARAC_ROLE = "marac-coordinator"
REFER_STEP = "refer_marac"


def _case_in_sight(session: Session, actor: Actor, case_id: int) -> None:
    if session.get(Case, case_id) is None:
        raise NotFound("There is no case with this id.")
    sight = sight_of(session, actor, case_id, now())
    if "progress" not in sight.items:
        raise NeedToKnow()


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def encompass_on(session: Session, case_id: int, actor: Actor) -> list[dict[str, Any]]:
    """The schools told about the case's notification, oldest first (404 outside need to know)."""
    _case_in_sight(session, actor, case_id)
    rows = session.scalars(select(EncompassNotification).where(EncompassNotification.case_id == case_id)
                           .order_by(EncompassNotification.id))
    return [{"school": r.school, "school_name": r.school_name, "dsl_name": r.dsl_name, "told_at": _iso(r.told_at),
             "told_by": r.told_by, "told_method": r.told_method, "due_at": _iso(r.due_at),
             "before_school_day": r.due_at is None or r.told_at <= r.due_at} for r in rows]


def referral_json(referral: MaracReferral, actions: list[MaracAction]) -> dict[str, Any]:
    return {"case_id": referral.case_id, "referred_on": referral.referred_on.isoformat(),
            "referred_at": _iso(referral.referred_at), "referred_by": referral.referred_by,
            "meeting_date": referral.meeting_date.isoformat() if referral.meeting_date else None,
            "repeat": referral.repeat, "repeat_found": referral.repeat_found,
            "repeat_of_case_id": referral.repeat_of_case_id, "dash_score": referral.dash_score,
            "actions": [{"action": a.action, "owner_agency": a.owner_agency, "due_on": a.due_on.isoformat(),
                         "heard_on": a.heard_on.isoformat(), "recorded_by": a.recorded_by} for a in actions]}


def marac_on(session: Session, case_id: int, actor: Actor) -> list[dict[str, Any]]:
    """The case's MARAC referrals with the actions recorded against them (404 outside need to know)."""
    _case_in_sight(session, actor, case_id)
    referrals = list(session.scalars(select(MaracReferral).where(MaracReferral.case_id == case_id)
                                     .order_by(MaracReferral.id)))
    actions = list(session.scalars(select(MaracAction).where(MaracAction.case_id == case_id)
                                   .order_by(MaracAction.id)))
    return [referral_json(r, [a for a in actions if a.referral_id == r.id]) for r in referrals]


def coordinator_list(session: Session, actor: Actor, limit: int = 200) -> dict[str, list[dict[str, Any]]]:
    """Waiting: cases with "Refer to MARAC" open (to refer, with the next meeting); referred: the latest referrals.
    Only cases the reader may see."""
    visible = visible_case_ids(session, actor, now())
    waiting_q = (select(OpenTask.case_id, Case.reference, OpenTask.due_at, OpenTask.task_id)
                 .join(Case, Case.id == OpenTask.case_id)
                 .where(OpenTask.role == MARAC_ROLE, OpenTask.bpmn_id == REFER_STEP).order_by(OpenTask.due_at))
    referred_q = (select(MaracReferral, Case.reference).join(Case, Case.id == MaracReferral.case_id)
                  .order_by(MaracReferral.referred_at.desc()).limit(limit))
    if visible is not None:
        waiting_q = waiting_q.where(OpenTask.case_id.in_(visible))
        referred_q = referred_q.where(MaracReferral.case_id.in_(visible))
    waiting = [{"case_id": row.case_id, "reference": row.reference, "due_at": _iso(row.due_at),
                "task_id": row.task_id} for row in session.execute(waiting_q)]
    at = now()
    meeting = hub_meetings().next_meeting(at)
    for row, victim in zip(waiting, victims_waiting(session, waiting).values(), strict=True):
        finding = find_repeat(session, row["case_id"], victim, at)
        row.update(next_meeting=meeting.isoformat() if meeting else None, repeat_found=finding.repeat,
                   repeat_of_case_id=finding.earlier_case_id)
    referred = [{**referral_json(referral, []), "reference": reference}
                for referral, reference in session.execute(referred_q)]
    return {"waiting": waiting, "referred": referred}


def school_contacts(school_ids: list[str]) -> list[dict[str, str]]:
    """The safeguarding leads' contact details for the Encompass step's page."""
    schools = hub_schools()
    return [{"id": s.id, "name": s.name, "dsl_name": s.dsl_name, "dsl_email": s.dsl_email, "dsl_phone": s.dsl_phone}
            for s in (schools[i] for i in school_ids if i in schools)]


def victims_waiting(session: Session, waiting: list[dict[str, Any]]) -> dict[int, Any]:
    """The victim each waiting referral names (case data ``da_victim``), for the repeat check."""
    found: dict[int, Any] = {}
    for row in waiting:
        case = session.get_one(Case, row["case_id"])
        data = CaseWorkflow.restore(compiled_by_id(session, case.process_version_id), case.state).case_data()
        found[case.id] = data.get("da_victim")
    return found


def task_panel(session: Session, task: OpenTask) -> dict[str, Any]:
    """What the Encompass and MARAC steps' pages show beside the form: the schools' safeguarding leads to tell,
    or the meeting the referral goes to and whether the person index finds the victim a repeat."""
    case = session.get_one(Case, task.case_id)
    workflow = CaseWorkflow.restore(compiled_by_id(session, case.process_version_id), case.state)
    data = next((t.data for t in workflow.open_user_tasks() if t.task_id == task.task_id), {})
    if task.form_key == "encompass_notification":
        return {"schools": school_contacts(list(data.get("encompass_schools") or [])),
                "due": data.get("encompass_from")}
    finding = find_repeat(session, case.id, data.get("da_victim"), now())
    earlier = session.get(Case, finding.earlier_case_id) if finding.earlier_case_id else None
    return {"meeting_date": data.get("marac_meeting_date"), "repeat_found": finding.repeat,
            "repeat_of": earlier.reference if earlier else None,
            "repeat_at": finding.earlier_referred_at}
