"""A form's pattern can never stall the hub: answers are matched by RE2, and a pattern RE2 cannot run is
refused when the form is deployed, naming the file and the field."""
from __future__ import annotations

import json

import jsonschema._keywords
import pytest

from app.core.config import PROJECT_ROOT
from app.forms import load_form_data, validate
from app.forms.definitions import DRAFT_2020_12
from tests.process_models.test_deploy_validation import only, refused

CATASTROPHIC = "^(a+)+$"


def form_with_pattern(pattern: str) -> dict:
    return {"$schema": DRAFT_2020_12, "title": "Record a code", "type": "object", "additionalProperties": False,
            "required": ["code"], "properties": {"code": {
                "title": "Code", "type": "string", "maxLength": 100, "pattern": pattern,
                "x-ui": {"messages": {"pattern": "Enter the code"}}}}}


@pytest.fixture
def no_backtracking(monkeypatch):
    """Python's backtracking `re` (what jsonschema matches patterns with) must not be reached at all: on
    'a' * 40 + 'b' against ^(a+)+$ it would run for longer than anyone waits."""
    class Refused:
        def __getattr__(self, name):
            raise AssertionError(f"a form pattern was matched with Python's backtracking re.{name}")

    monkeypatch.setattr(jsonschema._keywords, "re", Refused())


def test_a_catastrophic_pattern_is_matched_by_the_linear_time_engine(no_backtracking):
    form = load_form_data("code", form_with_pattern(CATASTROPHIC), "forms/code.json")
    errors = validate(form, {"code": "a" * 40 + "b"})
    assert [(e.field, e.message) for e in errors] == [("code", "Enter the code")]
    assert validate(form, {"code": "a" * 40}) == []


def test_the_nhs_number_pattern_of_the_contact_form_still_works(no_backtracking):
    contact = (PROJECT_ROOT / "forms" / "contact.json").read_text(encoding="utf-8")
    schema = json.loads(contact)["properties"]["subjects"]["items"]["properties"]["nhs_number"]
    form = load_form_data("nhs", {**form_with_pattern("x"), "properties": {"code": schema}}, "forms/nhs.json")
    assert validate(form, {"code": "943 476 5919"}) == []
    assert [e.field for e in validate(form, {"code": "94347"})] == ["code"]


@pytest.mark.parametrize(("pattern", "reason"), [
    (r"^(a)\1$", "invalid escape sequence"),
    (r"^(?=.*\d)[a-z0-9]+$", "invalid perl operator"),
    (r"^(?<!x)y$", "invalid perl operator"),
])
def test_a_pattern_the_linear_time_engine_cannot_run_is_refused_at_deploy_with_file_and_field(db, pattern, reason):
    screening = json.loads((PROJECT_ROOT / "forms" / "screening.json").read_text(encoding="utf-8"))
    screening["properties"]["rag_rationale"]["pattern"] = pattern
    problem = only(refused(db, ("screening.json", json.dumps(screening, indent=2))), file="forms/screening.json")
    assert "field rag_rationale" in problem["message"] and reason in problem["message"]
    assert repr(pattern) in problem["message"]
