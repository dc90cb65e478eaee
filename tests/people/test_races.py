"""Two screeners deciding about the same subject at the same moment: one decision stands, the other is told."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from app.cases.models import Subject
from app.core.errors import Conflict
from app.people.clusters import root_of
from app.people.models import PersonMerge, SubjectMatch
from app.people.operations import confirm_match, reject_match
from tests.conftest import wait_until_blocked_on_a_lock
from tests.people.flows import FAMILY, LATER, report
from tests.people.test_intake_and_decisions import SCREENER

POSTGRES = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def _proposals(db, case_id: int) -> list[SubjectMatch]:
    with db.unit_of_work(write=False) as session:
        return list(session.scalars(select(SubjectMatch).join(Subject, Subject.id == SubjectMatch.subject_id)
                                    .where(Subject.case_id == case_id).order_by(SubjectMatch.id)))


def _race(db, first_action, second_action):
    """Run ``first_action`` in an open transaction, start ``second_action`` in another, wait until the second is
    blocked on the first's row lock, then commit the first. Returns what the second raised (or None)."""
    outcome = {}

    def second():
        try:
            with db.unit_of_work() as session:
                second_action(session)
        except Exception as error:  # noqa: BLE001  (the test inspects it)
            outcome["error"] = error

    with db.unit_of_work() as session:
        first_action(session)
        racer = threading.Thread(target=second)
        racer.start()
        wait_until_blocked_on_a_lock(db, racer, outcome)
    racer.join(timeout=30)
    return outcome.get("error")


@POSTGRES
def test_confirm_and_reject_of_one_proposal_at_once_one_wins(api, db):
    report(api, *FAMILY)
    later = report(api, LATER)
    match = _proposals(db, later)[0]
    error = _race(db, lambda s: confirm_match(s, match.id, SCREENER), lambda s: reject_match(s, match.id, SCREENER))
    assert isinstance(error, Conflict) and "already decided this match (confirmed as the same person)" in error.message
    assert _proposals(db, later)[0].status == "confirmed"


@POSTGRES
def test_two_different_proposals_for_one_subject_confirmed_at_once_only_one_merge_stands(api, db):
    report(api, *FAMILY)
    report(api, LATER)
    later = report(api, LATER)  # proposed: the first contact's child and the second contact's
    a, b = _proposals(db, later)
    error = _race(db, lambda s: confirm_match(s, a.id, SCREENER), lambda s: confirm_match(s, b.id, SCREENER))
    assert isinstance(error, Conflict)
    with db.unit_of_work(write=False) as session:
        own = session.get(Subject, a.subject_id).person_id
        assert session.scalar(select(PersonMerge.into_person_id).where(PersonMerge.person_id == own)) == a.person_id
        assert root_of(session, own) == root_of(session, a.person_id)
        assert [m.status for m in session.scalars(select(SubjectMatch).where(SubjectMatch.subject_id == a.subject_id)
                                                  .order_by(SubjectMatch.id))] == ["confirmed", "rejected"]
