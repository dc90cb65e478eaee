"""The hub's two tables, run by the engine as a business rule task runs them: the threshold document's
suggested RAG rating, and the domestic-abuse decision (MARAC, at least which rating, tell the school)."""
from __future__ import annotations

import pytest

from app.core.config import PROJECT_ROOT
from app.engine import CaseWorkflow, compile_bundle
from tests.dmn_tables import bundle

TABLES = {name: (PROJECT_ROOT / "processes" / name).read_bytes() for name in ("threshold.dmn", "domestic-abuse.dmn")}


@pytest.fixture(scope="module")
def threshold():
    return compile_bundle(bundle(TABLES, decision_ref="threshold"), "decide")


@pytest.fixture(scope="module")
def domestic_abuse():
    return compile_bundle(bundle(TABLES, decision_ref="domestic_abuse"), "decide")


def decide(definition, **data) -> dict:
    workflow, _events = CaseWorkflow.start(definition, data)
    return workflow.case_data()


CONTACT = {"immediate_risk": False, "presenting_factors": [], "youngest_child_age": None, "repeat_concern": False}


@pytest.mark.parametrize(("contact", "rag", "rule"), [
    ({"immediate_risk": True, "presenting_factors": ["21"]}, "Red", "immediate risk"),
    ({"presenting_factors": ["19C"], "youngest_child_age": 15}, "Red", "serious harm factor"),
    ({"presenting_factors": ["16A"], "youngest_child_age": 0}, "Red", "abuse or neglect, baby under one"),
    ({"presenting_factors": ["3B", "1B"], "youngest_child_age": 7}, "Amber", "abuse, neglect or domestic abuse"),
    ({"presenting_factors": ["3A"]}, "Amber", "abuse, neglect or domestic abuse"),
    ({"presenting_factors": ["20"], "repeat_concern": True}, "Amber", "repeat concern"),
    ({"presenting_factors": ["20"], "youngest_child_age": 2}, "Green", "below the threshold"),
])
def test_the_threshold_suggests_a_rating_and_names_the_rule(threshold, contact, rag, rule):
    decided = decide(threshold, **{**CONTACT, **contact})
    assert (decided["suggested_rag"], decided["suggested_rule"]) == (rag, rule)


NOTIFICATION = {"dash_risk_level": "standard", "dash_ticks": 3, "escalation": False, "children_in_household": 0,
                "pregnancy": False}


@pytest.mark.parametrize(("notification", "marac", "minimum", "school"), [
    ({"dash_risk_level": "high", "children_in_household": 2}, True, "Red", True),
    ({"dash_risk_level": "high", "pregnancy": True}, True, "Red", False),
    ({"dash_risk_level": "high"}, True, None, False),
    ({"dash_risk_level": "medium", "dash_ticks": 14, "children_in_household": 1}, True, "Red", True),
    ({"dash_ticks": 16}, True, None, False),
    ({"dash_risk_level": "medium", "escalation": True, "children_in_household": 1}, True, "Red", True),
    ({"dash_risk_level": "medium", "dash_ticks": 9, "children_in_household": 3}, False, "Amber", True),
    ({"dash_risk_level": "medium", "pregnancy": True}, False, "Amber", False),
    ({"dash_risk_level": "medium"}, False, None, False),
    ({"children_in_household": 1}, False, None, True),
    ({}, False, None, False),
])
def test_the_domestic_abuse_table_decides_marac_the_minimum_rating_and_the_school(domestic_abuse, notification,
                                                                                   marac, minimum, school):
    decided = decide(domestic_abuse, **{**NOTIFICATION, **notification})
    assert (decided["marac_required"], decided["minimum_rating"], decided["tell_school"]) == (marac, minimum, school)
    assert decided["da_rule"]


def test_the_shipped_tables_are_part_of_the_shipped_bundle_and_it_compiles_without_warnings():
    from app.engine import ProcessBundle
    shipped = ProcessBundle.from_directories(PROJECT_ROOT / "processes", PROJECT_ROOT / "forms")
    assert {"threshold.dmn", "domestic-abuse.dmn"} <= set(shipped.dmn)
    assert compile_bundle(shipped).warnings == []
