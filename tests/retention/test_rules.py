"""The small rules underneath: the setting, name matching, and which form answers count as coded."""
from __future__ import annotations

from datetime import date

import pytest

from app.core.config import load_settings
from app.retention.anonymise import coded_answers
from app.retention.people import EXACT, NAMES_ONLY, Person, match, normalise_name


def test_the_retention_period_defaults_to_36_months_and_refuses_nonsense(monkeypatch, tmp_path):
    monkeypatch.delenv("MASH_RETENTION_NFA_MONTHS", raising=False)
    assert load_settings(instance_path=tmp_path).retention_nfa_months == 36
    monkeypatch.setenv("MASH_RETENTION_NFA_MONTHS", "72")
    assert load_settings(instance_path=tmp_path).retention_nfa_months == 72
    for bad in ("0", "-3", "three years", "2.5"):
        monkeypatch.setenv("MASH_RETENTION_NFA_MONTHS", bad)
        with pytest.raises(ValueError, match="MASH_RETENTION_NFA_MONTHS"):
            load_settings(instance_path=tmp_path)


def test_names_match_whatever_the_case_accents_punctuation_and_spacing():
    assert normalise_name("  Zoë   O'Brien-Smith ") == "zoe o brien smith"
    zoe = Person("Zoë", "O'Brien", date(2015, 1, 2))
    assert match(zoe, Person("zoe", "o brien", date(2015, 1, 2))) == EXACT
    assert match(zoe, Person("Zoe", "OBrien", date(2015, 1, 2))) is None
    assert match(zoe, Person("Zoe", "O'Brien", None)) == NAMES_ONLY
    assert match(zoe, Person("Zoe", "O'Brien", date(2015, 1, 3))) is None
    assert match(Person("", "", None), Person("", "", None)) is None  # anonymised subjects are nobody


def test_only_answers_picked_from_a_list_are_coded():
    schema = {"properties": {
        "rag": {"type": "string", "enum": ["red", "amber"]}, "why": {"type": "string"},
        "nothing_known": {"type": "boolean"}, "held_on": {"type": "string", "format": "date"},
        "agencies": {"type": "array", "items": {"type": "string", "enum": ["police", "health"]}},
        "people": {"type": "array", "items": {"type": "object"}}, "count": {"type": "integer"}}}
    data = {"rag": "amber", "why": "Zephyrine said so", "nothing_known": False, "held_on": "2027-01-04",
            "agencies": ["police"], "people": [{"name": "Zephyrine"}], "count": 3, "undeclared": "red"}
    assert coded_answers(data, schema) == {"rag": "amber", "nothing_known": False, "agencies": ["police"]}
    assert coded_answers({"rag": "Zephyrine"}, schema) == {}
    assert coded_answers({"rag": "amber"}, {}) == {}
