"""Every piece of diagram code runs under a budget: a diagram that loops, hoards memory or asks for one huge
calculation is stopped, named, and the worker is free again at once.

How long each takes to stop is measured in bench/sandbox_bench.py, not asserted here (the machine is shared)."""
from __future__ import annotations

import dataclasses
import pickle
from datetime import UTC, datetime

import pytest

from app.core.clock import clock
from app.core.config import PROJECT_ROOT
from app.core.sla import SlaConfig
from app.engine import CaseWorkflow, ProcessBundle, ProcessFault, compile_bundle
from app.engine import evaluator as evaluator_module
from app.engine.evaluator import BudgetExceeded, IsolatedEnvironment, budget_of, warm_up

#: The start of the first script every contact runs (open_the_record); the bad code is added after it.
RISK_SCRIPT = "went_without = []\nreturned_checks = []"
SCRIPTED = "open_the_record"

#: Diagrams a careless or hostile process owner could write, added to the first script.
BAD_SCRIPTS = {
    "an endless loop": ("n = 0\nwhile True:\n    n += 1", "time"),
    "a huge loop": ("n = 0\nfor i in range(150000000):\n    n += 1", "time"),
    "a memory bomb": ("size = 10 ** 9\nfiller = 'a' * size", "memory"),
    "a huge number": ("base = 10\nbig = base ** (base ** 7)", "time"),
}


@pytest.fixture(scope="module")
def bundle() -> ProcessBundle:
    return ProcessBundle.from_directories(PROJECT_ROOT / "processes", PROJECT_ROOT / "forms")


def with_risk_script(bundle: ProcessBundle, script: str):
    referral = bundle.bpmn["referral.bpmn"].decode("utf-8")
    assert RISK_SCRIPT in referral
    diagrams = {**bundle.bpmn,
                "referral.bpmn": referral.replace(RISK_SCRIPT, f"{RISK_SCRIPT}\n{script}", 1).encode("utf-8")}
    return compile_bundle(dataclasses.replace(bundle, bpmn=diagrams))


def start(definition, **data):
    initial = {"reference": "MASH-T-1", "received_at": clock.now().isoformat(), "source": "2A",
               "immediate_risk": True, "has_open_case": False, "open_enquiry": None, "outcome": None,
               "strategy_outcome": None, **data}
    return CaseWorkflow.start(definition, initial)


@pytest.fixture
def environment():
    warm_up(wait=True)
    return IsolatedEnvironment("test", SlaConfig(), frozenset())


# ----------------------------------------------------------------------------- each kind of runaway diagram
@pytest.mark.parametrize("kind", sorted(BAD_SCRIPTS))
def test_a_runaway_script_is_stopped_by_its_budget_and_named(bundle, kind):
    script, budget = BAD_SCRIPTS[kind]
    definition = with_risk_script(bundle, script)
    warm_up(wait=True)
    with pytest.raises(ProcessFault) as caught:
        start(definition)
    assert caught.value.element_id == SCRIPTED
    assert caught.value.budget == budget
    assert f"{budget} budget" in str(caught.value)


def test_deep_recursion_is_a_fault_of_its_element(bundle):
    definition = with_risk_script(bundle, "def deeper(n):\n    return deeper(n + 1)\ndepth = deeper(0)")
    with pytest.raises(ProcessFault) as caught:
        start(definition)
    assert caught.value.element_id == SCRIPTED
    assert "RecursionError" in str(caught.value) and caught.value.budget is None


def test_the_shipped_diagram_still_runs_its_scripts_and_conditions(bundle):
    clock.freeze(datetime(2027, 1, 11, 10, 0, tzinfo=UTC))  # a Monday morning: the hub is open
    workflow, _events = start(compile_bundle(bundle))
    assert workflow.case_data()["referrals_to_make"] == []  # the first script ran
    assert [task.info.name for task in workflow.open_user_tasks()] == ["Confirm immediate risk"]


# ----------------------------------------------------------------------------- the evaluator itself
def test_a_condition_that_asks_for_too_much_memory_is_stopped(environment):
    with pytest.raises(BudgetExceeded) as caught:
        environment.evaluate("len('a' * 10**8) > 0", {})
    assert caught.value.kind == "memory"
    assert environment.evaluate("len('a' * 10**6)", {}) == 10**6  # a million characters is fine


def test_all_the_code_of_one_step_shares_the_step_budget(environment):
    with budget_of(step_seconds=0.3, eval_cpu_seconds=5):
        environment.begin_step()
        try:
            with pytest.raises(BudgetExceeded) as caught:
                environment.execute("while True:\n    pass", {})
        finally:
            environment.end_step()
    assert caught.value.kind == "time" and "one step" in str(caught.value)


def test_after_a_kill_the_next_evaluation_finds_an_evaluator_ready(environment):
    with pytest.raises(BudgetExceeded):
        environment.evaluate("10 ** 10 ** 7", {})
    # The killed evaluator is not given back; the spare started when it was taken is waiting in the pool.
    assert any(spare.alive() for spare in evaluator_module._POOL._idle)
    assert environment.evaluate("rag == 'red'", {"rag": "red"}) is True


def test_the_hubs_clock_drives_now_inside_the_evaluator(environment):
    clock.freeze(datetime(2026, 3, 6, 15, 0, tzinfo=UTC))  # a Friday afternoon in training
    assert environment.evaluate("now()", {}) == "2026-03-06T15:00:00+00:00"
    clock.freeze(datetime(2030, 1, 2, 9, 0, tzinfo=UTC))
    assert environment.evaluate("now()", {}) == "2030-01-02T09:00:00+00:00"


def test_scripts_change_the_case_data_they_are_given(environment):
    data = {"new_rag": "red", "agencies": ["police", "health"], "when": datetime(2026, 1, 5, tzinfo=UTC)}
    environment.execute("rag = new_rag\ncount = len(agencies)\nwhen_text = when.isoformat()\ndel agencies", data)
    assert data == {"new_rag": "red", "rag": "red", "count": 2, "when": datetime(2026, 1, 5, tzinfo=UTC),
                    "when_text": "2026-01-05T00:00:00+00:00"}


def test_a_script_error_keeps_its_kind_and_line(environment):
    with pytest.raises(ZeroDivisionError):
        environment.execute("a = 1\nb = a / 0", {})
    with pytest.raises(NameError):
        environment.evaluate("missing == 1", {})


def test_a_value_the_case_cannot_keep_is_refused(environment):
    with pytest.raises(TypeError, match="cannot keep"):
        environment.execute("later = map(str, [1, 2])", {})


def test_the_sandbox_still_refuses_escapes_in_the_evaluator(environment):
    for attack in ('__import__("os").system("true")', "().__class__.__base__.__subclasses__()",
                   'open("/etc/passwd").read()'):
        with pytest.raises(Exception):  # noqa: B017,PT011 - refused, whichever way the sandbox says it
            environment.evaluate(attack, {})


def test_replies_from_the_evaluator_are_read_as_plain_data_only():
    import os

    assert evaluator_module._plain_data(pickle.dumps({"at": datetime(2026, 1, 1, tzinfo=UTC), "n": {1, 2}})) == {
        "at": datetime(2026, 1, 1, tzinfo=UTC), "n": {1, 2}}
    with pytest.raises(pickle.UnpicklingError):
        evaluator_module._plain_data(pickle.dumps(os.system))


ENDLESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">
  <bpmn:process id="endless" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="count" />
    <bpmn:scriptTask id="count"><bpmn:incoming>f0</bpmn:incoming><bpmn:incoming>again</bpmn:incoming>
      <bpmn:outgoing>f1</bpmn:outgoing><bpmn:script>n = n + 1</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f1" sourceRef="count" targetRef="more" />
    <bpmn:exclusiveGateway id="more" default="done"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>again</bpmn:outgoing><bpmn:outgoing>done</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="again" sourceRef="more" targetRef="count">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">n &gt; 0</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="done" sourceRef="more" targetRef="end" />
    <bpmn:endEvent id="end"><bpmn:incoming>done</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_loop_of_plain_code_that_never_ends_is_stopped_and_named(asks):
    """Plain code runs in the app's process, uncharged to the step's CPU budget: the step's count of elements run
    stops the loop instead."""
    from app.engine.definitions import CompiledDefinition
    from app.engine.runtime import MAX_ENGINE_TASKS_PER_STEP
    from app.engine.table_engine import HubParser

    parser = HubParser()
    parser.add_bpmn_str(ENDLESS.encode())
    definition = CompiledDefinition(bundle=ProcessBundle(bpmn={"endless.bpmn": ENDLESS.encode()}, forms={}),
                                    process_id="endless", spec=parser.get_spec("endless"), subprocess_specs={},
                                    forms={})
    with pytest.raises(ProcessFault) as caught:
        CaseWorkflow.start(definition, {"n": 0})
    assert caught.value.budget == "time"
    assert caught.value.element_id in ("count", "more")
    assert f"stopped after {MAX_ENGINE_TASKS_PER_STEP:,} elements run in one step" in str(caught.value)
    assert asks == []  # it was all plain code
