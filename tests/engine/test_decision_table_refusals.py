"""Each kind of broken decision table is refused at deploy with its file, decision, rule number and line, before
any case could run it (SpiffWorkflow would otherwise find most of these mid-case, or never)."""
from __future__ import annotations

import pytest

from app.engine import DefinitionError, compile_bundle
from tests.dmn_tables import DMN_NS, bundle, table

#: Rule n of a table written by tests.dmn_tables.table is on line 6 + n - 1.
GOOD = (['"high"'], ['"Red"'])


def problems(dmn: dict[str, bytes], after: str = "", decision_ref: str | None = "decide") -> list:
    with pytest.raises(DefinitionError) as refused:
        compile_bundle(bundle(dmn, decision_ref=decision_ref, after=after), "decide")
    return refused.value.problems


def one(rules, inputs=("risk",), outputs=("rag",), **kwargs) -> dict[str, bytes]:
    return {"risk.dmn": table("decide", list(inputs), list(outputs), rules, **kwargs)}


@pytest.mark.parametrize(("rules", "message"), [
    ([GOOD, (["[1..5]"], ['"Amber"'])], "FEEL range"),
    ([GOOD, (['not("high")'], ['"Amber"'])], "not(...)"),
    ([GOOD, (['< date("2024-01-01")'], ['"Amber"'])], "date and time"),
    ([GOOD, (["true"], ['"Amber"'])], "write True"),
    ([GOOD, (['"low", "medium"'], ['"Amber"'])], "in (\"a\", \"b\")"),
    ([GOOD, (["=> 5"], ['"Amber"'])], "not a Python expression"),
    ([GOOD, (["-"], ['"Amber" +'])], "the sandbox cannot compile"),
    ([GOOD, (["-"], ["__import__('os')"])], "refused by the sandbox"),
])
def test_an_entry_the_engine_cannot_evaluate_is_refused_with_its_rule_and_line(rules, message):
    found = [p for p in problems(one(rules, hit_policy="FIRST")) if message in p.message]
    assert found, problems(one(rules, hit_policy="FIRST"))
    assert (found[0].file, found[0].element_id, found[0].rule, found[0].line) == ("risk.dmn", "decide", 2, 7)


@pytest.mark.parametrize(("policy", "extra"), [("PRIORITY", ""), ("RULE ORDER", ""), ("ANY", ""),
                                               ("COLLECT", ' aggregation="SUM"')])
def test_a_hit_policy_the_engine_does_not_evaluate_is_refused(policy, extra):
    found = problems(one([GOOD], hit_policy=policy, extra=extra))
    assert any("hit policy" in p.message or "COLLECT with SUM" in p.message for p in found), found
    assert found[0].file == "risk.dmn" and found[0].element_id == "decide" and found[0].line == 4


def test_a_file_that_is_not_dmn_1_3_is_refused():
    older = table("decide", ["risk"], ["rag"], [GOOD]).replace(DMN_NS.encode(), b"http://www.omg.org/spec/DMN/20151101/dmn.xsd")
    found = problems({"old.dmn": older})
    assert "not a DMN 1.3 file" in found[0].message and "save it again" in found[0].message


def test_a_table_that_breaks_the_schema_or_is_not_xml_is_refused_with_its_line():
    broken = table("decide", ["risk"], ["rag"], [GOOD]).replace(b"<rule ", b"<rules ").replace(b"</rule>", b"</rules>")
    assert "DMN 1.3 schema" in problems({"broken.dmn": broken})[0].message
    truncated = table("decide", ["risk"], ["rag"], [GOOD])[:-40]
    assert "well-formed" in problems({"cut.dmn": truncated})[0].message


def test_columns_without_an_expression_or_a_name_are_refused():
    no_expression = table("decide", [""], ["rag"], [GOOD])
    no_name = table("decide", ["risk"], [""], [GOOD])
    assert any("has no expression" in p.message for p in problems({"a.dmn": no_expression}))
    assert any("has no name" in p.message for p in problems({"b.dmn": no_name}))


def test_a_rule_that_can_never_match_is_refused():
    found = problems(one([GOOD, (["5 < ? < 3"], ['"Amber"'])], inputs=("ticks",)))
    assert (found[0].rule, found[0].line) == (2, 7) and "can never match" in found[0].message


def test_overlapping_rules_under_unique_are_refused_naming_both():
    rules = [(["< 5", '"high"'], ['"Red"']), (["<= 5", '? in ("high", "medium")'], ['"Amber"']),
             ([">= 6", "-"], ['"Green"'])]
    found = problems(one(rules, inputs=("ticks", "risk")))
    assert [(p.rule, p.line) for p in found] == [(2, 7)] and "overlaps rule 1" in found[0].message


def test_under_first_a_rule_an_earlier_one_always_beats_is_refused_and_overlaps_are_fine():
    rules = [(["< 5", '"high"'], ['"Red"']), (["<= 5", "-"], ['"Amber"']), (["< 3", '"high"'], ['"Green"'])]
    found = problems(one(rules, inputs=("ticks", "risk"), hit_policy="FIRST"))
    assert [(p.rule, p.line) for p in found] == [(3, 8)] and "rule 1 comes first" in found[0].message


def test_exclusive_integer_rules_are_not_an_overlap():
    rules = [(["> 0"], ['"Amber"']), (["0"], ['"Green"'])]
    dmn = {"n.dmn": table("decide", ["children"], ["rag"], rules).replace(b'typeRef="string"', b'typeRef="integer"', 1)}
    assert all(w.rule is None for w in compile_bundle(bundle(dmn), "decide").warnings)  # no overlap


def test_an_input_set_only_after_the_business_rule_task_is_a_warning_naming_it():
    definition = compile_bundle(bundle(one([GOOD]), after="risk = 'high'"), "decide")
    warning = next(w for w in definition.warnings if "'risk'" in w.message)
    assert warning.file == "risk.dmn" and "no step before the business rule task sets 'risk'" in warning.message


def test_one_decision_per_file_and_one_file_per_decision():
    two = table("decide", ["risk"], ["rag"], [GOOD]).replace(
        b"</definitions>", b'<decision id="other" name="Other"><decisionTable id="t2"><output id="o2" name="x" />'
        b"</decisionTable></decision></definitions>")
    assert "exactly one decision" in problems({"two.dmn": two})[0].message
    same = table("decide", ["risk"], ["rag"], [GOOD])
    assert "also in a.dmn" in problems({"a.dmn": same, "b.dmn": same})[0].message
