"""Twelve contacts received between 1 November 2026 and 28 February 2027, plus three earlier referrals, written
as rows the way the process writes them, so every report figure can be counted by hand (tests/reports/test_figures.py).

All times are UTC, which is London time all winter (British Summer Time ends 25 October 2026). Bank holidays in
range: 25 and 28 December 2026, 1 January 2027; no contact touches them. The hub's default calendar: 09:00–17:30
Monday to Friday. Default SLA policies: Red 4 hours day and night; Amber 1 working day and Green 3 working days,
both ending at close of business (17:30).

    contact source channel received           RAG before>after  outcome               decided            hours  working
    C1      6      web     Mon 11 Jan 10:00   red>red           strategy-discussion   Mon 11 Jan 12:00    2      2
    C2      6      api     Tue 12 Jan 20:00   red>red           s17-assessment        Wed 13 Jan 01:00    5      0
    C3      2A     web     Mon 18 Jan 09:00   amber>amber       nfa                   Tue 19 Jan 15:00   30     14.5
    C4      2A     web     Wed 20 Jan 14:00   amber>red         strategy-discussion   Wed 20 Jan 17:00    3      3
    C5      3A     web     Thu 21 Jan 11:00   green>green       early-help            Tue 26 Jan 10:00  119     24.5
    C6      3A     api     Mon 25 Jan 16:00   amber>green       nfa                   Thu 28 Jan 16:00   72     25.5
    C7      6      web     Mon  1 Feb 10:00   green>green       nfa                   Fri  5 Feb 12:00   98     36
    C8      1A     web     Tue  2 Feb 10:00   blue>blue         (none: closed after feedback)
    C9      6      web     Wed  3 Feb 09:30   amber>amber       (still open, undecided)
    C10     2A     web     Mon  8 Feb 10:00   (not screened)    closed: passed to the allocated worker of an open case
    C11     6      api     Tue  9 Feb 10:00   red>red           s17-assessment        Tue  9 Feb 13:00    3      3
    C12     3A     web     Mon 23 Nov 10:00   amber>amber       s17-assessment        Tue 24 Nov 10:00   24      8.5

Earlier referrals (before the period, any source): E0 (2 Mar 2026, s17, child X), E_old (1 Oct 2025, strategy,
child X: more than 12 months before C12), E1 (1 Dec 2025, s17, child P2: read with the period's 12 months before, but
more than 12 months before C2 and C11), E2 (1 Jun 2026, s17, child P2b). Children: C2 is person P2; P2b was merged
into P2 and P11 into P2b, so C2, C11 (P11) and E2 (P2b) are one child. C12 and E0/E_old are child X. C1 is child Y;
C4's child has no person record (only ever itself).
"""
from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.cases.models import AgencyReturn, Case, StrategyDiscussion, Subject
from app.inbox.models import OpenTask
from app.intake.models import Contact
from app.people.models import Person
from app.process_models.registry import latest_version

PERIOD = {"from": "2026-11-01", "to": "2027-02-28"}
#: When the report is read (the clock): every due time in the fixture but one has passed.
AT = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2027) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _person(session: Session, name: str, merged_into: Person | None = None) -> Person:
    person = Person(given_name=name, family_name="Fictional", created_at=at(1, 1, 9, year=2025),
                    merged_into_id=merged_into.id if merged_into else None)
    session.add(person)
    session.flush()
    return person


def _contact(session: Session, user_id: int, version_id: int, name: str, *, source: str, channel: str = "web",
             received: datetime, rag: tuple[str | None, str | None] = (None, None), outcome: str | None = None,
             decided: datetime | None = None, status: str = "closed", closure: str | None = "end_closed",
             factors: list[str] | None = None, child: Person | None = None, born: date | None = None,
             gender: str | None = None) -> Case:
    case = Case(status=status, closure=closure if status == "closed" else None, rag_initial=rag[0], rag=rag[1],
                outcome=outcome, received_at=received, decided_at=decided,
                decided_by="mash-manager" if decided else None,
                process_version_id=version_id, presenting_factors=factors, current_step="")
    case.subjects.append(Subject(position=0, role="child", given_name=name, family_name="Fictional",
                                 date_of_birth=born, gender=gender, person_id=child.id if child else None))
    case.subjects.append(Subject(position=1, role="parent", given_name="Parent", family_name="Fictional",
                                 date_of_birth=date(1990, 1, 1), gender="1"))
    session.add(case)
    session.flush()
    case.reference = f"MASH-TEST-{name}"
    session.add(Contact(case_id=case.id, source=source, channel=channel, referrer_name="Referrer", concern="Concern.",
                        immediate_risk=False, consent_status="given", created_by_id=user_id, received_at=received))
    return case


def _returned(session: Session, case: Case, agency: str, requested: datetime, due: datetime,
              returned: datetime) -> None:
    session.add(AgencyReturn(case_id=case.id, task_id=f"{case.id}-{agency}", agency=agency, nothing_known=True,
                             handling_restriction="none", requested_at=requested, due_at=due, returned_by=agency,
                             returned_at=returned))


def _waiting(session: Session, case: Case, agency: str, requested: datetime, due: datetime) -> None:
    session.add(OpenTask(task_id=f"{case.id}-{agency}", case_id=case.id, process_id="referral",
                         bpmn_id=f"{agency}_check", name=f"Check {agency} records", role=agency,
                         form_key="agency_check", due_at=due, created_at=requested))


def _discussion(session: Session, case: Case, outcome: str, held: datetime) -> None:
    session.add(StrategyDiscussion(case_id=case.id, held_on=held.date(), attendees=["police"], summary="Held.",
                                   strategy_outcome=outcome, recorded_by="social-worker", recorded_at=held))


def build(session: Session) -> dict[str, int]:
    """Write the fixture; returns each contact's case id by name."""
    user_id = session.scalar(select(User.id).where(User.username == "referrer"))
    version_id = latest_version(session).id
    p2 = _person(session, "P2")
    p2b = _person(session, "P2b", merged_into=p2)
    p11 = _person(session, "P11", merged_into=p2b)
    x, y = _person(session, "X"), _person(session, "Y")

    def contact(name: str, **kwargs) -> Case:
        return _contact(session, user_id, version_id, name, **kwargs)

    cases = {
        "E_old": contact("E_old", source="6", received=at(10, 1, 10, year=2025), rag=("red", "red"),
                         outcome="strategy-discussion", decided=at(10, 1, 12, year=2025), child=x),
        "E0": contact("E0", source="2A", received=at(3, 2, 10, year=2026), rag=("amber", "amber"),
                      outcome="s17-assessment", decided=at(3, 3, 10, year=2026), child=x),
        "E1": contact("E1", source="6", received=at(12, 1, 10, year=2025), rag=("amber", "amber"),
                      outcome="s17-assessment", decided=at(12, 2, 10, year=2025), child=p2),
        "E2": contact("E2", source="3A", received=at(6, 1, 10, year=2026), rag=("green", "green"),
                      outcome="s17-assessment", decided=at(6, 2, 10, year=2026), child=p2b),
        "C1": contact("C1", source="6", received=at(1, 11, 10), rag=("red", "red"), outcome="strategy-discussion",
                      decided=at(1, 11, 12), child=y, factors=["3A", "18C"]),
        "C2": contact("C2", source="6", channel="api", received=at(1, 12, 20), rag=("red", "red"),
                      outcome="s17-assessment", decided=at(1, 13, 1), child=p2, factors=["3B"]),
        "C3": contact("C3", source="2A", received=at(1, 18, 9), rag=("amber", "amber"), outcome="nfa",
                      decided=at(1, 19, 15), factors=["16A"]),
        "C4": contact("C4", source="2A", received=at(1, 20, 14), rag=("amber", "red"), outcome="strategy-discussion",
                      decided=at(1, 20, 17), factors=["19C"]),
        "C5": contact("C5", source="3A", received=at(1, 21, 11), rag=("green", "green"), outcome="early-help",
                      decided=at(1, 26, 10), factors=["4B"]),
        "C6": contact("C6", source="3A", channel="api", received=at(1, 25, 16), rag=("amber", "green"),
                      outcome="nfa", decided=at(1, 28, 16), factors=["16A"]),
        "C7": contact("C7", source="6", received=at(2, 1, 10), rag=("green", "green"), outcome="nfa",
                      decided=at(2, 5, 12), factors=["3B"]),
        "C8": contact("C8", source="1A", received=at(2, 2, 10), rag=("blue", "blue"), factors=["21"]),
        "C9": contact("C9", source="6", received=at(2, 3, 9, 30), rag=("amber", "amber"), status="open",
                      factors=["10A"]),
        "C10": contact("C10", source="2A", received=at(2, 8, 10), closure="end_passed_to_allocated_worker"),
        "C11": contact("C11", source="6", channel="api", received=at(2, 9, 10), rag=("red", "red"),
                       outcome="s17-assessment", decided=at(2, 9, 13), child=p11, factors=["3B", "18C"],
                       born=date(2015, 2, 10), gender="2"),
        "C12": contact("C12", source="3A", received=at(11, 23, 10, year=2026), rag=("amber", "amber"),
                       outcome="s17-assessment", decided=at(11, 24, 10, year=2026), child=x, factors=["6A"]),
    }
    c = cases
    _discussion(session, c["C1"], "s47-joint", at(1, 11, 15))
    _discussion(session, c["C4"], "nfa", at(1, 21, 11))
    _discussion(session, c["E_old"], "s47-single", at(10, 2, 10, year=2025))
    _returned(session, c["C1"], "police", at(1, 11, 10, 5), at(1, 11, 14), at(1, 11, 11, 5))
    _returned(session, c["C1"], "health", at(1, 11, 10, 5), at(1, 11, 14), at(1, 11, 15, 5))
    _returned(session, c["C3"], "police", at(1, 18, 9, 30), at(1, 19, 17, 30), at(1, 19, 9, 30))
    _returned(session, c["C3"], "education", at(1, 18, 9, 30), at(1, 19, 17, 30), at(1, 19, 18, 30))
    _returned(session, c["C5"], "health", at(1, 21, 11, 30), at(1, 26, 17, 30), at(1, 22, 11, 30))
    _returned(session, c["C7"], "police", at(2, 1, 10, 30), at(2, 4, 17, 30), at(2, 2, 10, 30))
    _waiting(session, c["C9"], "police", at(2, 3, 10), at(2, 4, 17, 30))
    _waiting(session, c["C9"], "education", at(2, 3, 10), at(3, 20, 17, 30))
    return {name: case.id for name, case in cases.items()}
