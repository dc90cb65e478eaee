"""Keeping the duty rota: add, change and remove a shift. Shifts of one role never overlap, so an escalation
always has one person to go to; a shift names someone who holds the role and can sign in."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.auth.models import User
from app.core.actor import Actor
from app.core.calendar import LONDON, london
from app.core.clock import now
from app.core.errors import FieldError, NotFound, ValidationFailed
from app.core.roles import LANE_ROLES, role_label
from app.rota.models import DutyShift
from app.rota.queries import overlapping

#: Who can be on duty: the roles that work tasks (the lanes of the process).
DUTY_ROLES: tuple[str, ...] = tuple(dict.fromkeys(LANE_ROLES))
#: The longest shift: a rota of days and nights, not a standing assignment.
LONGEST_SHIFT = timedelta(hours=24)
_TIME = re.compile(r"([01]?\d|2[0-3])[:.]([0-5]\d)")


@dataclass(frozen=True)
class ShiftAnswers:
    role: str
    user: User
    starts_at: datetime
    ends_at: datetime


def read_shift(session: Session, form: dict[str, str]) -> ShiftAnswers:
    """A shift from the form: role, username, the day it starts (day, month, year) and its start and end
    times (London). An end at or before the start is the next morning (a night shift)."""
    errors: list[FieldError] = []
    role = (form.get("role") or "").strip()
    if role not in DUTY_ROLES:
        errors.append(FieldError("role", "Select the role the person is on duty for"))
    username = (form.get("username") or "").strip()
    user = session.scalar(select(User).where(User.username == username)) if username else None
    if user is None:
        errors.append(FieldError("username", "Select who is on duty"))
    elif not user.is_active_user:
        errors.append(FieldError("username", f"{user.display_name} cannot sign in: choose someone else"))
    elif role in DUTY_ROLES and role not in {r.role for r in user.roles}:
        errors.append(FieldError("username", f"{user.display_name} does not hold the role {role_label(role)}"))
    day = _day(form, errors)
    start, end = _time(form, "start_time", "start", errors), _time(form, "end_time", "end", errors)
    if errors or user is None or day is None or start is None or end is None:
        raise ValidationFailed(errors)
    starts_at = datetime.combine(day, start, LONDON)
    ends_at = datetime.combine(day + timedelta(days=1) if end <= start else day, end, LONDON)
    return ShiftAnswers(role, user, starts_at, ends_at)


def _day(form: dict[str, str], errors: list[FieldError]) -> date | None:
    parts = [(form.get(f"date-{p}") or "").strip() for p in ("day", "month", "year")]
    if not all(parts):
        errors.append(FieldError("date", "Enter the day the shift starts", anchor="date-day"))
        return None
    try:
        return date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        errors.append(FieldError("date", "The day the shift starts must be a real date", anchor="date-day"))
        return None


def _time(form: dict[str, str], name: str, what: str, errors: list[FieldError]) -> time | None:
    match = _TIME.fullmatch((form.get(name) or "").strip())
    if match is None:
        errors.append(FieldError(name, f"Enter the {what} time as hours and minutes, like 09:00 or 17:30"))
        return None
    return time(int(match.group(1)), int(match.group(2)))


def _check(session: Session, answers: ShiftAnswers, ignore: int | None = None) -> None:
    if answers.ends_at - answers.starts_at > LONGEST_SHIFT:
        raise ValidationFailed([FieldError("end_time", "A shift can be at most 24 hours")])
    clash = overlapping(session, answers.role, answers.starts_at, answers.ends_at, ignore)
    if clash is not None:
        who = session.get_one(User, clash.user_id).display_name
        raise ValidationFailed([FieldError(
            "start_time", f"This overlaps {who}'s {role_label(clash.role)} shift from "
                          f"{london(clash.starts_at)} to {london(clash.ends_at)}: one person is on duty for a "
                          "role at a time. Change or remove that shift first")])


def add_shift(session: Session, form: dict[str, str], actor: Actor) -> DutyShift:
    answers = read_shift(session, form)
    _check(session, answers)
    shift = DutyShift(role=answers.role, user_id=answers.user.id, starts_at=answers.starts_at,
                      ends_at=answers.ends_at, changed_by=actor.username, changed_at=now())
    session.add(shift)
    session.flush()
    record(session, actor, "rota.shift-added", details=_facts(shift))
    return shift


def change_shift(session: Session, shift_id: int, form: dict[str, str], actor: Actor) -> DutyShift:
    shift = _shift(session, shift_id)
    answers = read_shift(session, form)
    _check(session, answers, ignore=shift.id)
    shift.role, shift.user_id = answers.role, answers.user.id
    shift.starts_at, shift.ends_at = answers.starts_at, answers.ends_at
    shift.changed_by, shift.changed_at = actor.username, now()
    record(session, actor, "rota.shift-changed", details=_facts(shift))
    return shift


def remove_shift(session: Session, shift_id: int, actor: Actor) -> None:
    shift = _shift(session, shift_id)
    facts = _facts(shift)
    session.delete(shift)
    record(session, actor, "rota.shift-removed", details=facts)


def forget_past_shifts(session: Session, cutoff: datetime, actor: Actor) -> int:
    """Remove shifts that ended before ``cutoff`` (staff data kept no longer than the rota needs it); how many.
    An escalation made in one keeps its record; its link to the shift is cleared."""
    old = list(session.scalars(select(DutyShift).where(DutyShift.ends_at < cutoff)))
    for shift in old:
        session.delete(shift)
    if old:
        record(session, actor, "retention.past-shifts-removed", details={"shifts": len(old)})
    return len(old)


def _shift(session: Session, shift_id: int) -> DutyShift:
    shift = session.get(DutyShift, shift_id)
    if shift is None:
        raise NotFound("There is no such shift on the rota.")
    return shift


def _facts(shift: DutyShift) -> dict:
    """Ids and times only: the audit trail carries no names."""
    return {"shift_id": shift.id, "role": shift.role, "user_id": shift.user_id,
            "starts_at": shift.starts_at.isoformat(), "ends_at": shift.ends_at.isoformat()}
