"""The task tree walked by app/engine/tree_walk.py: the engine's workflows use it, their state is saved as
SpiffWorkflow's, it walks as SpiffWorkflow walks down to the depth where SpiffWorkflow stops looking, and the check
tests/conftest.py runs on every walk can fail."""
from __future__ import annotations

import json

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from app.core.config import PROJECT_ROOT
from app.core.roles import LANE_ROLES
from app.engine import CaseWorkflow, ProcessBundle, compile_bundle, tree_walk
from app.engine.table_engine import HubParser
from app.engine.tree_walk import MAX_DEPTH, QuickWalkWorkflow
from tests import factories as f
from tests.engine.walk_check import walked_in_step

ROUNDS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="rounds" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="work" />
    <bpmn:manualTask id="work"><bpmn:incoming>f0</bpmn:incoming><bpmn:incoming>again</bpmn:incoming>
      <bpmn:outgoing>f1</bpmn:outgoing></bpmn:manualTask>
    <bpmn:sequenceFlow id="f1" sourceRef="work" targetRef="count" />
    <bpmn:scriptTask id="count"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>rounds = rounds + 1</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="count" targetRef="more" />
    <bpmn:exclusiveGateway id="more" default="done"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>again</bpmn:outgoing><bpmn:outgoing>done</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="again" sourceRef="more" targetRef="work">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression"
        xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">rounds &lt; 1000</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="done" sourceRef="more" targetRef="end" />
    <bpmn:endEvent id="end"><bpmn:incoming>done</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture(scope="module")
def definition():
    return compile_bundle(ProcessBundle.from_directories(PROJECT_ROOT / "processes", PROJECT_ROOT / "forms"))


@pytest.fixture
def walks(monkeypatch) -> list[int]:
    """The state asked for by each quick walk while the test runs."""
    asked: list[int] = []
    walk = tree_walk.walk

    def counted(workflow, state):
        asked.append(state)
        return walk(workflow, state)

    monkeypatch.setattr(tree_walk, "walk", counted)
    return asked


def _start(definition) -> CaseWorkflow:
    workflow, _ = CaseWorkflow.start(definition, {
        "reference": "MASH-WALK", "received_at": "2027-01-04T09:00:00+00:00", "source": "2A",
        "immediate_risk": False, "has_open_case": False, "open_enquiry": None, "outcome": None,
        "strategy_outcome": None, "referral_date": None})
    return workflow


def test_a_case_runs_and_restores_as_a_quick_walk_workflow_saved_under_spiffworkflows_name(definition, walks):
    workflow = _start(definition)
    assert type(workflow.workflow) is QuickWalkWorkflow
    screening = next(t for t in workflow.open_user_tasks() if t.info.bpmn_id == "screening")
    walks.clear()
    workflow.complete_task(screening.task_id, f.screening("amber", ["police", "health"]), frozenset(LANE_ROLES))
    # the waiting tasks updated after each task completed, and the READY ones looked for, took the quick walk
    assert TaskState.WAITING in walks and TaskState.READY in walks
    state = workflow.serialize()
    assert json.loads(state)["typename"] == "BpmnWorkflow"
    restored = CaseWorkflow.restore(definition, state)
    assert type(restored.workflow) is QuickWalkWorkflow
    assert restored.serialize() == state


def test_a_loop_deeper_than_spiffworkflows_depth_limit_stops_where_spiffworkflow_stops():
    """SpiffWorkflow's iterator does not descend below depth 1,000: a process looping past it sees no READY task
    there and stops as if it had ended. The quick walk stops at the same round (every walk is checked in step with
    SpiffWorkflow's own by tests/conftest.py)."""
    parser = HubParser()
    parser.add_bpmn_str(ROUNDS.encode())
    spec = parser.get_spec("rounds")
    quick, stock = QuickWalkWorkflow(spec), BpmnWorkflow(spec)
    rounds = {}
    for name, workflow in (("quick", quick), ("stock", stock)):
        workflow.task_tree.data["rounds"] = 0
        workflow.do_engine_steps()
        done = 0
        while (ready := workflow.get_tasks(state=TaskState.READY, manual=True)) and done < 1000:
            ready[0].run()
            workflow.do_engine_steps()
            done += 1
        rounds[name] = done
    assert rounds["quick"] == rounds["stock"]
    assert rounds["quick"] < 1000, "the loop never went below the depth limit: this test tests nothing"
    assert max(_depth(t) for t in quick.get_tasks()) < MAX_DEPTH + 1 < max(_depth(t) for t in quick.tasks.values())


def test_waiting_tasks_are_walked_to_only_when_a_task_is_waiting(definition, walks):
    """update_waiting_tasks makes no walk when no task is WAITING (the walk would find none); it walks, as
    SpiffWorkflow does, when one is (the conftest check compares that walk with SpiffWorkflow's)."""
    workflow = _start(definition).workflow
    states = {task.state for task in workflow.tasks.values()}
    assert TaskState.WAITING in states, "the referral has a waiting timer from the start: this test tests nothing"
    walks.clear()
    workflow.update_waiting_tasks()
    assert walks == [TaskState.WAITING]

    waiting = [task for task in workflow.tasks.values() if task.state == TaskState.WAITING]
    for task in waiting:
        task._state = TaskState.FUTURE  # as if none had been reached yet
    walks.clear()
    workflow.update_waiting_tasks()
    assert walks == []
    assert all(task.state == TaskState.FUTURE for task in waiting)


def test_questions_the_quick_walk_does_not_answer_go_to_spiffworkflow(definition, walks):
    workflow = _start(definition).workflow
    walks.clear()
    by_name = workflow.get_tasks(spec_name="screening")
    assert [t.task_spec.name for t in by_name] == ["screening"] and walks == []
    assert workflow.get_tasks(first_task=workflow.task_tree, state=TaskState.READY) == \
        BpmnWorkflow.get_tasks(workflow, state=TaskState.READY)
    assert walks == []


def test_the_check_in_step_with_spiffworkflow_finds_a_walk_in_another_order_or_one_that_stops_early(definition):
    workflow = _start(definition).workflow
    found: list[str] = []
    list(walked_in_step(lambda wf, state: reversed(list(tree_walk.walk(wf, state))), workflow, TaskState.ANY_MASK,
                        found))
    assert found and "where SpiffWorkflow walks to" in found[0]
    found.clear()
    list(walked_in_step(lambda wf, state: iter(list(tree_walk.walk(wf, state))[:-1]), workflow, TaskState.ANY_MASK,
                        found))
    assert found and "the walk ended before" in found[0]
    found.clear()
    list(walked_in_step(tree_walk.walk, workflow, TaskState.ANY_MASK, found))
    assert found == []


def _depth(task) -> int:
    depth = 0
    while task.parent is not None:
        task, depth = task.parent, depth + 1
    return depth
