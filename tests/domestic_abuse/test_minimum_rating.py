"""A child sent to screening by the domestic abuse table as at least Amber or Red: the screener sees that
minimum as the suggestion, and rating lower needs a reason like any override of the threshold."""
from __future__ import annotations

import pytest

from app.casework.threshold import override_errors, suggest
from app.core.config import PROJECT_ROOT
from app.engine import ProcessBundle, compile_bundle

#: Neglect of a child of ten, nothing else: the threshold table suggests less than Red.
CASE = {"immediate_risk": False, "youngest_child_age": 10, "repeat_concern": False}
FACTORS = ["2B"]


@pytest.fixture(scope="module")
def definition():
    return compile_bundle(ProcessBundle.from_directories(PROJECT_ROOT / "processes", PROJECT_ROOT / "forms"))


def test_the_domestic_abuse_minimum_raises_the_suggestion(definition):
    plain = suggest(definition, CASE, FACTORS)
    assert plain.rag in ("amber", "green")
    raised = suggest(definition, {**CASE, "minimum_rating": "Red", "da_rule": "high risk with children"}, FACTORS)
    assert raised.rag == "red"
    assert raised.rule == "at least Red by the domestic abuse table (high risk with children)"
    refused = override_errors(raised, {"rag": plain.rag})
    assert [error.field for error in refused] == ["rag_override_reason"]
    assert "The threshold suggests Red" in refused[0].message
    assert override_errors(raised, {"rag": plain.rag, "rag_override_reason": "Victim has moved out with the child"}) \
        == []


def test_a_minimum_below_the_tables_suggestion_changes_nothing(definition):
    plain = suggest(definition, CASE, FACTORS)
    assert suggest(definition, {**CASE, "minimum_rating": "Green"}, FACTORS) == plain
    assert suggest(definition, {**CASE, "minimum_rating": None}, FACTORS) == plain
