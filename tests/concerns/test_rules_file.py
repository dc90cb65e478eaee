"""processes/repeat-concerns.toml: the shipped rules, and a broken file refused with the line at fault."""
from __future__ import annotations

import os

import pytest

from app.concerns.rules import RULES_FILE, RepeatRule, RepeatRulesError, hub_rules, load_rules, parse_rules
from app.core.config import PROJECT_ROOT

GOOD = """\
[[rule]]
id = "three-in-ninety"
kind = "contacts"
label = "3 or more contacts from 2 or more agencies in 90 days"
min_contacts = 3
min_agencies = 2
window_days = 90
"""


def problems(text: str) -> list[str]:
    with pytest.raises(RepeatRulesError) as refused:
        parse_rules(text)
    return [str(p) for p in refused.value.problems]


def test_the_shipped_rules_are_the_two_the_issue_names():
    rules = parse_rules((PROJECT_ROOT / "processes" / RULES_FILE).read_text())
    assert rules == (
        RepeatRule(id="multi-agency-90-days", kind="contacts",
                   label="3 or more contacts from 2 or more agencies in 90 days",
                   window_days=90, min_contacts=3, min_agencies=2),
        RepeatRule(id="re-referral-12-months", kind="re-referral", label="Re-referral within 12 months",
                   window_days=365, roles=("child", "unborn")))


def test_each_problem_is_named_with_its_line():
    text = GOOD + """
[[rule]]
id = "Bad Id"
kind = "re-referral"
label = "Re-referral"
window_days = 0
min_agencies = 2
roles = ["toddler"]
"""
    assert problems(text) == [
        "line 14: a re-referral rule has no setting 'min_agencies' (known: id, kind, label, window_days, roles)",
        "line 10: id must be lower-case letters, digits and hyphens, at most 60 characters, e.g. multi-agency-90-days",
        "line 13: window_days must be a whole number from 1 to 3660",
        ("line 15: roles must be a list of subject roles from child, unborn, adult, parent, carer, household-member, "
         "alleged-perpetrator, other"),
    ]


def test_missing_settings_unknown_kinds_and_repeated_ids_are_refused():
    text = GOOD + '\n[[rule]]\nid = "x"\nkind = "contacts"\nlabel = "X"\nwindow_days = 30\nmin_contacts = 3\n' \
        + '\n[[rule]]\nid = "y"\nkind = "everything"\n' + GOOD.replace("min_contacts = 3", 'min_contacts = "three"')
    assert problems(text) == [
        "line 9: min_agencies must be a whole number from 1 to 20",  # missing: reported at its [[rule]]
        "line 18: kind must be one of contacts, re-referral",
        "line 23: min_contacts must be a whole number from 2 to 100",
    ]
    assert problems(GOOD + GOOD) == ["line 9: id 'three-in-ninety' is used twice (first in rule 1)"]


def test_broken_toml_and_an_empty_file_are_refused():
    assert problems(GOOD.replace('kind = "contacts"', 'kind = contacts')) == [
        "line 3: not valid TOML: Invalid value (at line 3, column 8)"]
    assert problems("# nothing yet\n") == ["line 1: lists no rules: add [[rule]] entries"]
    assert problems('window = 3\n' + GOOD) == ["line 1: unknown setting 'window': the file holds only [[rule]] entries"]


def test_a_file_broken_while_running_keeps_the_last_good_rules(tmp_path, monkeypatch):
    monkeypatch.setenv("MASH_PROCESSES_DIR", str(tmp_path))
    path = tmp_path / RULES_FILE
    path.write_text(GOOD)
    assert [r.id for r in hub_rules()] == ["three-in-ninety"]
    path.write_text(GOOD.replace("window_days = 90", "window_days = ninety") + "\n")
    os.utime(path, ns=(1, 1))  # a different stamp even within the same clock tick
    assert [r.id for r in hub_rules()] == ["three-in-ninety"]
    with pytest.raises(RepeatRulesError, match="line 7: not valid TOML"):
        load_rules(path, keep_last_good=False)
    with pytest.raises(RepeatRulesError, match="cannot be read"):
        load_rules(tmp_path / "elsewhere" / RULES_FILE)
