"""Parallel joins: app/engine/joins.py answers as SpiffWorkflow does, outside loops by its shorter way and inside
a loop by SpiffWorkflow's own method. (tests/conftest.py also checks every join decision of every test.)"""
from __future__ import annotations

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.defaults import ParallelGateway as SpiffParallelGateway
from SpiffWorkflow.util.task import TaskState

from app.core.roles import LANE_ROLES
from app.engine import ProcessBundle, compile_bundle
from app.engine.joins import ParallelGateway
from app.engine.table_engine import HubParser
from tests import factories as f

LOOP = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="rounds" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="fork" />
    <bpmn:parallelGateway id="fork"><bpmn:incoming>f0</bpmn:incoming><bpmn:incoming>again</bpmn:incoming>
      <bpmn:outgoing>fa</bpmn:outgoing><bpmn:outgoing>fb</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:sequenceFlow id="fa" sourceRef="fork" targetRef="police" />
    <bpmn:sequenceFlow id="fb" sourceRef="fork" targetRef="health" />
    <bpmn:manualTask id="police"><bpmn:incoming>fa</bpmn:incoming><bpmn:outgoing>ja</bpmn:outgoing></bpmn:manualTask>
    <bpmn:manualTask id="health"><bpmn:incoming>fb</bpmn:incoming><bpmn:outgoing>jb</bpmn:outgoing></bpmn:manualTask>
    <bpmn:sequenceFlow id="ja" sourceRef="police" targetRef="join" />
    <bpmn:sequenceFlow id="jb" sourceRef="health" targetRef="join" />
    <bpmn:parallelGateway id="join"><bpmn:incoming>ja</bpmn:incoming><bpmn:incoming>jb</bpmn:incoming>
      <bpmn:outgoing>fc</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:sequenceFlow id="fc" sourceRef="join" targetRef="count" />
    <bpmn:scriptTask id="count"><bpmn:incoming>fc</bpmn:incoming><bpmn:outgoing>fd</bpmn:outgoing>
      <bpmn:script>rounds = rounds + 1</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="fd" sourceRef="count" targetRef="more" />
    <bpmn:exclusiveGateway id="more" default="done"><bpmn:incoming>fd</bpmn:incoming>
      <bpmn:outgoing>again</bpmn:outgoing><bpmn:outgoing>done</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="again" sourceRef="more" targetRef="fork">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression"
        xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">rounds &lt; 3</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="done" sourceRef="more" targetRef="end" />
    <bpmn:endEvent id="end"><bpmn:incoming>done</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def fallbacks(monkeypatch) -> list[str]:
    """Each join decision that went to SpiffWorkflow's own method through super() (tests/conftest.py's check
    calls that method as it was before this fixture, so it is not counted)."""
    taken: list[str] = []
    own = SpiffParallelGateway._check_threshold_unstructured

    def counted(self, my_task):
        taken.append(self.name)
        return own(self, my_task)

    monkeypatch.setattr(SpiffParallelGateway, "_check_threshold_unstructured", counted)
    return taken


def test_the_hub_parser_makes_its_parallel_gateways_from_joins():
    parser = HubParser()
    parser.add_bpmn_str(LOOP.encode())
    spec = parser.get_spec("rounds")
    assert type(spec.task_specs["join"]) is ParallelGateway
    assert type(spec.task_specs["fork"]) is ParallelGateway


def test_a_join_inside_a_loop_is_decided_by_spiffworkflow_and_each_round_waits_for_both_checks(fallbacks):
    parser = HubParser()
    parser.add_bpmn_str(LOOP.encode())
    workflow = BpmnWorkflow(parser.get_spec("rounds"))
    workflow.task_tree.data["rounds"] = 0
    workflow.do_engine_steps()
    for expected_round in (1, 2, 3):
        ready = {t.task_spec.name: t for t in workflow.get_tasks(state=TaskState.READY)}
        assert sorted(ready) == ["health", "police"]
        ready["police"].run()
        workflow.do_engine_steps()
        assert [t.task_spec.name for t in workflow.get_tasks(state=TaskState.READY)] == ["health"], \
            "the join fired before the health check came back"
        ready["health"].run()
        workflow.do_engine_steps()
        rounds = workflow.last_task.data.get("rounds") if workflow.completed else None
        if expected_round < 3:
            assert not workflow.completed
    assert workflow.completed and rounds == 3
    assert "join" in fallbacks, "no decision in the loop went to SpiffWorkflow's own method"


def test_the_referral_waits_for_all_seven_agency_checks_deciding_its_joins_the_short_way(fallbacks):
    definition = compile_bundle(ProcessBundle.from_directories(*_folders()))
    from app.engine import CaseWorkflow

    workflow, _ = CaseWorkflow.start(definition, {
        "reference": "MASH-JOIN", "received_at": "2026-12-07T09:00:00+00:00", "source": "2A",
        "immediate_risk": False, "has_open_case": False, "open_enquiry": None, "outcome": None,
        "strategy_outcome": None, "referral_date": None})
    agencies = ["police", "health", "education", "probation", "housing", "youth-justice", "adult-social-care"]
    roles = frozenset(LANE_ROLES)
    screening = next(t for t in workflow.open_user_tasks() if t.info.bpmn_id == "screening")
    workflow.complete_task(screening.task_id, f.screening("amber", agencies), roles)
    for agency in agencies:
        assert not any(t.info.bpmn_id == "mash_review" for t in workflow.open_user_tasks()), \
            f"the review opened before {agency}'s check came back"
        check = next(t for t in workflow.open_user_tasks() if t.info.bpmn_id == f"{agency.replace('-', '_')}_check")
        workflow.complete_task(check.task_id, f.agency_return(), roles)
    assert any(t.info.bpmn_id == "mash_review" for t in workflow.open_user_tasks())
    assert fallbacks == []


def _folders():
    from app.core.config import PROJECT_ROOT

    return PROJECT_ROOT / "processes", PROJECT_ROOT / "forms"
