"""Diagram functions say what is wrong with their arguments instead of walking the calendar for minutes."""
from __future__ import annotations

import pytest

from app.core.sla import SlaConfig
from app.engine.functions import ArgumentError, diagram_functions

START = "2026-01-05T09:00:00+00:00"
FUNCTIONS = diagram_functions(SlaConfig())


@pytest.mark.parametrize(("function", "value", "words"), [
    ("add_working_days", 1_900_000, "days must be a whole number from 0 to 3,650, not 1,900,000"),
    ("add_working_days", -1, "not -1"),
    ("add_working_days", 1.5, "not 1.5"),
    ("add_working_days", "soon", "not str 'soon'"),
    ("add_working_days", True, "not bool"),
    ("add_working_hours", 10 ** 9, "hours must be a number from 0 to 87,600"),
    ("add_hours", float("inf"), "hours must be a number from 0 to 87,600"),
])
def test_a_diagram_function_refuses_an_argument_out_of_range_with_a_clear_message(function, value, words):
    with pytest.raises(ArgumentError, match=words) as caught:
        FUNCTIONS[function](START, value)
    assert caught.value.args[0].startswith(f"{function}(): ")


def test_arguments_in_range_still_give_deadlines():
    assert FUNCTIONS["add_working_days"](START, 1) == "2026-01-06T17:30:00+00:00"  # end of the next working day
    assert FUNCTIONS["add_working_days"](START, "1") == FUNCTIONS["add_working_days"](START, 1)
    assert FUNCTIONS["add_working_days"](START, 3650) > FUNCTIONS["add_working_days"](START, 1)
    assert FUNCTIONS["add_hours"](START, 4) == "2026-01-05T13:00:00+00:00"
