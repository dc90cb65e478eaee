"""Repeat-concern flags against hand-computed histories (default rules from processes/repeat-concerns.toml)."""
from __future__ import annotations

import pytest

from app.concerns.repeats import prior_contacts, repeat_flags
from app.concerns.rules import RepeatRule
from tests.concerns.builders import T0, contact, days, merge, person, propose

MULTI = "multi-agency-90-days"
REREFERRAL = "re-referral-12-months"

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


def rules_fired(session, case) -> list[tuple[str, int, bool]]:
    return [(f.rule_id, f.subject_position, f.possible) for f in repeat_flags(session, case)]


def test_three_contacts_from_two_agencies_within_90_days_flag(db):
    with db.unit_of_work() as session:
        ava = person(session)
        first = contact(session, ava, T0, "2A")
        second = contact(session, ava, T0 + days(40), "6")
        now = contact(session, ava, T0 + days(89), "2A")
        flags = repeat_flags(session, now)
        assert [(f.rule_id, f.person_id, f.subject_position) for f in flags] == [(MULTI, ava, 0)]
        assert [c.case_id for c in flags[0].contacts] == [first.id, second.id, now.id]
        assert [c.agency for c in flags[0].contacts] == ["education", "police", "education"]
        assert flags[0].explanation == ("3 contacts in the 90 days to 30 May 2026, this one included, "
                                        "from 2 agencies (education, police).")


def test_three_contacts_from_one_agency_do_not_flag(db):
    with db.unit_of_work() as session:
        ava = person(session)
        contact(session, ava, T0, "2A")
        contact(session, ava, T0 + days(10), "2B")  # education services: the same agency as a school
        assert rules_fired(session, contact(session, ava, T0 + days(20), "2A")) == []


def test_two_contacts_do_not_flag(db):
    with db.unit_of_work() as session:
        ava = person(session)
        contact(session, ava, T0, "6")
        assert rules_fired(session, contact(session, ava, T0 + days(20), "2A")) == []


def test_contacts_spread_over_100_days_do_not_flag(db):
    with db.unit_of_work() as session:
        ava = person(session)
        contact(session, ava, T0, "6")
        contact(session, ava, T0 + days(50), "3A")
        assert rules_fired(session, contact(session, ava, T0 + days(100), "2A")) == []


def test_later_contacts_do_not_count_for_an_earlier_one(db):
    with db.unit_of_work() as session:
        ava = person(session)
        contact(session, ava, T0, "6")
        earlier = contact(session, ava, T0 + days(5), "3A")
        contact(session, ava, T0 + days(10), "2A")
        assert rules_fired(session, earlier) == []


def test_public_sources_count_as_one_agency_or_none_as_the_rule_says(db):
    with db.unit_of_work() as session:
        ava = person(session)
        contact(session, ava, T0, "1A")  # a relative
        contact(session, ava, T0 + days(1), "9")  # anonymous: the public again
        now = contact(session, ava, T0 + days(2), "1B")
        assert rules_fired(session, now) == []  # three contacts, one "agency": the public
        contact(session, ava, T0 + days(3), "6")
        latest = contact(session, ava, T0 + days(4), "1C")
        flags = repeat_flags(session, latest)
        assert "members of the public, police" in flags[0].explanation
        strict = RepeatRule(id="strict", kind="contacts", label="Strict", window_days=90, min_contacts=3,
                            min_agencies=2, public="not-an-agency")
        assert repeat_flags(session, latest, (strict,)) == []


def test_rereferral_within_12_months_flags_and_after_13_months_does_not(db):
    with db.unit_of_work() as session:
        ava, ben = person(session), person(session, "Ben")
        earlier = contact(session, ava, T0, "2A", outcome="s17-assessment")
        contact(session, ava, T0 + days(100), "2A", outcome="nfa")  # not a referral: does not count
        now = contact(session, ava, T0 + days(364), "6")
        flags = repeat_flags(session, now)
        assert [(f.rule_id, [c.case_id for c in f.contacts]) for f in flags] == [(REREFERRAL, [earlier.id])]
        assert flags[0].explanation == (f"Contact {earlier.reference}, received 2 Mar 2026 (364 days before this "
                                        "one), became a referral: Child and family (section 17) assessment.")
        contact(session, ben, T0, "2A", outcome="strategy-discussion")
        assert rules_fired(session, contact(session, ben, T0 + days(396), "6")) == []


def test_rereferral_rule_checks_children_only(db):
    with db.unit_of_work() as session:
        mum = person(session, "Mia")
        contact(session, mum, T0, "2A", outcome="s17-assessment", roles=["parent"])
        assert rules_fired(session, contact(session, mum, T0 + days(30), "6", roles=["parent"])) == []


@BOTH
def test_a_merged_cluster_counts_every_record(db):
    with db.unit_of_work() as session:
        known, typo, other = person(session), person(session, "Eva"), person(session, "Ava", "Smyth")
        contact(session, known, T0, "2A")
        contact(session, typo, T0 + days(10), "6")
        now = contact(session, other, T0 + days(20), "3A")
        assert rules_fired(session, now) == []
        merge(session, typo, known)
        merge(session, other, typo)  # merged through another record
        flags = repeat_flags(session, now)
        assert [(f.rule_id, f.person_id, len(f.contacts)) for f in flags] == [(MULTI, known, 3)]


def test_proposed_matches_give_possible_flags_and_rejected_ones_nothing(db):
    with db.unit_of_work() as session:
        known, rejected = person(session), person(session, "Ava", "Other")
        contact(session, known, T0, "2A")
        contact(session, known, T0 + days(10), "6")
        contact(session, rejected, T0, "3A")
        contact(session, rejected, T0 + days(5), "6")
        fresh = person(session)
        now = contact(session, fresh, T0 + days(20), "3A")
        propose(session, now, 0, rejected, status="rejected")
        assert rules_fired(session, now) == []
        propose(session, now, 0, known)
        flags = repeat_flags(session, now)
        assert [(f.rule_id, f.possible, f.proposed_person_id, f.person_id) for f in flags] == [
            (MULTI, True, known, fresh)]
        assert flags[0].explanation.startswith("If the proposed match is confirmed: 3 contacts")
        [history] = prior_contacts(session, now)
        assert history.recent == []
        assert [c.case_id for c in history.recent_proposed[known]] == [c.case_id for c in flags[0].contacts[:2]]


def test_prior_contacts_cover_12_calendar_months_and_leave_out_anonymised_ones(db):
    with db.unit_of_work() as session:
        ava, sibling = person(session), person(session, "Sam")
        contact(session, ava, T0 - days(400), "6")
        old_but_in = contact(session, ava, T0 - days(365), "2A", rag="green", outcome="nfa")  # 2 Mar 2025
        contact(session, ava, T0 - days(30), "6", anonymised=True)
        now = contact(session, [ava, sibling], T0, "3A")
        ava_history, sibling_history = prior_contacts(session, now)
        assert [(c.case_id, c.agency_label, c.rag, c.outcome_label) for c in ava_history.recent] == [
            (old_but_in.id, "Education", "green", "No further action")]
        assert sibling_history.recent == []
        assert [len(h.contacts) for h in (ava_history, sibling_history)] == [3, 1]
