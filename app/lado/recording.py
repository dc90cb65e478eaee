"""Typed records from the LADO's steps (called by app.casework.recording, keyed by form): the allegation recorded
after a MASH decision, the initial evaluation, the allegation management meeting, the outcome and the referral to
the DBS or regulator. The answers go to the LADO's own tables, apart from the child's record."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.step_done import Done
from app.lado.models import LadoAllegation, LadoMeeting
from app.lado.retention import close

DETAILS_FORM = "lado_allegation_details"
EVALUATION_FORM = "lado_evaluation"
MEETING_FORM = "lado_meeting"
OUTCOME_FORM = "lado_outcome"
REFERRAL_FORM = "lado_dbs_referral"
#: The allegation form's answers (forms/lado_allegation_details.json): the person, the allegation and the employer's
#: safeguarding lead. Once in the LADO's record they leave the child's case, which keeps ALLEGATION_ID.
KEPT_APART = ("lado_person", "lado_allegation", "lado_safeguarding_lead")
ALLEGATION_ID = "lado_allegation_id"
#: The later steps' words about the person, kept in the LADO's record (and erased by its retention) and so, likewise,
#: removed from the child's case; the codes the diagram tests (threshold, meeting needed, outcome, referrals) stay.
WORDS = {EVALUATION_FORM: ("lado_evaluation_note",), MEETING_FORM: ("lado_meeting_note", "lado_meeting_actions"),
         OUTCOME_FORM: ("lado_outcome_note",)}


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def allegation_row(case_id: int, source: str, person: dict[str, Any], allegation: dict[str, Any],
                   lead: dict[str, Any], received_at: Any, recorded_by: str) -> LadoAllegation:
    """The LADO's record from the allegation form's three groups (the contact's or the LADO's own step's)."""
    return LadoAllegation(
        case_id=case_id, source=source, received_at=received_at, recorded_by=recorded_by,
        given_name=person["given_name"].strip(), family_name=person["family_name"].strip(),
        date_of_birth=_date(person.get("date_of_birth")), job_title=person["job_title"].strip(),
        employer=person["employer"].strip(), sector=person["sector"], regulated_activity=person["regulated_activity"],
        category=allegation["category"], allegation=allegation["what"],
        happened_on=_date(allegation.get("happened_on")),
        came_to_notice_on=_date(allegation["came_to_notice_on"]) or received_at.date(),
        lead_name=lead["name"].strip(), lead_contact=lead["contact"].strip())


def latest(session: Session, case_id: int) -> LadoAllegation | None:
    return session.scalar(select(LadoAllegation).where(LadoAllegation.case_id == case_id)
                          .order_by(LadoAllegation.id.desc()).limit(1))


def _recorded(session: Session, done: Done) -> None:
    data = done.data
    row = allegation_row(done.case.id, "mash-decision", data["lado_person"], data["lado_allegation"],
                         data["lado_safeguarding_lead"], done.at, done.actor.username)
    session.add(row)
    session.flush()
    row.reference = f"LADO-{done.at:%Y}-{row.id:06d}"
    # The LADO's record holds them now: the child's case keeps only which allegation it was.
    done.keep_apart(KEPT_APART, {ALLEGATION_ID: row.id})
    record(session, done.actor, "lado.recorded", case_id=done.case.id, task_id=done.task.task_id,
           summary="Allegation recorded by the LADO", details={"allegation_id": row.id, "sector": row.sector})


def _evaluated(session: Session, done: Done) -> None:
    row, data = latest(session, done.case.id), done.data
    if row is None:  # a LADO step drawn where no allegation was recorded: the form is kept whole
        return
    row.threshold, row.meeting_needed = data.get("lado_threshold"), bool(data.get("lado_meeting_needed"))
    row.police_involved, row.evaluation_note = bool(data.get("lado_police_involved")), data.get("lado_evaluation_note")
    row.evaluated_at, row.evaluated_by = done.at, done.actor.username
    if row.threshold != "met":
        close(row, done.at)
    done.keep_apart(WORDS[EVALUATION_FORM], {ALLEGATION_ID: row.id})
    record(session, done.actor, "lado.evaluated", case_id=done.case.id, task_id=done.task.task_id,
           summary="Allegation evaluated by the LADO", details={"allegation_id": row.id, "threshold": row.threshold})


def _meeting(session: Session, done: Done) -> None:
    row, data = latest(session, done.case.id), done.data
    if row is None:
        return
    actions = [{"action": a.get("action"), "owner": a.get("owner"), "due_on": a.get("due_on")}
               for a in data.get("lado_meeting_actions") or [] if isinstance(a, dict) and a.get("action")]
    session.add(LadoMeeting(allegation_id=row.id, case_id=done.case.id,
                            held_on=_date(data.get("lado_meeting_held_on")) or done.at.date(),
                            attendees=list(data.get("lado_meeting_attendees") or []), actions=actions,
                            note=data.get("lado_meeting_note"), recorded_by=done.actor.username, recorded_at=done.at))
    attendees = sorted(data.get("lado_meeting_attendees") or [])
    done.keep_apart(WORDS[MEETING_FORM], {ALLEGATION_ID: row.id})
    record(session, done.actor, "lado.meeting-held", case_id=done.case.id, task_id=done.task.task_id,
           summary="Allegation management meeting recorded",
           details={"allegation_id": row.id, "attendees": attendees, "actions": len(actions)})


def _outcome(session: Session, done: Done) -> None:
    row, data = latest(session, done.case.id), done.data
    if row is None:
        return
    row.outcome, row.outcome_on = data.get("lado_outcome"), _date(data.get("lado_outcome_on"))
    row.employer_action, row.outcome_note = data.get("lado_employer_action"), data.get("lado_outcome_note")
    row.dbs_referral_needed = bool(data.get("lado_dbs_referral_needed"))
    row.regulator_referral_needed = bool(data.get("lado_regulator_referral_needed"))
    if not (row.dbs_referral_needed or row.regulator_referral_needed):
        close(row, done.at)
    done.keep_apart(WORDS[OUTCOME_FORM], {ALLEGATION_ID: row.id})
    record(session, done.actor, "lado.outcome", case_id=done.case.id, task_id=done.task.task_id,
           summary="Allegation outcome recorded", details={"allegation_id": row.id, "outcome": row.outcome})


def _referred(session: Session, done: Done) -> None:
    row, data = latest(session, done.case.id), done.data
    if row is None:
        return
    row.dbs_referred_on, row.regulator = _date(data.get("lado_dbs_referred_on")), data.get("lado_regulator")
    row.regulator_referred_on = _date(data.get("lado_regulator_referred_on"))
    row.referred_by = data.get("lado_referred_by")
    close(row, done.at)
    record(session, done.actor, "lado.referred", case_id=done.case.id, task_id=done.task.task_id,
           summary="Referral to the DBS or regulator recorded",
           details={"allegation_id": row.id, "dbs": row.dbs_referred_on is not None, "regulator": row.regulator})


RECORDERS = {DETAILS_FORM: _recorded, EVALUATION_FORM: _evaluated, MEETING_FORM: _meeting, OUTCOME_FORM: _outcome,
             REFERRAL_FORM: _referred}
