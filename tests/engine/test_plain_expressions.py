"""A gateway condition or table cell that only compares case data is answered in the app's process; anything
that could loop, call or build a value still runs in the evaluator under its budget, and errors read as before."""
from __future__ import annotations

import pytest

from app.core.sla import SlaConfig
from app.engine.evaluator import BudgetExceeded, IsolatedEnvironment, warm_up
from app.engine.plain_expressions import plain_code

PLAIN = ['rag == "red"', '"police" in agencies', "dmninputexpr >= 14", "not (immediate_risk and has_open_case)",
         "-1 < ticks <= 27", 'level in ("medium", "high")', "outcome if outcome else 'nfa'", "agencies"]
NOT_PLAIN = ["len(agencies) > 1", "ticks * 2 > 10", "rag.upper() == 'RED'", "agencies[0] == 'police'",
             "[a for a in agencies]", "_secret == 1", "10 ** 10 ** 7", "'a' * 10 ** 9 == ''", "now()"]
DATA = {"rag": "red", "agencies": ["police", "health"], "dmninputexpr": 15, "immediate_risk": True,
        "has_open_case": False, "ticks": 9, "level": "high", "outcome": None}


@pytest.fixture
def environment():
    warm_up(wait=True)
    return IsolatedEnvironment("test", SlaConfig(), frozenset())



@pytest.mark.parametrize("expression", PLAIN)
def test_a_plain_condition_is_answered_here_as_the_evaluator_would(environment, asks, expression):
    here = environment.evaluate(expression, dict(DATA))
    assert asks == []
    assert plain_code(expression) is not None
    # The evaluator's own answer, for comparison: the same value.
    assert environment.evaluate(f"({expression}) if len([1]) else None", dict(DATA)) == here
    assert len(asks) == 1


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
