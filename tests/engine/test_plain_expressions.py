"""A gateway condition, table cell, timer expression or bookkeeping script whose syntax bounds its cost is run in
the app's process; anything that could loop, call something else or build a large value still runs in the
evaluator under its budget, and errors read as before."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.core.clock import clock
from app.core.sla import SlaConfig
from app.engine.evaluator import BudgetExceeded, IsolatedEnvironment, warm_up
from app.engine.plain_expressions import plain_code, plain_script

PLAIN = ['rag == "red"', '"police" in agencies', "dmninputexpr >= 14", "not (immediate_risk and has_open_case)",
         "-1 < ticks <= 27", 'level in ("medium", "high")', "outcome if outcome else 'nfa'", "agencies",
         "len(agencies) > 1", "agencies + ['housing']", "now()", "add_working_days(received_at, 1)",
         "rag_deadline(rag, now())", "decision_due(rag, received_at, checks_requested_at)",
         "add_hours(received_at, hours=4)", "hub_open(received_at)", "[a for a in agencies]",
         'any(code in (agencies or []) for code in ("police", "housing"))', "all(a != rag for a in agencies)",
         "[a for a in agencies if a != 'police'] + ['education']", "any(agencies)"]
NOT_PLAIN = ["ticks * 2 > 10", "rag.upper() == 'RED'", "agencies[0] == 'police'",
             "_secret == 1", "10 ** 10 ** 7", "'a' * 10 ** 9 == ''", "sorted(agencies)", "ticks - 1",
             "schools_to_tell(children)", "add_working_days(**days)", "(lambda: 1)()",
             "len(a) + len(b) + len(c) + len(d) + len(e)",
             # comprehensions that could loop inside a loop or build a large value, and bare generators
             "[a for a in agencies if a in agencies]", "[a for a in agencies if agencies == agencies]",
             "[a + a for a in agencies]", "[[b for b in a] for a in agencies]", "[len(a) for a in agencies]",
             "any(a == b for a in agencies for b in agencies)", "(a for a in agencies)", "sorted(a for a in agencies)",
             "[_a for _a in agencies]", "any(a for a in agencies if a not in agencies)"]
DATA = {"rag": "red", "agencies": ["police", "health"], "dmninputexpr": 15, "immediate_risk": True,
        "has_open_case": False, "ticks": 9, "level": "high", "outcome": None,
        "received_at": "2027-01-11T09:30:00+00:00", "checks_requested_at": "2027-01-11T10:00:00+00:00"}
PLAIN_SCRIPTS = ['returned_checks = returned_checks + ["police"]\nreturned_late = "police" in went_without',
                 "checks_requested_at = now()", "agencies_not_returned = went_without",
                 "went_without = []\nreturned_checks = []\nadditional_referrals = None",
                 "referrals = [r for r in went_without if r != rag] + (['lado'] if rag in ('red', 'amber') else [])"]
NOT_PLAIN_SCRIPTS = ["referrals = [r for r in went_without if r in went_without]", "went_without.append('x')",
                     "a, b = 1, 2",
                     "x = went_without[0]", "del went_without", "x = 1\ny = sorted(went_without)"]
SCRIPT_DATA = {"returned_checks": ["health"], "went_without": ["police"], "rag": "amber", "len": 3}


@pytest.fixture
def environment():
    warm_up(wait=True)
    clock.freeze(datetime(2027, 1, 11, 10, 0, tzinfo=UTC))  # a Monday morning: the hub is open
    return IsolatedEnvironment("test", SlaConfig(), frozenset())


@pytest.mark.parametrize("expression", PLAIN)
def test_a_plain_condition_is_answered_here_as_the_evaluator_would(environment, asks, expression):
    here = environment.evaluate(expression, dict(DATA))
    assert asks == []
    assert plain_code(expression) is not None
    # The evaluator's own answer, for comparison (a subscript is never plain): the same value.
    assert environment.evaluate(f"[({expression})][0]", dict(DATA)) == here
    assert len(asks) == 1


@pytest.mark.parametrize("script", PLAIN_SCRIPTS)
def test_a_plain_script_changes_the_case_data_here_as_the_evaluator_would(environment, asks, script):
    here = dict(SCRIPT_DATA)
    environment.execute(script, here)
    assert asks == []
    assert plain_script(script) is not None
    there = dict(SCRIPT_DATA)
    environment.execute(f"{script}\nnot_plain = [1][0]", there)  # a subscript is never plain
    assert len(asks) == 1
    del there["not_plain"]
    assert here == there and list(here) == list(there)


@pytest.mark.parametrize("script", NOT_PLAIN_SCRIPTS)
def test_a_script_that_could_loop_reach_into_or_change_a_value_goes_to_the_evaluator(script):
    assert plain_script(script) is None


def test_a_plain_scripts_values_are_copies_as_the_evaluators_are(environment):
    data = {"went_without": ["police"]}
    environment.execute("agencies_not_returned = went_without", data)
    data["agencies_not_returned"].append("health")
    assert data["went_without"] == ["police"]


def test_a_plain_script_that_fails_is_reported_by_the_evaluator_and_changes_nothing(environment, asks):
    data = {"went_without": ["police"]}
    with pytest.raises(NameError):
        environment.execute("returned = 1\nlate = missing + 1", data)
    assert data == {"went_without": ["police"]}
    assert asks == ["returned = 1\nlate = missing + 1"]


def test_case_data_named_like_a_function_is_refused_by_the_evaluator_as_before(environment, asks):
    with pytest.raises(ValueError, match="has the name of a diagram function"):
        environment.execute("checked = now()", {"rag_deadline": "soon"})
    assert asks == ["checked = now()"]


def test_a_refused_argument_is_reported_by_the_evaluator_as_before(environment, asks):
    with pytest.raises(Exception, match="days must be a whole number from 0 to 3,650"):
        environment.evaluate("add_working_days(received_at, 99999)", dict(DATA))
    assert asks == ["add_working_days(received_at, 99999)"]


def test_a_timer_armed_earlier_counts_from_when_it_was_armed(environment, asks):
    armed = "2027-01-08T16:00:00+00:00"  # a Friday afternoon
    here = environment.evaluate("add_working_days(now(), 1)", {}, {"now": lambda: armed})
    assert asks == []
    assert here == environment.evaluate("[add_working_days(now(), 1)][0]", {}, {"now": lambda: armed})
    assert here.startswith("2027-01-11")


@pytest.mark.parametrize("expression", NOT_PLAIN)
def test_anything_that_could_loop_call_or_build_goes_to_the_evaluator(expression):
    assert plain_code(expression) is None


def test_a_huge_calculation_in_a_condition_is_still_stopped_by_its_budget(environment):
    with pytest.raises(BudgetExceeded):
        environment.evaluate("10 ** 10 ** 7 > 1", {})


def test_a_plain_condition_that_fails_is_reported_by_the_evaluator_as_before(environment, asks):
    with pytest.raises(NameError):
        environment.evaluate("missing == 1", {})
    with pytest.raises(TypeError):
        environment.evaluate("ticks < 'ten'", {"ticks": 9})
    assert asks == ["missing == 1", "ticks < 'ten'"]


def test_a_list_answered_here_is_a_copy_of_the_case_data(environment):
    data = {"agencies": ["police"]}
    answer = environment.evaluate("agencies", data)
    answer.append("health")
    assert data == {"agencies": ["police"]}


def test_the_engines_own_names_lose_to_the_case_data(environment, asks):
    assert environment.evaluate("dmninputexpr == 'case'", {"dmninputexpr": "case"},
                                {"dmninputexpr": "engine"}) is True
    assert asks == []


def test_the_referral_walk_asks_the_evaluator_nothing(asks):
    """Timer expressions, conditions, decision table inputs and bookkeeping scripts of the referral stay in the app's
    process (23 round trips per walk before issue 20's fifth round; the outcome's list comprehension before its
    sixth)."""
    from app.core.config import PROJECT_ROOT
    from app.core.roles import LANE_ROLES
    from app.engine import CaseWorkflow, ProcessBundle, compile_bundle
    from tests.server_processes import REFERRAL_WALK

    definition = compile_bundle(ProcessBundle.from_directories(PROJECT_ROOT / "processes", PROJECT_ROOT / "forms"))
    workflow, _ = CaseWorkflow.start(definition, {
        "reference": "MASH-ASKS", "received_at": "2027-01-11T09:30:00+00:00", "source": "2A",
        "immediate_risk": False, "has_open_case": False, "open_enquiry": None, "outcome": None,
        "strategy_outcome": None, "referral_date": None})
    for element, _user, form in REFERRAL_WALK:
        task = next(t for t in workflow.open_user_tasks() if t.info.bpmn_id == element)
        workflow.complete_task(task.task_id, form, frozenset(LANE_ROLES))
    assert workflow.completed
    assert asks == []
