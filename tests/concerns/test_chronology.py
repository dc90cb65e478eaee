"""Person, household and case chronologies over hand-made contacts."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event

from app.cases.models import ReferrerFeedback, StrategyDiscussion
from app.concerns.chronology import case_chronology, household_chronology, person_chronology
from tests.concerns.builders import T0, agency_return, contact, days, merge, person, relate

H = timedelta(hours=1)

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


def history(session):
    """Ava (with a record merged into her), her sister Sam, her mother Mia, and a stranger."""
    ava, ava_again, sam, mia, stranger = (person(session, n) for n in ("Ava", "Ava", "Sam", "Mia", "Zed"))
    merge(session, ava_again, ava)
    relate(session, sam, ava, "sibling")
    first = contact(session, ava, T0, "2A", rag="green", outcome="nfa",
                    concern="Ava came to school hungry three days running.\nShe said mum was asleep.")
    agency_return(session, first, "police", at=T0 + 2 * H, findings="Domestic incident at the address in May.",
                  restriction="hub-only")
    agency_return(session, first, "health", at=T0 + 3 * H, nothing_known=True)
    first.closed_at, first.closure = T0 + 6 * H, "end_closed"
    session.add(ReferrerFeedback(case_id=first.id, method="email", summary="Told", recipients=[], sent_by="x",
                                 sent_at=T0 + 5 * H + timedelta(minutes=30)))
    sister = contact(session, sam, T0 + days(10), "3A", organisation=None)
    second = contact(session, [ava_again, mia], T0 + days(20), "6", rag="red", outcome="strategy-discussion",
                     roles=["child", "parent"], organisation="Met Police")
    session.add(StrategyDiscussion(case_id=second.id, held_on=date(2026, 3, 23), attendees=["police"], summary="s",
                                   strategy_outcome="s47-joint", recorded_by="x", recorded_at=T0 + days(21)))
    contact(session, stranger, T0 + days(5), "6")
    gone = contact(session, ava, T0 - days(3000), "6", anonymised=True)
    later = contact(session, ava, T0 + days(40), "2A")
    session.flush()
    return {"ava": ava, "ava_again": ava_again, "sam": sam, "mia": mia, "first": first, "sister": sister,
            "second": second, "gone": gone, "later": later}


@BOTH
def test_a_person_chronology_is_every_contact_of_the_cluster_with_its_events_oldest_first(db):
    with db.unit_of_work() as session:
        h = history(session)
        entries = person_chronology(session, h["ava_again"])  # any record of the cluster gives the same
        assert [(e.kind, e.case_id, e.agency, e.restricted, e.person_id) for e in entries] == [
            ("contact", h["gone"].id, None, False, h["ava"]),
            ("contact", h["first"].id, "education", False, h["ava"]),
            ("rag", h["first"].id, None, False, h["ava"]),
            ("agency-return", h["first"].id, "police", True, h["ava"]),
            ("agency-return", h["first"].id, "health", False, h["ava"]),
            ("decision", h["first"].id, None, False, h["ava"]),
            ("feedback", h["first"].id, None, False, h["ava"]),
            ("closed", h["first"].id, None, False, h["ava"]),
            ("contact", h["second"].id, "police", False, h["ava"]),
            ("rag", h["second"].id, None, False, h["ava"]),
            ("decision", h["second"].id, None, False, h["ava"]),
            ("strategy-discussion", h["second"].id, None, False, h["ava"]),
            ("contact", h["later"].id, "education", False, h["ava"]),
        ]
        summaries = [e.summary for e in entries]
        assert summaries[:9] == [
            "Contact (anonymised)",
            "Contact by online form from Schools (Hillside Primary): Ava came to school hungry three days running.",
            "Rated Green at screening: On the contact.",
            "Police: information shared – Domestic incident at the address in May.",
            "Health: nothing known",
            "Decision: No further action",
            "Feedback to the referrer by email",
            "Contact closed",
            "Contact by online form from Police (Met Police): Child seems withdrawn.",
        ]
        assert summaries[11] == "Strategy discussion held 23 Mar 2026: Section 47 enquiry (joint with police)"
        assert [e.case_id for e in person_chronology(session, h["ava"], since=T0 + days(20))] == [h["second"].id] * 4 \
            + [h["later"].id]
        assert entries[1].as_json()["at"] == "2026-03-02T10:00:00+00:00"


def test_a_household_chronology_adds_siblings_and_the_people_on_the_same_contacts(db):
    with db.unit_of_work() as session:
        h = history(session)
        contacts = [(e.case_id, e.person_id) for e in household_chronology(session, h["ava"]) if e.kind == "contact"]
        assert contacts == [(h["gone"].id, h["ava"]), (h["first"].id, h["ava"]), (h["sister"].id, h["sam"]),
                            (h["second"].id, h["ava"]), (h["later"].id, h["ava"])]
        # One step out only: from Sam, Ava is household (a sibling) but Ava's mother Mia is not a subject of any
        # of Sam's contacts nor related to Sam, so Mia's own contacts would not be there; Ava's are, as Ava's.
        from_sam = [(e.case_id, e.person_id) for e in household_chronology(session, h["sam"]) if e.kind == "contact"]
        assert from_sam == [(h["gone"].id, h["ava"]), (h["first"].id, h["ava"]), (h["sister"].id, h["sam"]),
                            (h["second"].id, h["ava"]), (h["later"].id, h["ava"])]
        # From Mia: Ava is on Mia's contact, so Ava's contacts come in; the shared contact is Mia's; Sam is not.
        from_mia = [(e.case_id, e.person_id) for e in household_chronology(session, h["mia"]) if e.kind == "contact"]
        assert from_mia == [(h["gone"].id, h["ava"]), (h["first"].id, h["ava"]), (h["second"].id, h["mia"]),
                            (h["later"].id, h["ava"])]


def test_a_case_chronology_stops_at_the_case_and_covers_every_subject(db):
    with db.unit_of_work() as session:
        h = history(session)
        entries = case_chronology(session, h["second"].id)
        assert {e.case_id for e in entries} == {h["gone"].id, h["first"].id, h["second"].id}
        assert all(e.person_id == h["ava"] for e in entries)  # the first subject, where both are on a contact
        assert case_chronology(session, 999999) == []


def test_a_chronology_reads_in_a_fixed_number_of_queries(db):
    with db.unit_of_work() as session:
        h = history(session)
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(session.bind, "before_cursor_execute", listener)
        try:
            session.expire_all()
            person_chronology(session, h["ava"])
            few = len(statements)
            for n in range(15):
                contact(session, h["ava"], T0 + days(50 + n), "6", rag="amber")
            session.expire_all()
            statements.clear()
            person_chronology(session, h["ava"])
        finally:
            event.remove(session.bind, "before_cursor_execute", listener)
        assert len(statements) == few
