"""A missing episode closed after the return home interview, with no strategy discussion, is a contact the hub took
no further action on: `mash retention` anonymises it on the same clock as every other no-further-action contact
(MASH_RETENTION_NFA_MONTHS after closure), its episode row with it, leaving none of the child, their address, where
they were found or what they said anywhere in the database; before the period everything is kept. An episode that
led to a strategy discussion follows the longer child protection schedule and is never picked."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.cases.models import Case
from app.core.clock import clock
from app.core.db import get_db
from app.missing.models import MissingEpisode
from app.retention.policy import review_retention
from tests.missing.notifications import interview, missing_person, offer
from tests.missing.test_pathway import COORDINATOR, complete, notify
from tests.retention.test_anonymise import database_text, survivors
from tests.retention.walks import mash

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
NOTIFIED = datetime(2027, 2, 9, 9, 0, tzinfo=UTC)
CHILD = {"given_name": "Peregrina", "family_name": "Ashcombe", "date_of_birth": "2011-07-19",
         "nhs_number": "4010232137", "address": "31 Foxglove Terrace, Northtown"}
PERSONAL = ["Peregrina", "Ashcombe", "2011-07-19", "4010232137", "31 Foxglove Terrace", "Behind the Foxglove depot",
            "MP/PA/4471", "PC Hester Vane", "Peregrina stayed out", "Jo Reid", "Arguments at home about curfew",
            "Older friends who give her vapes"]


def _closed_episode(api) -> int:
    body = missing_person(NOTIFIED - timedelta(hours=10), child=CHILD, risk="low",
                          returned=NOTIFIED - timedelta(hours=2), police_reference="MP/PA/4471",
                          officer_name="PC Hester Vane", circumstances="Peregrina stayed out overnight.")
    body["found_where"] = "Behind the Foxglove depot"
    case_id = notify(api, body)
    complete(api, COORDINATOR, case_id, "offer", offer(accepted=True))
    closed = complete(api, COORDINATOR, case_id, "interview", interview("2027-02-10"))
    assert closed["status"] == "closed"
    return case_id


@BOTH
def test_a_closed_episode_is_anonymised_after_the_nfa_period_and_kept_before_it(api, database_url, tmp_path):
    clock.freeze(NOTIFIED)
    case_id = _closed_episode(api)
    assert survivors(PERSONAL, database_text()), "the scan must see the episode before anonymisation"

    clock.freeze(NOTIFIED + timedelta(days=365 * 3 - 5))  # closed less than 36 months ago: kept whole
    result = mash(database_url, tmp_path, "retention")
    assert result.exit_code == 0 and "Anonymised 0 contact(s)" in result.output, result.output
    assert sorted({s for _table, s in survivors(PERSONAL, database_text())}) == sorted(PERSONAL)

    clock.freeze(NOTIFIED + timedelta(days=365 * 3 + 5))
    dry = mash(database_url, tmp_path, "retention", "--dry-run")
    assert "Would anonymise 1 contact(s)" in dry.output and "missing-episode" in dry.output, dry.output
    result = mash(database_url, tmp_path, "retention")
    assert result.exit_code == 0 and "Anonymised 1 contact(s)" in result.output, result.output
    assert "missing episodes (1)" in result.output
    assert survivors(PERSONAL, database_text(skip=("audit_event",))) == []
    assert survivors(PERSONAL, {"audit_event": database_text()["audit_event"]}) == []
    with get_db().unit_of_work(write=False) as session:
        assert session.get_one(Case, case_id).anonymised_at is not None
        kept = session.scalar(select(MissingEpisode).where(MissingEpisode.case_id == case_id))
        # The MI's facts stay: the risk grading, the dates, the interview's progress and its indicator codes.
        assert (kept.risk_grading, kept.interview_offered, kept.interview_held, kept.exploitation_indicators,
                kept.person_id) == ("low", True, True, ["cce", "county-lines"], None)
    assert "Anonymised 0 contact(s)" in mash(database_url, tmp_path, "retention").output  # once only


def test_an_episode_that_went_to_a_strategy_discussion_is_not_picked(api):
    clock.freeze(NOTIFIED)
    case_id = _closed_episode(api)
    with get_db().unit_of_work() as session:
        session.scalar(select(MissingEpisode).where(MissingEpisode.case_id == case_id)).strategy_decision = (
            "strategy-discussion")
    with get_db().unit_of_work(write=False) as session:
        review = review_retention(session, NOTIFIED + timedelta(days=365 * 4), 36)
        assert [c.case_id for c in review.due + review.held] == []
