"""Reads of the LADO's records, each by its own rule (app/auth/authorisation.py): the LADO reads the allegation; the
hub's decision makers and the operations manager see only that an allegation exists on a child's case; nobody else
sees anything of it, whatever they see of the case."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.authorisation import ALLEGATION_EXISTS_ROLES, LADO_ROLES
from app.cases.models import Case
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import NeedToKnow, NotFound
from app.inbox.models import OpenTask
from app.lado.models import LadoAllegation, LadoMeeting
from app.need_to_know.sight import sight_of

#: What each reader sees of an allegation: its details, or only that it exists.
DETAILS = "details"
EXISTS = "exists"


def reading_of(actor: Actor) -> str | None:
    """How much of an allegation this person reads: DETAILS, EXISTS or None (nothing at all)."""
    if actor.roles & LADO_ROLES:
        return DETAILS
    if actor.roles & ALLEGATION_EXISTS_ROLES:
        return EXISTS
    return None


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def _exists_json(row: LadoAllegation) -> dict[str, Any]:
    return {"reference": row.reference, "received_at": _iso(row.received_at),
            "status": "closed" if row.closed_at else "open", "held_by": "LADO"}


def allegation_json(row: LadoAllegation, meetings: list[LadoMeeting]) -> dict[str, Any]:
    """The whole allegation, for the LADO."""
    return {
        **_exists_json(row), "case_id": row.case_id, "source": row.source, "recorded_by": row.recorded_by,
        "person": {"given_name": row.given_name, "family_name": row.family_name,
                   "date_of_birth": _iso(row.date_of_birth), "role": row.job_title, "employer": row.employer,
                   "sector": row.sector, "regulated_activity": row.regulated_activity},
        "allegation": {"category": row.category, "what": row.allegation, "happened_on": _iso(row.happened_on),
                       "came_to_notice_on": _iso(row.came_to_notice_on)},
        "safeguarding_lead": {"name": row.lead_name, "contact": row.lead_contact},
        "evaluation": {"threshold": row.threshold, "meeting_needed": row.meeting_needed,
                       "police_involved": row.police_involved, "note": row.evaluation_note,
                       "evaluated_at": _iso(row.evaluated_at), "evaluated_by": row.evaluated_by},
        "meetings": [{"held_on": _iso(m.held_on), "attendees": list(m.attendees or []),
                      "actions": list(m.actions or []),
                      "note": m.note, "recorded_by": m.recorded_by} for m in meetings],
        "outcome": {"outcome": row.outcome, "outcome_on": _iso(row.outcome_on), "employer_action": row.employer_action,
                    "note": row.outcome_note, "dbs_referral_needed": row.dbs_referral_needed,
                    "regulator_referral_needed": row.regulator_referral_needed},
        "referral": {"dbs_referred_on": _iso(row.dbs_referred_on), "regulator": row.regulator,
                     "regulator_referred_on": _iso(row.regulator_referred_on), "referred_by": row.referred_by},
        "retention": {"on_person_file": row.on_person_file, "retain_until": _iso(row.retain_until),
                      "erased_at": _iso(row.erased_at)},
    }


def allegations_on(session: Session, case_id: int, actor: Actor) -> list[dict[str, Any]]:
    """The allegations on a case as this person may read them, oldest first. NotFound for no such case, NeedToKnow
    (a 404) for a case they may not see or an allegation they may not read (an agency, business support)."""
    if session.get(Case, case_id) is None:
        raise NotFound("There is no case with this id.")
    sight_of(session, actor, case_id, now())
    reading = reading_of(actor)
    if reading is None:
        raise NeedToKnow()
    return allegations_read(session, case_id, reading)


def allegations_read(session: Session, case_id: int, reading: str) -> list[dict[str, Any]]:
    """The allegations on a case the reader already has sight of, as ``reading`` (DETAILS or EXISTS) shows them."""
    rows = list(session.scalars(select(LadoAllegation).where(LadoAllegation.case_id == case_id)
                                .order_by(LadoAllegation.id)))
    if reading == EXISTS:
        return [_exists_json(row) for row in rows]
    meetings: dict[int, list[LadoMeeting]] = {}
    for meeting in session.scalars(select(LadoMeeting).where(LadoMeeting.case_id == case_id).order_by(LadoMeeting.id)):
        meetings.setdefault(meeting.allegation_id, []).append(meeting)
    return [allegation_json(row, meetings.get(row.id, [])) for row in rows]


def open_allegations(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The LADO's list: every allegation not yet dealt with, oldest first, with the step it waits on and its due."""
    if reading_of(actor) != DETAILS:
        raise NeedToKnow()
    rows = list(session.scalars(select(LadoAllegation).where(LadoAllegation.closed_at.is_(None))
                                .order_by(LadoAllegation.received_at, LadoAllegation.id)))
    ids = [row.case_id for row in rows]
    steps: dict[int, OpenTask] = {}
    for task in session.scalars(select(OpenTask).where(OpenTask.case_id.in_(ids), OpenTask.role.in_(LADO_ROLES))
                                .order_by(OpenTask.created_at)) if ids else []:
        steps.setdefault(task.case_id, task)
    references = dict(session.execute(select(Case.id, Case.reference).where(Case.id.in_(ids))).all()) if ids else {}
    return [{"reference": row.reference, "case_id": row.case_id, "case_reference": references.get(row.case_id),
             "person": f"{row.given_name or ''} {row.family_name or ''}".strip(), "role": row.job_title,
             "employer": row.employer, "sector": row.sector, "category": row.category,
             "received_at": _iso(row.received_at), "threshold": row.threshold,
             "step": steps[row.case_id].name if row.case_id in steps else None,
             "task_id": steps[row.case_id].task_id if row.case_id in steps else None,
             "due_at": _iso(steps[row.case_id].due_at) if row.case_id in steps else None} for row in rows]


def allegations_about(session: Session, given_name: str, family_name: str,
                      date_of_birth: date | None) -> list[LadoAllegation]:
    """The allegations about one person, for their subject access request: the same name (any case) and, where
    both are known, the same date of birth."""
    rows = session.scalars(select(LadoAllegation).where(LadoAllegation.erased_at.is_(None)).order_by(LadoAllegation.id))
    wanted = (given_name.strip().lower(), family_name.strip().lower())
    return [row for row in rows
            if ((row.given_name or "").lower(), (row.family_name or "").lower()) == wanted
            and (date_of_birth is None or row.date_of_birth is None or row.date_of_birth == date_of_birth)]
