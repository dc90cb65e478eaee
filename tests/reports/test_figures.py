"""Every figure of the management information against the hand count of tests/reports/hand_counted.py.

The arithmetic is in the comments; the fixture's docstring has the table of contacts it starts from. The whole
check runs on SQLite and PostgreSQL, since the period and filter queries are SQL.
"""
from __future__ import annotations

from collections import Counter
from datetime import UTC, date

import pytest

from app.reports import figures
from app.reports.filters import read_filters
from app.reports.report import build_report
from tests.reports import hand_counted
from tests.reports.hand_counted import AT, PERIOD


def report_for(db, **extra):
    with db.unit_of_work() as session:
        names = hand_counted.build(session)
    filters, errors = read_filters({**PERIOD, **extra}, date(2027, 3, 15))
    assert errors == []
    with db.unit_of_work(write=False) as session:
        return build_report(session, filters, AT), names


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_every_figure_matches_the_hand_count(db):
    report, _ = report_for(db)

    # C1..C12 were received in the period; E0, E1, E2 and E_old before it.
    assert report.contacts == 12

    # Contacts by source and outcome. 1A: C8 (no outcome). 2A: C3 nfa, C4 strategy, C10 open case.
    # 3A: C5 early help, C6 nfa, C12 s17. 6: C1 strategy, C2 s17, C7 nfa, C9 (undecided), C11 s17.
    sources = report.sources
    assert list(sources.by_source) == ["1A", "2A", "3A", "6"]
    assert sources.by_source["1A"] == Counter({None: 1})
    assert sources.by_source["2A"] == Counter({"nfa": 1, "strategy-discussion": 1, "existing-open-case": 1})
    assert sources.by_source["3A"] == Counter({"early-help": 1, "nfa": 1, "s17-assessment": 1})
    assert sources.by_source["6"] == Counter({"strategy-discussion": 1, "s17-assessment": 2, "nfa": 1, None: 1})
    assert list(sources.by_agency) == ["individual", "education", "health", "police"]
    # Conversion, of all contacts from the agency. Police 5: nfa 1/5 = 20.0, early help 0, s17 2/5 = 40.0,
    # strategy 1/5 = 20.0. Education 3: nfa 1/3 = 33.3, strategy 1/3 = 33.3. Health 3: 1/3 each but strategy.
    assert [sources.conversion("police", o) for o in ("nfa", "early-help", "s17-assessment", "strategy-discussion")] \
        == [20.0, 0.0, 40.0, 20.0]
    assert [sources.conversion("education", o)
            for o in ("nfa", "early-help", "s17-assessment", "strategy-discussion")] == [33.3, 0.0, 0.0, 33.3]
    assert [sources.conversion("health", o) for o in ("nfa", "early-help", "s17-assessment", "strategy-discussion")] \
        == [33.3, 33.3, 33.3, 0.0]
    assert sources.conversion("individual", "nfa") == 0.0
    table = sources.table()
    assert table.total[-1] == 12 and table.rows[-1][0] == "6" and table.rows[-1][-1] == 5

    # Time to decision by final RAG.
    red, amber, green, blue, everyone = report.timeliness
    assert [t.rag for t in report.timeliness] == ["red", "amber", "green", "blue", None]
    # Red: C1 2 h (due 14:00, in), C2 5 h (due 00:00, out), C4 3 h (due 18:00, in), C11 3 h (in).
    # Elapsed sorted 2, 3, 3, 5: median (3 + 3) / 2 = 3; p90 rank ceil(0.9 x 4) = 4 -> 5.
    # Working hours: C2 came at 20:00 and was decided at 01:00, before the hub opened: 0. Sorted 0, 2, 3, 3:
    # median (2 + 3) / 2 = 2.5, p90 3. Within 3 of 4 = 75.0%.
    assert (red.contacts, red.decided, red.median_hours, red.p90_hours) == (4, 4, 3.0, 5.0)
    assert (red.median_working_hours, red.p90_working_hours) == (2.5, 3.0)
    assert (red.measured, red.within, red.within_rate, red.timescale) == (4, 3, 75.0, "4 hours, day and night")
    # Amber: C3 30 h (due Tue 17:30, in), C12 24 h (in), C9 undecided and past due Thu 4 Feb 17:30 (out).
    # Elapsed 24, 30: median 27, p90 rank ceil(1.8) = 2 -> 30. Working: C3 Mon 8.5 + Tue 6 = 14.5; C12 Mon 7.5 + Tue 1
    # = 8.5: median 11.5, p90 14.5. Within 2 of 3 = 66.7%.
    assert (amber.contacts, amber.decided, amber.median_hours, amber.p90_hours) == (3, 2, 27.0, 30.0)
    assert (amber.median_working_hours, amber.p90_working_hours) == (11.5, 14.5)
    assert (amber.measured, amber.within, amber.within_rate) == (3, 2, 66.7)
    assert amber.timescale == "1 working day, by close of business"
    # Green: C5 119 h (due Tue 26 Jan 17:30, in), C6 72 h (due Thu 28 Jan 17:30, in), C7 98 h (due Thu 4 Feb, out).
    # Sorted 72, 98, 119: median 98, p90 rank ceil(2.7) = 3 -> 119. Working: C5 6.5 + 8.5 + 8.5 + 1 = 24.5;
    # C6 1.5 + 8.5 + 8.5 + 7 = 25.5; C7 7.5 + 8.5 x 3 + 3 = 36: median 25.5, p90 36. Within 2 of 3 = 66.7%.
    assert (green.contacts, green.decided, green.median_hours, green.p90_hours) == (3, 3, 98.0, 119.0)
    assert (green.median_working_hours, green.p90_working_hours) == (25.5, 36.0)
    assert (green.measured, green.within, green.within_rate) == (3, 2, 66.7)
    # Blue: C8, no timescale and no decision.
    assert (blue.contacts, blue.decided, blue.median_hours, blue.measured, blue.within_rate) == (1, 0, None, 0, None)
    assert blue.timescale == "No timescale"
    # All rated (C10 never was): 11 contacts, 9 decided. Elapsed sorted 2 3 3 5 24 30 72 98 119: median the 5th = 24,
    # p90 rank ceil(8.1) = 9 -> 119. Working sorted 0 2 3 3 8.5 14.5 24.5 25.5 36: median 8.5, p90 36.
    # Within 3 + 2 + 2 = 7 of 4 + 3 + 3 = 10 = 70.0%.
    assert (everyone.contacts, everyone.decided, everyone.median_hours, everyone.p90_hours) == (11, 9, 24.0, 119.0)
    assert (everyone.median_working_hours, everyone.p90_working_hours) == (8.5, 36.0)
    assert (everyone.measured, everyone.within, everyone.within_rate) == (10, 7, 70.0)

    # RAG before and after: 11 rated; C4 amber -> red escalated, C6 amber -> green de-escalated, 9 unchanged.
    # 1/11 = 9.1%, 1/11 = 9.1%.
    rag = report.rag
    assert rag.matrix == Counter({("red", "red"): 3, ("amber", "amber"): 3, ("amber", "red"): 1,
                                  ("amber", "green"): 1, ("green", "green"): 2, ("blue", "blue"): 1})
    assert (rag.rated, rag.escalated, rag.de_escalated, rag.unchanged) == (11, 1, 1, 9)
    assert (rag.escalation_rate, rag.de_escalation_rate) == (9.1, 9.1)
    assert rag.table().rows[1] == ("Amber", 1, 3, 1, 0, 5)  # amber row: to red 1, amber 3, green 1, blue 0

    # Agency responses (police, health, education in the hub's order).
    police, health, education = report.agencies
    # Police: C1 1 h, C3 24 h, C7 24 h returned on time; C9 outstanding, due 4 Feb: overdue.
    # Median of 1, 24, 24 = 24; p90 rank 3 -> 24. On time 3 of 3 returned + 1 overdue = 75.0%.
    assert (police.agency, police.requests, police.returned, police.median_hours, police.p90_hours) == \
        ("police", 4, 3, 24.0, 24.0)
    assert (police.on_time, police.late, police.outstanding, police.outstanding_overdue, police.on_time_rate) == \
        (3, 0, 1, 1, 75.0)
    # Health: C1 5 h (due 14:00, returned 15:05: late), C5 24 h on time. Median 14.5, p90 rank 2 -> 24. 1/2 = 50.0%.
    assert (health.requests, health.returned, health.median_hours, health.p90_hours) == (2, 2, 14.5, 24.0)
    assert (health.on_time, health.late, health.outstanding, health.on_time_rate) == (1, 1, 0, 50.0)
    # Education: C3 33 h, late; C9 outstanding but not due until 20 March. 0 of 1 = 0.0%.
    assert (education.requests, education.returned, education.median_hours, education.p90_hours) == (2, 1, 33.0, 33.0)
    assert (education.on_time, education.late, education.outstanding, education.outstanding_overdue,
            education.on_time_rate) == (0, 1, 1, 0, 0.0)

    # Re-referrals. Referrals in the period: C1, C2, C4, C11, C12 = 5.
    # C2 (12 Jan 2027): E2 (1 Jun 2026) was about P2b, merged into P2: 1 previous. E1 (1 Dec 2025, P2) is more
    # than 12 months before C2 (12 Jan 2026 is the limit).
    # C11 (9 Feb 2027): P11 -> P2b -> P2, so C2 and E2: 2 previous (E1 again too early).
    # C12 (23 Nov 2026): E0 (2 Mar 2026) about X: 1; E_old (1 Oct 2025) is more than 12 months before.
    # C1 (child Y) and C4 (no person record): 0. Re-referrals 3 of 5 = 60.0%.
    names = {v: k for k, v in _names(db).items()}
    assert {names[case_id]: n for case_id, n in report.re_referrals.previous.items()} == \
        {"C1": 0, "C2": 1, "C4": 0, "C11": 2, "C12": 1}
    assert (report.re_referrals.referrals, report.re_referrals.re_referrals, report.re_referrals.rate) == (5, 3, 60.0)

    # Conversions: 12 contacts; 5 referrals = 41.7%; strategy discussions C1 and C4 = 2: 16.7% of contacts,
    # 2/5 = 40.0% of referrals; section 47 C1 only: 1/12 = 8.3%, 1/2 = 50.0% of discussions.
    assert report.conversions.stages() == [
        ("contacts", "Contacts", 12, 100.0, None), ("referrals", "Referrals", 5, 41.7, 41.7),
        ("strategy_discussions", "Strategy discussions", 2, 16.7, 40.0),
        ("section_47", "Section 47 enquiries", 1, 8.3, 50.0)]

    # Volume: 1 Nov to 28 Feb is 119 days (> 92), so months. Nov: C12 amber. Dec: none.
    # Jan: C1 C2 C4 red, C3 amber, C5 C6 green. Feb: C11 red, C9 amber, C7 green, C8 blue, C10 not rated.
    volume = report.volume
    assert volume.unit == "month"
    assert [(b.label, b.total) for b in volume.buckets] == [("Nov 2026", 1), ("Dec 2026", 0), ("Jan 2027", 6),
                                                            ("Feb 2027", 5)]
    assert volume.table().rows[2] == ("2027-01", 3, 1, 2, 0, 0, 6)
    assert volume.table().rows[3] == ("2027-02", 1, 1, 1, 1, 1, 5)


def _names(db) -> dict[str, int]:
    from sqlalchemy import select

    from app.cases.models import Case
    with db.unit_of_work(write=False) as session:
        return {ref.removeprefix("MASH-TEST-"): case_id
                for case_id, ref in session.execute(select(Case.id, Case.reference))}


def test_the_filters_narrow_every_section(db):
    # Police (source 6): C1, C2, C7, C9, C11. Referrals C1, C2, C11; re-referrals C2 and C11: 2/3 = 66.7%
    # (the earlier referral E2 came from health and still counts: a previous referral from any source).
    police, _ = report_for(db, source="police")
    assert police.contacts == 5 and list(police.sources.by_source) == ["6"]
    assert (police.re_referrals.referrals, police.re_referrals.re_referrals, police.re_referrals.rate) == (3, 2, 66.7)
    # Checks on police-sourced contacts only: C1 (police, health), C7 (police), C9 (police, education).
    assert [(a.agency, a.requests) for a in police.agencies] == [("police", 3), ("health", 1), ("education", 1)]


def test_the_rag_and_channel_filters(db):
    # Final RAG red: C1, C2, C4, C11. Channel api: C2, C6, C11.
    red, _ = report_for(db, rag="red")
    assert red.contacts == 4 and red.rag.escalated == 1 and red.rag.de_escalated == 0
    with db.unit_of_work(write=False) as session:
        filters, _ = read_filters({**PERIOD, "channel": "api"}, date(2027, 3, 15))
        api = build_report(session, filters, AT)
    assert api.contacts == 3
    assert api.conversions.referrals == 2  # C2 and C11 (C6 was nfa)


def test_weeks_for_short_periods_and_the_percentile_rule():
    assert figures.p90([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) == 9  # rank ceil(9.0) = 9
    assert figures.p90([5]) == 5 and figures.p90([]) is None
    assert figures.median([1, 2, 3, 10]) == 2.5
    assert figures.percent(1, 3) == 33.3 and figures.percent(0, 0) is None
    filters, _ = read_filters({"from": "2027-01-06", "to": "2027-01-20"}, date(2027, 3, 15))
    volume = figures.volume([], filters)
    # Weeks begin on Monday: 4 Jan (holding the 6th), 11 Jan, 18 Jan.
    assert volume.unit == "week" and [b.start for b in volume.buckets] == [date(2027, 1, 4), date(2027, 1, 11),
                                                                           date(2027, 1, 18)]


def test_the_decision_clock_counts_like_the_hubs_calendar_and_sla_policies():
    """The report's fast clock gives the same answers as HubCalendar and SlaPolicy.window, across a bank holiday
    (Good Friday 26 March 2027), a weekend and the clock change (28 March 2027)."""
    from datetime import datetime, timedelta

    from app.core.calendar import calendar
    from app.core.sla import SlaConfig
    from app.reports.queries import ContactRow

    config = SlaConfig()
    clock = figures.DecisionClock({1: config})
    start = datetime(2027, 3, 24, 7, 15, tzinfo=UTC)
    for step in range(0, 200, 7):
        received = start + timedelta(hours=step * 0.75)
        decided = received + timedelta(hours=step % 90 + 0.5)
        for rag in ("red", "amber", "green", "blue"):
            contact = ContactRow(1, None, received, decided, None, None, "closed", "nfa", rag, rag, 1, "6", "web", ())
            window = config.policy(rag).window(received, calendar)
            timing = clock.timing(contact)
            assert timing.due_at == (window.due_at if window else None), (received, rag)
            assert timing.working_hours == figures.hours(calendar.working_time_between(received, decided)), received
