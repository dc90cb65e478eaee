"""Which contacts `mash retention --dry-run` lists: closed with no further action, longer ago than the period,
and not held back (a retention hold, or a later contact about the same child)."""
from __future__ import annotations

from datetime import UTC, timedelta

from app.core.clock import clock, now
from app.core.db import get_db
from app.retention.policy import LATER_CONTACT, months_before, review_retention
from tests.retention.walks import (
    BARNABY,
    CORDELIA,
    DORIAN,
    EVANGELINE,
    T0,
    ZEPHYRINE,
    mash,
    report_about,
    walk_to_decision,
    walk_to_strategy_nfa,
)


def _reference(api, case_id: int) -> str:
    return api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()["reference"]


def test_the_dry_run_lists_only_no_further_action_contacts_closed_longer_ago_than_the_period(api, database_url,
                                                                                             tmp_path):
    clock.freeze(T0)
    nfa = walk_to_decision(api, ZEPHYRINE, "nfa")
    advice = walk_to_decision(api, BARNABY, "advice")
    strategy_nfa = walk_to_strategy_nfa(api, CORDELIA)
    still_open = report_about(api, DORIAN)
    clock.advance(timedelta(days=400))
    recent_nfa = walk_to_decision(api, EVANGELINE, "nfa")
    refs = {name: _reference(api, case_id) for name, case_id in [
        ("nfa", nfa), ("advice", advice), ("strategy", strategy_nfa), ("open", still_open), ("recent", recent_nfa)]}

    # 36 months (the default) after T0 plus a day: only the first NFA contact has been closed long enough.
    result = mash(database_url, tmp_path, "retention", "--dry-run", "--as-of", "2030-01-05")
    assert result.exit_code == 0, result.output
    assert refs["nfa"] in result.output
    assert "Would anonymise 1 contact(s)" in result.output
    for other in ("advice", "strategy", "open", "recent"):
        assert refs[other] not in result.output, other
    line = next(line for line in result.output.splitlines() if refs["nfa"] in line)
    assert "closed 2027-01-04" in line and "nfa" in line
    for person in (ZEPHYRINE, BARNABY, CORDELIA, DORIAN, EVANGELINE):
        assert not any(s in result.output for s in person.personal_strings())

    # A day short of the period: nothing yet.
    early = mash(database_url, tmp_path, "retention", "--dry-run", "--as-of", "2030-01-03")
    assert "Would anonymise 0 contact(s)" in early.output

    # The dry run changed nothing.
    case = api("mash-manager").get(f"/api/v1/cases/{nfa}").get_json()
    assert case["anonymised_at"] is None and case["subjects"][0]["given_name"] == ZEPHYRINE.given


def test_the_period_counts_from_the_clock_and_follows_the_setting(api, app):
    clock.freeze(T0)
    case_id = walk_to_decision(api, ZEPHYRINE, "nfa")
    db = get_db()
    clock.advance(timedelta(days=365 * 3 - 10))
    with db.unit_of_work(write=False) as session:
        assert review_retention(session, now(), 36).due == []
        assert [c.case_id for c in review_retention(session, now(), 12).due] == [case_id]
    clock.advance(timedelta(days=15))
    with db.unit_of_work(write=False) as session:
        assert [c.case_id for c in review_retention(session, now(), 36).due] == [case_id]


def test_a_later_contact_about_the_same_child_holds_the_earlier_one_back(api, database_url, tmp_path):
    clock.freeze(T0)
    first = walk_to_decision(api, ZEPHYRINE, "nfa")
    clock.advance(timedelta(days=800))
    # The same child, written differently: case, accents and spacing do not make a different person.
    response = api("referrer").post("/api/v1/contacts", json=ZEPHYRINE.contact(
        subjects=[{**ZEPHYRINE.subject, "given_name": " zéphyrine ", "family_name": "QUILLFEATHER"}]))
    assert response.status_code == 201
    result = mash(database_url, tmp_path, "retention", "--dry-run", "--as-of", "2030-01-05")
    assert "Would anonymise 0 contact(s)" in result.output
    assert "Held back 1 contact(s)" in result.output
    assert _reference(api, first) in result.output and "same person" in result.output
    with get_db().unit_of_work(write=False) as session:
        review = review_retention(session, T0 + timedelta(days=365 * 3 + 2), 36)
    assert [(c.case_id, c.held) for c in review.held] == [(first, LATER_CONTACT)]


def test_a_retention_hold_keeps_a_contact_until_it_is_lifted_and_both_are_audited(api, database_url, tmp_path):
    clock.freeze(T0)
    case_id = walk_to_decision(api, ZEPHYRINE, "nfa")
    reference = _reference(api, case_id)
    refused = mash(database_url, tmp_path, "retention-hold", reference, "--reason", "because I said so")
    assert refused.exit_code == 1 and "litigation" in refused.output
    held = mash(database_url, tmp_path, "retention-hold", reference, "--reason", "litigation")
    assert held.exit_code == 0, held.output
    clock.freeze(T0 + timedelta(days=365 * 4))
    run = mash(database_url, tmp_path, "retention")
    assert "Anonymised 0 contact(s)" in run.output
    assert reference in run.output and "Legal proceedings" in run.output
    assert mash(database_url, tmp_path, "retention-hold", reference, "--release").exit_code == 0
    run = mash(database_url, tmp_path, "retention")
    assert "Anonymised 1 contact(s)" in run.output
    from sqlalchemy import select

    from app.audit.models import AuditEvent
    with get_db().unit_of_work(write=False) as session:
        actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case_id,
                                                                      AuditEvent.action.like("retention.%"))
                                       .order_by(AuditEvent.id)))
    assert actions == ["retention.hold-placed", "retention.hold-released", "retention.anonymised"]


def test_a_future_date_only_previews(database_url, tmp_path, app):
    result = mash(database_url, tmp_path, "retention", "--as-of", "2999-01-01")
    assert result.exit_code == 2 and "--dry-run" in result.output


def test_months_are_calendar_months():
    from datetime import datetime
    at = datetime(2030, 3, 31, 12, tzinfo=UTC)
    assert months_before(at, 1) == datetime(2030, 2, 28, 12, tzinfo=UTC)
    assert months_before(at, 36) == datetime(2027, 3, 31, 12, tzinfo=UTC)
    assert months_before(datetime(2028, 2, 29, tzinfo=UTC), 12) == datetime(2027, 2, 28, tzinfo=UTC)
