"""How long the LADO keeps an allegation, and erasing the person's details when that time is up.

The rule (Keeping Children Safe in Education 2024, part 4 "Record keeping"; Working Together 2023 chapter 2):
- substantiated and unsubstantiated allegations are kept on the person's file "until the accused has reached
  normal pension age or for a period of 10 years from the date of the allegation if that is longer". Normal pension
  age is taken as the state pension age, 67 for anyone born after 5 March 1961 (Pensions Act 2014): NORMAL_PENSION_AGE.
  A person whose date of birth the LADO does not know is kept for the 10 years and then held for review (the
  pension age cannot be worked out), never erased unseen;
- unfounded, false and malicious allegations are not kept on the person's file ("details of allegations found to be
  malicious should be removed from personnel records"; unfounded and false ones are not referred to in references).
  The LADO keeps the coded facts for the annual return, and the person's details for NOT_ON_FILE_MONTHS after the
  outcome (a repeat allegation meanwhile can still be seen against it) before they are erased;
- an allegation that did not meet the threshold, or needed no further action, is treated the same way: it never
  reached an outcome to put on a file.
DOMAIN.md lists no retention rule for LADO records; this is the statutory guidance's, as each council's retention
schedule repeats it. The child's case keeps its own retention (app/retention): the two never move together.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import CompletedTask
from app.core.actor import Actor
from app.lado.models import LadoAllegation, LadoMeeting

NORMAL_PENSION_AGE = 67
YEARS_FROM_ALLEGATION = 10
NOT_ON_FILE_MONTHS = 12
#: Outcomes kept on the person's file.
ON_FILE_OUTCOMES = frozenset({"substantiated", "unsubstantiated"})
#: The person's details and everything written about the allegation; the codes and dates stay for the annual return.
PERSONAL = ("given_name", "family_name", "date_of_birth", "job_title", "employer", "allegation", "happened_on",
            "lead_name", "lead_contact", "evaluation_note", "outcome_note")
#: The LADO's forms, whose free-text answers go with the record (the child's case keeps its own forms).
LADO_FORMS = frozenset({"lado_allegation_details", "lado_evaluation", "lado_meeting", "lado_outcome",
                        "lado_dbs_referral"})
#: Why a due record is held back for the LADO to review rather than erased.
NO_DATE_OF_BIRTH = "date-of-birth-not-known"


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later (29 February becomes the 28th)."""
    year = day.year + years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def retention_of(row: LadoAllegation, closed_on: date) -> tuple[bool, date]:
    """Whether the allegation is kept on the person's file, and the day its personal details may go."""
    if row.outcome in ON_FILE_OUTCOMES:
        ten_years = add_years(row.came_to_notice_on, YEARS_FROM_ALLEGATION)
        if row.date_of_birth is None:
            return True, ten_years
        return True, max(ten_years, add_years(row.date_of_birth, NORMAL_PENSION_AGE))
    return False, add_months(row.outcome_on or closed_on, NOT_ON_FILE_MONTHS)


def close(row: LadoAllegation, at: datetime) -> None:
    """The allegation is dealt with: its retention starts."""
    row.closed_at = at
    row.on_person_file, row.retain_until = retention_of(row, at.date())


@dataclass(frozen=True)
class DueAllegation:
    allegation_id: int
    reference: str
    retain_until: date
    #: None when it may be erased now, else why it waits for the LADO (NO_DATE_OF_BIRTH).
    held: str | None


def due_allegations(session: Session, today: date) -> list[DueAllegation]:
    """Closed allegations whose retention has ended, oldest first; those kept by the 10 years alone for want of a
    date of birth are held for the LADO to review."""
    rows = session.scalars(select(LadoAllegation).where(
        LadoAllegation.retain_until < today, LadoAllegation.erased_at.is_(None), LadoAllegation.closed_at.is_not(None))
        .order_by(LadoAllegation.retain_until, LadoAllegation.id))
    return [DueAllegation(row.id, row.reference or str(row.id), row.retain_until,  # type: ignore[arg-type]
                          NO_DATE_OF_BIRTH if row.on_person_file and row.date_of_birth is None else None)
            for row in rows]


def erase_due(session: Session, today: date, at: datetime, actor: Actor) -> list[str]:
    """Erase the person's details from every allegation due (not held), in the caller's transaction; the
    references erased. The codes (sector, category, threshold, outcome, referrals) and dates stay for MI."""
    erased = []
    for due in due_allegations(session, today):
        if due.held:
            continue
        row = session.get_one(LadoAllegation, due.allegation_id)
        for column in PERSONAL:
            setattr(row, column, None)
        for meeting in session.scalars(select(LadoMeeting).where(LadoMeeting.allegation_id == row.id)):
            meeting.note = None
            meeting.actions = [{"owner": a.get("owner"), "due_on": a.get("due_on")} for a in meeting.actions or []]
        for task in session.scalars(select(CompletedTask).where(CompletedTask.case_id == row.case_id,
                                                               CompletedTask.form_key.in_(LADO_FORMS))):
            task.data = {name: value for name, value in (task.data or {}).items()
                         if isinstance(value, bool) or name in CODED_ANSWERS}
        row.erased_at = at
        record(session, actor, "lado.erased", case_id=row.case_id, summary="Allegation record erased under retention",
               details={"allegation_id": row.id, "on_person_file": row.on_person_file})
        erased.append(due.reference)
    return erased


#: The LADO forms' answers picked from a list: kept when the free text goes.
CODED_ANSWERS = frozenset({"lado_threshold", "lado_outcome", "lado_employer_action", "lado_regulator",
                           "lado_referred_by", "lado_meeting_attendees", "lado_outcome_on", "lado_meeting_held_on"})
