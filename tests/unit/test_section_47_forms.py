"""The section 47 chain's forms offer exactly the contract's words, and refuse what the hub would refuse."""
from __future__ import annotations

import pytest

from app.core.config import PROJECT_ROOT
from app.core.vocabulary import PLAN_OUTCOME_LABELS, S47_OUTCOME_LABELS
from app.forms import load_forms
from app.forms.validation import validate
from tests import factories as f


@pytest.fixture(scope="module")
def forms():
    return load_forms(PROJECT_ROOT / "forms")


def test_the_forms_offer_the_contract_values(forms):
    assert forms["s47_outcome"].schema["properties"]["s47_outcome"]["enum"] == list(S47_OUTCOME_LABELS)
    assert forms["icpc_held"].schema["properties"]["plan_outcome"]["enum"] == list(PLAN_OUTCOME_LABELS)
    assert forms["strategy_discussion_record"].schema["properties"]["discussion_format"]["enum"] == \
        forms["convene_strategy_discussion"].schema["properties"]["discussion_format"]["enum"]


def test_a_child_protection_plan_needs_its_category_of_abuse(forms):
    plan = f.icpc_held(plan_outcome="child-protection-plan")
    assert validate(forms["icpc_held"], plan) == []
    del plan["category_of_abuse"]
    [error] = validate(forms["icpc_held"], plan)
    assert (error.field, error.message) == ("category_of_abuse",
                                            "Select the category of abuse for the child protection plan")
    assert validate(forms["icpc_held"], f.icpc_held(plan_outcome="child-in-need-plan")) == []


def test_the_strategy_record_asks_whether_a_strategy_meeting_must_follow(forms):
    record = f.strategy_record("s47-joint", discussion_format="phone", meeting_needed=True)
    assert validate(forms["strategy_discussion_record"], record) == []
    del record["strategy_meeting_needed"]
    [error] = validate(forms["strategy_discussion_record"], record)
    assert error.field == "strategy_meeting_needed"


def test_a_strategy_meeting_needs_social_care_police_and_health(forms):
    meeting = {"held_on": "2027-01-07", "attendees": ["childrens-social-care", "health"], "summary": "Met."}
    [error] = validate(forms["strategy_meeting"], meeting)
    assert error.field == "attendees" and "police and health" in error.message
