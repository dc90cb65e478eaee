"""Rows as intake, screening and the decision write them, made directly (walking the BPMN is slow)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from sqlalchemy import select

from app.auth.models import User
from app.cases.models import AgencyReturn, Case, RagChange, Subject
from app.intake.models import Contact
from app.people.models import Person, PersonRelationship, SubjectMatch
from app.process_models.models import ProcessVersion

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
_refs = count(1)


def days(n: float) -> timedelta:
    return timedelta(days=n)


def person(session, given: str = "Ava", family: str = "Smith") -> int:
    row = Person(given_name=given, family_name=family, created_at=T0)
    session.add(row)
    session.flush()
    return row.id


def contact(session, people: list[int] | int, at: datetime, source: str = "2A", *, outcome: str | None = None,
            rag: str | None = None, roles: list[str] | None = None, concern: str = "Child seems withdrawn.",
            organisation: str | None = "Hillside Primary", anonymised: bool = False) -> Case:
    """One contact about these person records (each a subject, role child unless given)."""
    people = [people] if isinstance(people, int) else people
    version = session.scalar(select(ProcessVersion.id).order_by(ProcessVersion.id).limit(1))
    case = Case(status="open", received_at=at, process_version_id=version, rag=rag, rag_initial=rag, outcome=outcome,
                decided_at=at + timedelta(hours=5) if outcome else None,
                anonymised_at=at + days(3000) if anonymised else None)
    for position, person_id in enumerate(people):
        role = (roles or [])[position] if roles and position < len(roles) else "child"
        case.subjects.append(Subject(position=position, role=role, given_name="Ava", family_name="Smith",
                                     person_id=person_id))
    session.add(case)
    session.flush()
    case.reference = f"MASH-T-{next(_refs):05d}"
    user = session.scalar(select(User.id).where(User.username == "referrer"))
    session.add(Contact(case_id=case.id, source=source, channel="web", referrer_name="Jo Teacher",
                        referrer_organisation=organisation, concern=concern, immediate_risk=False,
                        consent_status="given", created_by_id=user, received_at=at))
    if rag:
        session.add(RagChange(case_id=case.id, from_rag=None, to_rag=rag, rationale="On the contact.",
                              step="Screening", changed_by="mash-manager", changed_at=at + timedelta(hours=1)))
    session.flush()
    return case


def agency_return(session, case: Case, agency: str, *, at: datetime, nothing_known: bool = False,
                  findings: str | None = "Known to us since 2024.", restriction: str = "none") -> None:
    session.add(AgencyReturn(case_id=case.id, task_id=f"t-{case.id}-{agency}", agency=agency,
                             nothing_known=nothing_known, findings=None if nothing_known else findings,
                             handling_restriction=restriction, returned_by=agency, returned_at=at))
    session.flush()


def merge(session, record: int, into: int) -> None:
    session.get(Person, record).merged_into_id = into
    session.flush()


def propose(session, case: Case, position: int, person_id: int, status: str = "proposed") -> None:
    subject = next(s for s in case.subjects if s.position == position)
    session.add(SubjectMatch(subject_id=subject.id, person_id=person_id, score=0.9, reasons=["date of birth"],
                             status=status, created_at=T0))
    session.flush()


def relate(session, person_id: int, related: int, relationship: str) -> None:
    session.add(PersonRelationship(person_id=person_id, related_person_id=related, relationship=relationship,
                                   recorded_by="tests", recorded_at=T0))
    session.flush()
