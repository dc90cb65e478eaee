"""How the hub counts its clocks: the SLA policy file, the calendar, and the deadlines they give.

Times below are written as the hub sees them (Europe/London) and checked as instants.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.core.calendar import HubCalendar
from app.core.clock import clock
from app.core.config import PROJECT_ROOT
from app.core.sla import POLICY_FILE, PolicyError, SlaConfig, SlaPolicy, load_policies
from app.engine import DefinitionError, ProcessBundle, compile_bundle
from app.engine.functions import NO_DEADLINE, at_risk_mode, diagram_functions

LONDON = ZoneInfo("Europe/London")
HUB = HubCalendar()


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def shipped_policies() -> str:
    return (PROJECT_ROOT / "processes" / POLICY_FILE).read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- the policy file
def test_the_shipped_policy_file_gives_the_defaults():
    config = load_policies(shipped_policies())
    assert config.rag["red"] == SlaPolicy("red", "elapsed-hours", 4, 0.75, out_of_hours=True)
    assert config.rag["amber"] == SlaPolicy("amber", "working-days", 1, 0.75)
    assert config.rag["green"] == SlaPolicy("green", "working-days", 3, 0.75)
    assert config.rag["blue"].unit == "none"
    assert config.calendar == HubCalendar()
    assert config == load_policies(None) == SlaConfig()


@pytest.mark.parametrize(("edit", "message", "line"), [
    (("unit = \"working-days\"\nat_risk = 0.75\n\n[rag.green]", "unit = \"fortnights\"\nat_risk = 0.75\n\n[rag.green]"),
     "[rag.amber] unit must be one of", 42),
    (("duration = 4\n", "duration = -4\n"), "[rag.red] duration must be a number greater than 0", 35),
    (("at_risk = 0.75\n\n[rag.amber]", "at_risk = 1.5\n\n[rag.amber]"), "[rag.red] at_risk must be a share", 38),
    (("[rag.blue]\nunit = \"none\"\n", ""), "there is no policy for blue", None),
    (("closes = \"17:30\"", "closes = \"08:00\""), "[calendar] closes must be later than opens", 10),
    (("closure_days = []", "closure_days = [\"2026-02-30\"]"), "closure day '2026-02-30' is not a date", 13),
    (("working_days = [", "wrking_days = ["), "[calendar] has no setting 'wrking_days'", 11),
    (("[rag.green]\nduration = 3\nunit = \"working-days\"\n",
      "[rag.green]\nduration = 3\nunit = \"working-days\"\nout_of_hours = true\n"),
     "out_of_hours does not apply to working-days", 48),
    (("opens = \"09:00\"", "opens = 09:00"), "not valid TOML", 9),
])
def test_a_broken_policy_is_refused_with_its_line(edit, message, line):
    old, new = edit
    text = shipped_policies()
    assert old in text
    with pytest.raises(PolicyError) as refused:
        load_policies(text.replace(old, new, 1))
    problem = next(p for p in refused.value.problems if message in p.message)
    assert problem.line == line, (problem, text.replace(old, new, 1).splitlines()[(problem.line or 1) - 1])


def test_a_broken_policy_stops_the_deploy_and_names_the_file():
    bundle = ProcessBundle.from_directories(PROJECT_ROOT / "processes", PROJECT_ROOT / "forms")
    broken = ProcessBundle(bpmn=bundle.bpmn, forms=bundle.forms, policies=bundle.policies.replace(
        'unit = "elapsed-hours"', 'unit = "elapsed-minutes"', 1), dmn=bundle.dmn)
    with pytest.raises(DefinitionError) as refused:
        compile_bundle(broken)
    [problem] = refused.value.problems
    assert problem.file == f"processes/{POLICY_FILE}"
    assert "[rag.red] unit must be one of" in problem.message and problem.line == 36


# ----------------------------------------------------------------------------- RAG clocks
RED_OUT_OF_HOURS = SlaPolicy("red", "elapsed-hours", 4, out_of_hours=True)
RED_WAITS_FOR_THE_HUB = SlaPolicy("red", "elapsed-hours", 4, out_of_hours=False)
SURREY_AMBER = SlaPolicy("amber", "working-hours", 24 * 8.5 / 24, out_of_hours=False)
LUTON_RED = SlaPolicy("red", "working-hours", 4, out_of_hours=True)


def test_a_red_contact_at_two_in_the_morning_keeps_its_clock_running_out_of_hours():
    window = RED_OUT_OF_HOURS.window(london(2027, 1, 9, 2, 0), HUB)  # Saturday
    assert window.due_at == london(2027, 1, 9, 6, 0)
    assert window.at_risk_at == london(2027, 1, 9, 5, 0)


def test_a_hub_that_does_not_run_red_out_of_hours_starts_it_when_the_hub_opens():
    window = RED_WAITS_FOR_THE_HUB.window(london(2027, 1, 9, 2, 0), HUB)  # Saturday night -> Monday 09:00
    assert window.due_at == london(2027, 1, 11, 13, 0)
    # Received in working hours it runs straight through, even past close of business.
    assert RED_WAITS_FOR_THE_HUB.window(london(2027, 1, 11, 16, 0), HUB).due_at == london(2027, 1, 11, 20, 0)


def test_lutons_red_counts_from_opening_then_runs_to_completion_past_close():
    assert LUTON_RED.window(london(2027, 1, 11, 16, 0), HUB).due_at == london(2027, 1, 11, 20, 0)
    assert LUTON_RED.window(london(2027, 1, 11, 19, 0), HUB).due_at == london(2027, 1, 12, 13, 0)


def test_working_hours_amber_pauses_over_the_weekend():
    # Friday 15:00 with one working day (8.5 working hours): 2.5 h on Friday, 6 h on Monday.
    window = SURREY_AMBER.window(london(2027, 1, 8, 15, 0), HUB)
    assert window.due_at == london(2027, 1, 11, 15, 0)
    # At risk once 75% (6.375 h) is used: 3.875 h into Monday.
    assert window.at_risk_at == london(2027, 1, 11, 12, 52, 30)


def test_working_days_amber_from_friday_is_due_at_close_of_business_monday():
    window = load_policies(None).policy("amber").window(london(2027, 1, 8, 15, 0), HUB)
    assert window.due_at == london(2027, 1, 11, 17, 30)
    # 2.5 h left on Friday + 8.5 h on Monday = 11 h; 75% = 8.25 h -> Monday 14:45.
    assert window.at_risk_at == london(2027, 1, 11, 14, 45)


def test_blue_has_no_timescale():
    assert load_policies(None).policy("blue").window(london(2027, 1, 11, 9, 0), HUB) is None
    functions = diagram_functions(SlaConfig())
    assert functions["rag_deadline"]("blue", "2027-01-11T09:00:00+00:00") == NO_DEADLINE.isoformat()


# ----------------------------------------------------------------------------- the calendar
def test_red_across_the_march_clock_change_counts_real_hours():
    # 00:30 GMT on Sunday 28 March 2027; clocks go forward at 01:00. Four real hours later is 05:30 BST.
    window = RED_OUT_OF_HOURS.window(datetime(2027, 3, 28, 0, 30, tzinfo=UTC), HUB)
    assert window.due_at == datetime(2027, 3, 28, 4, 30, tzinfo=UTC)
    assert window.due_at.astimezone(LONDON).time() == time(5, 30)


def test_working_days_across_the_october_clock_change_end_at_local_close_of_business():
    # Friday 29 October 2027 (BST) + 1 working day = Monday 1 November 17:30 GMT.
    due = HUB.add_working_days(london(2027, 10, 29, 10, 0), 1)
    assert due == datetime(2027, 11, 1, 17, 30, tzinfo=UTC)
    # And the working hours between are counted in local time: Friday 7.5 h + Monday 8.5 h.
    assert HUB.working_time_between(london(2027, 10, 29, 10, 0), due) == timedelta(hours=16)


def test_green_over_christmas_and_new_year_skips_the_bank_holidays():
    # Wednesday 23 Dec 2026: 24 Dec working; 25 Dec Christmas; 26-27 weekend; 28 Dec substitute Boxing Day.
    green = load_policies(None).policy("green")
    assert green.window(london(2026, 12, 23, 11, 0), HUB).due_at == london(2026, 12, 30, 17, 30)
    # 1 Jan 2027 is a Friday bank holiday: Amber from 31 Dec is due Monday 4 January.
    amber = load_policies(None).policy("amber")
    assert amber.window(london(2026, 12, 31, 11, 0), HUB).due_at == london(2027, 1, 4, 17, 30)


def test_a_local_closure_day_is_not_a_working_day():
    config = load_policies(shipped_policies().replace("closure_days = []", 'closure_days = ["2026-12-24"]'))
    assert date(2026, 12, 24) in config.calendar.closure_days
    green = config.policy("green")
    assert green.window(london(2026, 12, 23, 11, 0), config.calendar).due_at == london(2026, 12, 31, 17, 30)


def test_configured_working_hours_and_days_move_the_clock():
    config = load_policies(shipped_policies().replace('opens = "09:00"', 'opens = "08:00"')
                           .replace('closes = "17:30"', 'closes = "16:00"')
                           .replace('working_days = ["Mon", "Tue", "Wed", "Thu", "Fri"]',
                                    'working_days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]'))
    assert config.calendar.add_working_days(london(2027, 1, 8, 10, 0), 1) == london(2027, 1, 9, 16, 0)
    assert config.calendar.add_working_hours(london(2027, 1, 8, 15, 0), 2) == london(2027, 1, 9, 9, 0)


# ----------------------------------------------------------------------------- the diagram functions
def test_one_timer_expression_gives_both_the_due_time_and_the_at_risk_time():
    functions = diagram_functions(SlaConfig())
    start = "2027-01-11T09:00:00+00:00"  # Monday 09:00 (GMT)
    assert functions["rag_deadline"]("red", start) == "2027-01-11T13:00:00+00:00"
    assert functions["add_working_days"](start, 1) == "2027-01-12T17:30:00+00:00"
    with at_risk_mode():
        assert functions["rag_deadline"]("red", start) == "2027-01-11T12:00:00+00:00"
        # 17 working hours; 75% = 12.75 h: all of Monday's 8.5 h, then 4.25 h into Tuesday.
        assert functions["add_working_days"](start, 1) == "2027-01-12T13:15:00+00:00"
    assert functions["rag_deadline"]("red", start) == "2027-01-11T13:00:00+00:00"


def test_an_unknown_rating_is_an_error_not_a_silent_default():
    with pytest.raises(ValueError, match="no SLA policy for RAG rating 'purple'"):
        diagram_functions(SlaConfig())["rag_deadline"]("purple", "2027-01-11T09:00:00+00:00")


# ----------------------------------------------------------------------------- the contact's decision clock
def screened_at(when: datetime) -> None:
    """The decision deadline is armed at screening: now() is that moment."""
    clock.freeze(when)


def test_the_decision_is_due_after_the_checks_it_waits_for_never_before():
    functions = diagram_functions(SlaConfig())
    received = london(2027, 1, 11, 9, 0)  # Monday 09:00
    screened_at(london(2027, 1, 11, 10, 0))
    checks_due = functions["rag_deadline"]("green", london(2027, 1, 11, 10, 0).isoformat())
    decision = functions["decision_due"]("green", received.isoformat())
    # Green: 3 working days from receipt (Thursday 17:30) plus a quarter of that: 0.75 of a working day
    # (6 h 22 m 30 s of the 8.5-hour day) into Friday.
    assert decision == london(2027, 1, 15, 15, 22, 30).astimezone(UTC).isoformat()
    assert decision > checks_due


def test_a_red_contact_is_decided_the_same_day():
    functions = diagram_functions(SlaConfig())
    screened_at(london(2027, 1, 11, 9, 30))
    assert functions["decision_due"]("red", london(2027, 1, 11, 9, 0).isoformat()) \
        == london(2027, 1, 11, 14, 0).astimezone(UTC).isoformat()  # 4 h + a quarter (1 h) from receipt


def test_a_late_screening_pushes_the_decision_to_when_the_checks_are_due():
    functions = diagram_functions(SlaConfig())
    screened_at(london(2027, 1, 11, 16, 0))  # screened 7 hours after receipt: checks due at 20:00
    assert functions["decision_due"]("red", london(2027, 1, 11, 9, 0).isoformat()) \
        == london(2027, 1, 11, 20, 0).astimezone(UTC).isoformat()


def test_the_decision_allowance_is_configured_per_level():
    text = shipped_policies().replace("[rag.amber]\nduration = 1\n",
                                      "[rag.amber]\nduration = 1\ndecision_allowance = 2\n")
    functions = diagram_functions(load_policies(text))
    screened_at(london(2027, 1, 11, 9, 30))
    # Amber: 1 working day (Tuesday 17:30) and 2 more working days: Thursday at close of business.
    assert functions["decision_due"]("amber", london(2027, 1, 11, 9, 0).isoformat()) \
        == london(2027, 1, 14, 17, 30).astimezone(UTC).isoformat()
    with pytest.raises(PolicyError, match=r"\[rag.amber\] decision_allowance must be a number"):
        load_policies(text.replace("decision_allowance = 2", "decision_allowance = -1"))


def test_blue_has_no_decision_deadline():
    screened_at(london(2027, 1, 11, 9, 30))
    assert diagram_functions(SlaConfig())["decision_due"]("blue", london(2027, 1, 11, 9, 0).isoformat()) \
        == NO_DEADLINE.isoformat()


@pytest.mark.parametrize(("when", "open_", "opening"), [
    (london(2027, 1, 11, 10, 0), True, london(2027, 1, 11, 10, 0)),   # Monday morning
    (london(2027, 1, 11, 17, 30), False, london(2027, 1, 12, 9, 0)),  # Monday at close
    (london(2027, 1, 9, 2, 0), False, london(2027, 1, 11, 9, 0)),     # Saturday night
    (london(2026, 12, 25, 11, 0), False, london(2026, 12, 29, 9, 0)),  # Christmas: Boxing Day falls on Saturday
])
def test_the_diagram_knows_when_the_hub_is_open(when, open_, opening):
    functions = diagram_functions(SlaConfig())
    assert functions["hub_open"](when.isoformat()) is open_
    assert functions["next_opening"](when.isoformat()) == opening.astimezone(UTC).isoformat()
