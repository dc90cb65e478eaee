"""An agency releases its return to other agencies on the same case (the owner keeps the duty of care for its
information, so only the owner releases), and withdraws a release its receiver has not read yet."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import AgencyReturn, Case
from app.core.actor import Actor
from app.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from app.core.roles import AGENCIES, role_label
from app.need_to_know.involvement import involved_agencies
from app.need_to_know.models import ReturnRelease
from app.need_to_know.sight import sight_of


def _owned_returns(session: Session, case_id: int, agency: str, actor: Actor, at: datetime) -> list[AgencyReturn]:
    if session.get(Case, case_id) is None:
        raise NotFound("There is no case with this id.")
    sight_of(session, actor, case_id, at)  # a reader who may not see the case learns nothing more here
    if agency not in AGENCIES or agency not in actor.roles:
        raise Forbidden("Only the agency that made a return may release it.")
    returns = list(session.scalars(select(AgencyReturn).where(AgencyReturn.case_id == case_id,
                                                              AgencyReturn.agency == agency)))
    if not returns:
        raise NotFound(f"{role_label(agency)} has not returned on this case yet.")
    return returns


def release_return(session: Session, case_id: int, agency: str, to: list[str], actor: Actor,
                   at: datetime) -> list[ReturnRelease]:
    """Release the agency's return(s) on the case to the named agencies involved in it. Releasing again to an
    agency that already holds a standing release changes nothing."""
    returns = _owned_returns(session, case_id, agency, actor, at)
    involved = involved_agencies(session, case_id)
    wanted = list(dict.fromkeys(to))
    if not wanted:
        raise ValidationFailed([FieldError("to", "Select the agencies to release this return to")])
    errors = [FieldError("to", f"{code} is not an agency") for code in wanted if code not in AGENCIES]
    errors += [FieldError("to", f"{role_label(code)} made this return") for code in wanted if code == agency]
    errors += [FieldError("to", f"{role_label(code)} is not involved in this case")
               for code in wanted if code in AGENCIES and code != agency and code not in involved]
    if errors:
        raise ValidationFailed(errors)
    made = []
    for ret in returns:
        standing = set(session.scalars(select(ReturnRelease.to_agency).where(
            ReturnRelease.return_id == ret.id, ReturnRelease.withdrawn_at.is_(None))))
        for code in wanted:
            if code in standing:
                continue
            release = ReturnRelease(case_id=case_id, return_id=ret.id, from_agency=agency, to_agency=code,
                                    released_by=actor.username, released_at=at)
            session.add(release)
            made.append(release)
    session.flush()
    if made:
        record(session, actor, "agency-return.released", case_id=case_id,
               summary=f"{role_label(agency)} return released to "
                       + ", ".join(role_label(code) for code in dict.fromkeys(r.to_agency for r in made)),
               details={"agency": agency, "to": sorted({r.to_agency for r in made}),
                        "releases": [r.id for r in made]})
    return made


def withdraw_release(session: Session, case_id: int, agency: str, to_agency: str, actor: Actor,
                     at: datetime) -> list[ReturnRelease]:
    """Withdraw the standing release to ``to_agency``: refused once the receiving agency has read it."""
    returns = _owned_returns(session, case_id, agency, actor, at)
    standing = list(session.scalars(select(ReturnRelease).where(
        ReturnRelease.return_id.in_([r.id for r in returns]), ReturnRelease.to_agency == to_agency,
        ReturnRelease.withdrawn_at.is_(None))))
    if not standing:
        raise NotFound(f"The return is not released to {role_label(to_agency)}.")
    if any(r.read_at is not None for r in standing):
        raise Conflict(f"{role_label(to_agency)} has already read this return, so the release cannot be "
                       "taken back. Talk to them if it should not be used.")
    for release in standing:
        release.withdrawn_at, release.withdrawn_by = at, actor.username
    record(session, actor, "agency-return.release-withdrawn", case_id=case_id,
           summary=f"{role_label(agency)} return no longer released to {role_label(to_agency)}",
           details={"agency": agency, "to": to_agency, "releases": [r.id for r in standing]})
    return standing
