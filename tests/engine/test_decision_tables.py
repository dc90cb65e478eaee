"""Decision tables (DMN) run by a business rule task, inside the engine boundary: the table's entries are
evaluated by the same sandboxed evaluator, under the same budgets, as every expression of a diagram."""
from __future__ import annotations

import hashlib
import json

import pytest

from app.core.config import PROJECT_ROOT
from app.engine import CaseWorkflow, DefinitionError, ProcessBundle, ProcessFault, compile_bundle
from app.engine.evaluator import warm_up
from tests.dmn_tables import bundle, table

#: How a hub might rate a contact: the first rule that fits wins under FIRST; UNIQUE wants one rule to fit.
RATING = [(["< 5", '"neglect"'], ['"Red"', '"under five, neglect"']),
          (["-", '"neglect"'], ['"Amber"', '"neglect"']),
          ([">= 5", '? in ("bullying", "housing")'], ['"Green"', '"universal services"'])]


def run(dmn: dict[str, bytes], data: dict, after: str = "") -> dict:
    definition = compile_bundle(bundle(dmn, after=after), "decide")
    workflow, _events = CaseWorkflow.start(definition, data)
    return workflow.case_data()


def test_a_business_rule_task_runs_its_table_and_later_steps_read_the_outputs():
    dmn = {"rating.dmn": table("decide", ["age", "factor"], ["rag", "why"], RATING, hit_policy="FIRST")}
    young = run(dmn, {"age": 3, "factor": "neglect"}, after="seen = rag")
    older = run(dmn, {"age": 9, "factor": "neglect"}, after="seen = rag")
    housing = run(dmn, {"age": 12, "factor": "housing"}, after="seen = rag")
    assert (young["rag"], young["why"], young["seen"]) == ("Red", "under five, neglect", "Red")
    assert (older["rag"], older["why"]) == ("Amber", "neglect")
    assert housing["rag"] == "Green"


def test_unique_takes_the_one_rule_that_fits_and_no_rule_sets_nothing():
    rules = [(['"high"'], ["True"]), (['"medium"', ], ["False"])]
    dmn = {"marac.dmn": table("decide", ["risk"], ["marac"], rules)}
    assert run(dmn, {"risk": "high"})["marac"] is True
    assert "marac" not in run(dmn, {"risk": "standard"})


def test_collect_gives_every_matching_rule_as_a_list():
    rules = [(["> 0"], ['"tell the school"']), (["-"], ['"record it"']), (["> 5"], ['"never"'])]
    dmn = {"actions.dmn": table("decide", ["children"], ["actions"], rules, hit_policy="COLLECT")}
    assert run(dmn, {"children": 2})["actions"] == ["tell the school", "record it"]


def test_a_table_entry_that_runs_away_is_stopped_by_the_budget_and_names_its_rule():
    rules = [(["< 5"], ['"Red"']), (["> sum(range(10 ** 12))"], ['"Amber"'])]
    definition = compile_bundle(bundle({"slow.dmn": table("decide", ["age"], ["rag"], rules, hit_policy="FIRST")}),
                                "decide")
    warm_up(wait=True)
    with pytest.raises(ProcessFault) as caught:
        CaseWorkflow.start(definition, {"age": 9})
    assert caught.value.element_id == "decide_it" and caught.value.budget == "time"
    assert "decision table rule 2" in str(caught.value)


def test_an_entry_the_sandbox_refuses_is_refused_at_deploy_with_its_rule():
    rules = [(["< 5"], ['"Red"']), (["-"], ["open('/etc/passwd').read()"])]
    with pytest.raises(DefinitionError) as refused:
        compile_bundle(bundle({"escape.dmn": table("decide", ["age"], ["rag"], rules, hit_policy="FIRST")}), "decide")
    problem = next(p for p in refused.value.problems if p.rule is not None)
    assert (problem.file, problem.element_id, problem.rule) == ("escape.dmn", "decide", 2)
    assert "open" in problem.message and problem.line == 7


def test_an_entry_the_engine_would_glue_to_its_input_is_refused_with_the_way_to_write_it():
    rules = [(["-", 'in ("bullying", "housing")'], ['"Green"'])]
    with pytest.raises(DefinitionError) as refused:
        compile_bundle(bundle({"glued.dmn": table("decide", ["age", "factor"], ["rag"], rules)}), "decide")
    problem = refused.value.problems[0]
    assert problem.rule == 1 and "factorin" in problem.message and '? in ("bullying", "housing")' in problem.message


def test_a_business_rule_task_naming_a_decision_the_bundle_does_not_hold_is_refused():
    dmn = {"rating.dmn": table("rating", ["age"], ["rag"], [(["-"], ['"Green"'])])}
    with pytest.raises(DefinitionError) as refused:
        compile_bundle(bundle(dmn, decision_ref="threshold"), "decide")
    problem = refused.value.problems[0]
    assert problem.file == "decide.bpmn" and problem.element_id == "decide_it"
    assert "'threshold'" in problem.message and "rating" in problem.message


def test_a_bundle_without_tables_keeps_the_hash_it_was_stored_under_and_its_stored_form():
    shipped = ProcessBundle.from_directories(PROJECT_ROOT / "processes", PROJECT_ROOT / "forms")
    without = ProcessBundle(bpmn=shipped.bpmn, forms=shipped.forms, policies=shipped.policies)
    digest = hashlib.sha256()  # the hash as versions stored before decision tables computed it
    for name in sorted(without.bpmn):
        digest.update(b"bpmn\0" + name.encode() + b"\0" + without.bpmn[name] + b"\0")
    for key in sorted(without.forms):
        digest.update(b"form\0" + key.encode() + b"\0" + without.forms[key].encode() + b"\0")
    digest.update(b"policies\0" + (without.policies or "").encode() + b"\0")
    assert without.content_hash == digest.hexdigest()
    assert "dmn" not in without.to_json()
    old_json = json.loads(json.dumps(without.to_json()))
    assert ProcessBundle.from_json(old_json) == without and ProcessBundle.from_json(old_json).dmn == {}


def test_tables_are_part_of_a_bundle_its_hash_and_its_stored_form():
    dmn = {"rating.dmn": table("decide", ["age"], ["rag"], [(["-"], ['"Green"'])])}
    with_table = bundle(dmn)
    changed = bundle({"rating.dmn": table("decide", ["age"], ["rag"], [(["-"], ['"Amber"'])])})
    assert with_table.content_hash != bundle({}).content_hash != changed.content_hash
    assert ProcessBundle.from_json(json.loads(json.dumps(with_table.to_json()))) == with_table


def test_spiffworkflows_own_form_of_naming_the_decision_runs_the_table_too():
    dmn = {"rating.dmn": table("decide", ["age"], ["rag"], [(["< 5"], ['"Red"']), ([">= 5"], ['"Green"'])])}
    spiff = bundle(dmn, decision_ref=None)
    spiff = ProcessBundle(bpmn={"decide.bpmn": spiff.bpmn["decide.bpmn"].replace(
        b'name="Decide it">', b'name="Decide it"><bpmn:extensionElements>'
        b'<spiffworkflow:calledDecisionId xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core">'
        b"decide</spiffworkflow:calledDecisionId></bpmn:extensionElements>", 1)}, forms={}, dmn=dmn)
    assert b"calledDecisionId" in spiff.bpmn["decide.bpmn"]
    workflow, _events = CaseWorkflow.start(compile_bundle(spiff, "decide"), {"age": 2})
    assert workflow.case_data()["rag"] == "Red"
