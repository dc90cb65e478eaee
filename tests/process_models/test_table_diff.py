"""The version diff compares decision tables rule by rule: a threshold moved, a rule added or removed, rules
reordered, the hit policy, on the compare page (no script needed) and in the API."""
from __future__ import annotations

import html
import re

from app.core.actor import Actor
from app.core.config import PROJECT_ROOT
from app.process_models.deploy import UploadedFile, deploy
from app.process_models.table_diff import diff_tables
from tests.dmn_tables import table

THRESHOLD = (PROJECT_ROOT / "processes" / "threshold.dmn").read_bytes()
OWNER = Actor(user_id=None, username="process-owner", roles=frozenset({"process-owner"}))


def test_an_entry_edited_in_place_is_that_rule_changed_cell_by_cell():
    edited = THRESHOLD.replace(b"<text>&lt; 1</text>", b"<text>&lt; 2</text>", 1)
    [threshold] = diff_tables({"threshold.dmn": THRESHOLD}, {"threshold.dmn": edited})
    assert (threshold.status, threshold.decision_id, threshold.changes) == ("changed", "threshold", ())
    [rule] = threshold.rules
    assert (rule.status, rule.old_number, rule.new_number) == ("changed", 3, 3)
    [cell] = rule.changes
    assert (cell.what, cell.old, cell.new) == ("When 'Youngest child's age (years; 18 when not known)'", "< 1", "< 2")


def test_rules_added_removed_and_moved_and_the_hit_policy():
    old = table("decide", ["risk"], ["rag"], [(['"high"'], ['"Red"']), (['"medium"'], ['"Amber"']),
                                              (['"low"'], ['"Green"'])])
    # rule_0 removed, rule_1 and rule_2 swapped (ids kept, as dmn-js keeps them), a new rule last; FIRST now.
    new = old.replace(b'hitPolicy="UNIQUE"', b'hitPolicy="FIRST"')
    rows = re.findall(rb'\n      <rule id="rule_\d">.*?</rule>', new)
    added = rows[0].replace(b"rule_0", b"rule_9").replace(b"&quot;high&quot;", b"-").replace(b'"high"', b"-")
    new = new.replace(rows[0] + rows[1] + rows[2], rows[2] + rows[1] + added)
    [decide] = diff_tables({"a.dmn": old}, {"a.dmn": new})
    assert [(c.what, c.old, c.new) for c in decide.changes] == [("Hit policy", "UNIQUE", "FIRST")]
    by_id = {r.rule_id: r for r in decide.rules}
    assert by_id["rule_9"].status == "added" and by_id["rule_9"].new_number == 3
    assert by_id["rule_0"].status == "removed" and by_id["rule_0"].old_number == 1
    moved = by_id["rule_2"]
    assert (moved.status, moved.old_number, moved.new_number) == ("changed", 3, 1)
    assert [(c.what, c.old, c.new) for c in moved.changes] == [("Position", "rule 3", "rule 1")]


def test_a_table_added_and_one_removed():
    other = table("other", ["risk"], ["rag"], [(["-"], ['"Green"'])])
    found = {t.decision_id: t for t in diff_tables({"threshold.dmn": THRESHOLD}, {"other.dmn": other})}
    assert found["threshold"].status == "removed" and found["other"].status == "added"
    assert [r.new_number for r in found["other"].rules] == [1]


def test_the_compare_page_and_the_api_show_the_table_rule_by_rule(web, api, db):
    # Babies and toddlers: both rules move, or deploy refuses the overlap.
    edited = THRESHOLD.replace(b"<text>&lt; 1</text>", b"<text>&lt; 2</text>", 1).replace(
        b"<text>&gt;= 1</text>", b"<text>&gt;= 2</text>", 1)
    with db.unit_of_work() as session:
        version = deploy(session, [UploadedFile("threshold.dmn", edited)], OWNER, process_id="referral",
                         note="babies under two").version
    response = web("auditor").get(f"/process-models/referral/diff?from={version - 1}&to={version}")
    page = response.get_data(as_text=True)
    words = html.unescape(" ".join(re.sub(r"<[^>]+>", " ", page).split()))
    assert re.search(r'data-count="tables">\s*1<', page) and 'data-decision="threshold"' in page
    assert "rule 3" in words and "Was: < 1 Now: < 2" in words and "rule 4" in words and "Was: >= 1 Now: >= 2" in words
    answer = api("auditor").get(f"/api/v1/process-models/referral/diff?from={version - 1}&to={version}").get_json()
    [threshold] = answer["tables"]
    assert [r["changes"][0]["new"] for r in threshold["rules"]] == ["< 2", ">= 2"] and answer["counts"]["tables"] == 1
