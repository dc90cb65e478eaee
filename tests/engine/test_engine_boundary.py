"""The engine boundary: definitions refused with element and line, the sandbox, READY and role checks,
state round trips and timers on the injected clock."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.core.clock import clock
from app.core.config import PROJECT_ROOT
from app.core.roles import LANE_ROLES
from app.engine import (
    CaseWorkflow,
    DefinitionError,
    NotPermitted,
    ProcessBundle,
    ProcessFault,
    TaskNotReady,
    compile_bundle,
)
from app.engine.sandbox import RestrictedEnvironment, SandboxError, compile_expression
from tests import factories as f
from tests.engine.state_check import stock_restore, stock_serializer

ALL_ROLES = frozenset(LANE_ROLES)


@pytest.fixture(scope="module")
def bundle() -> ProcessBundle:
    return ProcessBundle.from_directories(PROJECT_ROOT / "processes", PROJECT_ROOT / "forms")


@pytest.fixture(scope="module")
def definition(bundle):
    return compile_bundle(bundle)


def start(definition, **data):
    initial = {"reference": "MASH-T-1", "received_at": clock.now().isoformat(), "source": "2A",
               "immediate_risk": False, "has_open_case": False, "open_enquiry": None, "outcome": None,
               "strategy_outcome": None, **data}
    workflow, _events = CaseWorkflow.start(definition, initial)
    return workflow


def do(workflow, element_id: str, data: dict, roles=ALL_ROLES):
    task = next(t for t in workflow.open_user_tasks() if t.info.bpmn_id == element_id)
    return workflow.complete_task(task.task_id, data, roles)


def names(workflow) -> list[str]:
    return sorted(t.info.bpmn_id for t in workflow.open_user_tasks())


# ----------------------------------------------------------------------------- definitions
def test_the_shipped_diagrams_compile_with_every_user_task_in_a_lane_with_a_form(definition):
    tasks = definition.user_tasks
    assert ("referral", "screening") in tasks and ("strategy_discussion", "record_strategy_discussion") in tasks
    for info in tasks.values():
        assert info.role in LANE_ROLES, info
        assert info.form_key in definition.forms, info
        assert info.documentation, f"{info.bpmn_id} has no documentation for trainers"
    assert tasks[("referral", "police_check")].role == "police"
    assert tasks[("referral", "youth_justice_check")].role == "youth-justice"
    assert tasks[("referral", "police_check")].result_variable == "police_check"


def _replace(bundle, old: bytes, new: bytes, file="referral.bpmn") -> ProcessBundle:
    assert old in bundle.bpmn[file], old
    return ProcessBundle(bpmn={**bundle.bpmn, file: bundle.bpmn[file].replace(old, new, 1)}, forms=bundle.forms,
                         dmn=bundle.dmn)


def test_a_malformed_diagram_is_refused_with_its_line(bundle):
    broken = _replace(bundle, b"</bpmn:process>", b"</bpmn:proces>")
    with pytest.raises(DefinitionError) as refused:
        compile_bundle(broken)
    problem = refused.value.problems[0]
    assert problem.file == "referral.bpmn" and problem.line and "well-formed" in problem.message


def test_a_lane_that_is_not_a_role_is_refused_naming_the_task(bundle):
    broken = _replace(bundle, b'name="Police"', b'name="Constabulary"')
    with pytest.raises(DefinitionError) as refused:
        compile_bundle(broken)
    problem = next(p for p in refused.value.problems if p.element_id == "police_check")
    assert "Constabulary" in problem.message and problem.line


def test_a_missing_form_is_refused(bundle):
    without = ProcessBundle(bpmn=bundle.bpmn, forms={k: v for k, v in bundle.forms.items() if k != "decision"},
                            dmn=bundle.dmn)
    with pytest.raises(DefinitionError) as refused:
        compile_bundle(without)
    assert any(p.element_id == "decision" and "forms/decision.json" in p.message for p in refused.value.problems)


def test_a_condition_that_escapes_the_sandbox_is_refused_at_load_with_element_and_line(bundle):
    broken = _replace(bundle, b'rag == "blue"', b'__import__("os").system("true") or rag == "blue"')
    with pytest.raises(DefinitionError) as refused:
        compile_bundle(broken)
    problem = refused.value.problems[0]
    assert problem.element_id and problem.line and "sandbox" in problem.message


def test_a_bundle_without_an_executable_process_is_reported_not_crashed(bundle):
    lazy = ProcessBundle(bpmn={k: v.replace(b'isExecutable="true"', b'isExecutable="false"')
                               for k, v in bundle.bpmn.items()},
                         forms=bundle.forms, dmn=bundle.dmn)
    with pytest.raises(DefinitionError) as refused:
        compile_bundle(lazy)
    assert "no executable process" in str(refused.value)


def test_the_content_hash_changes_with_any_file(bundle):
    assert _replace(bundle, b"Screen the contact", b"Screen the contact now").content_hash != bundle.content_hash
    assert ProcessBundle(bpmn=bundle.bpmn, forms=dict(bundle.forms), policies=bundle.policies,
                         dmn=dict(bundle.dmn)).content_hash == bundle.content_hash
    edited_policy = bundle.policies.replace("duration = 4", "duration = 2")
    assert ProcessBundle(bpmn=bundle.bpmn, forms=dict(bundle.forms), policies=edited_policy,
                         dmn=bundle.dmn).content_hash != bundle.content_hash
    edited_table = {**bundle.dmn, "threshold.dmn": bundle.dmn["threshold.dmn"].replace(b'"Amber"', b'"Red"', 1)}
    assert ProcessBundle(bpmn=bundle.bpmn, forms=dict(bundle.forms), policies=bundle.policies,
                         dmn=edited_table).content_hash != bundle.content_hash


# ----------------------------------------------------------------------------- sandbox
@pytest.mark.parametrize("attack", [
    '__import__("os").system("true")',
    "().__class__.__base__.__subclasses__()",
    'open("/etc/passwd").read()',
    "rag.__class__",
])
def test_the_sandbox_refuses_escapes(attack):
    env = RestrictedEnvironment({})
    with pytest.raises((SandboxError, ValueError, NameError, AttributeError)):
        env.evaluate(attack, {"rag": "red"})


def test_the_sandbox_runs_ordinary_conditions_and_scripts():
    env = RestrictedEnvironment({"double": lambda x: 2 * x})
    assert env.evaluate('"police" in agencies and double(2) == 4', {"agencies": ["police"]}) is True
    data = {"new_rag": "red", "agencies": ["a", "b"]}
    env.execute("rag = new_rag\ncount = len([a for a in agencies if a != new_rag])", data)
    assert data["rag"] == "red" and data["count"] == 2
    with pytest.raises(SandboxError):
        compile_expression("import os")


# ----------------------------------------------------------------------------- running
def test_only_a_ready_task_of_one_of_my_roles_can_be_completed(definition):
    workflow = start(definition)
    screening = workflow.open_user_tasks()[0]
    with pytest.raises(NotPermitted):
        workflow.complete_task(screening.task_id, f.screening(), frozenset({"police"}))
    do(workflow, "screening", f.screening("amber", ["police"]))
    with pytest.raises(TaskNotReady):
        workflow.complete_task(screening.task_id, f.screening(), ALL_ROLES)
    with pytest.raises(TaskNotReady):
        workflow.complete_task("not-a-uuid", {}, ALL_ROLES)


def test_state_survives_a_round_trip_without_embedding_the_diagram(definition):
    workflow = start(definition)
    do(workflow, "screening", f.screening("red", ["police", "health"]))
    state = workflow.serialize()
    assert '"spec"' not in state[:50] and "Screen the contact" not in state
    restored = CaseWorkflow.restore(definition, state)
    assert names(restored) == ["health_check", "police_check"]
    do(restored, "police_check", f.agency_return())
    do(restored, "health_check", f.agency_return(nothing_known=True))
    assert names(restored) == ["mash_review"]
    assert restored.case_data()["police_check"]["findings"].startswith("Known to us")
    assert restored.case_data()["health_check"]["nothing_known"] is True


def test_a_restored_case_saves_exactly_the_state_it_was_restored_from_at_every_step_and_walks_on_alike(definition):
    # The restore reads task ids through its own cache (app/engine/runtime.py, _TaskConverter): a timer waiting, a
    # parallel split and a join each come back as they were, and the walk goes on as the never-saved one does.
    clock.freeze(datetime(2027, 1, 4, 9, 0, tzinfo=UTC))
    plain, saved = start(definition), start(definition)
    walk = [("screening", f.screening("red", ["police", "health"])), ("police_check", f.agency_return()),
            ("health_check", f.agency_return(nothing_known=True))]
    for element, form in walk:
        state = saved.serialize()
        saved = CaseWorkflow.restore(definition, state)
        assert saved.serialize() == state
        assert names(saved) == names(plain)
        assert [t.due_at for t in saved.open_user_tasks()] == [t.due_at for t in plain.open_user_tasks()]
        do(plain, element, form)
        do(saved, element, form)
    assert names(saved) == names(plain) == ["mash_review"]
    assert saved.case_data() == plain.case_data()


def test_the_state_saved_is_what_spiffworkflow_saves_once_spiffworkflow_restores_it(definition):
    """app/engine/runtime.py writes task ids through a cache of their text, and a task with no data (a predicted
    one, mostly) as no data rather than as a delta deleting every key its parent has (a fifth of a case's state). Each
    state, restored by SpiffWorkflow's own task converter and saved again by it, is byte for byte what SpiffWorkflow
    saves for the workflow itself; and the tasks with no data are the only ones written otherwise. (The workflow's
    class is app.engine.tree_walk's, saved by SpiffWorkflow's name.)"""
    import json

    from app.engine import runtime

    spiff = stock_serializer()
    clock.freeze(datetime(2027, 1, 4, 9, 0, tzinfo=UTC))
    workflow = start(definition)
    written_otherwise = 0
    for element, form in [*REFERRAL, (None, None)]:
        ours, theirs = workflow.serialize(), spiff.serialize_json(workflow.workflow)
        assert spiff.serialize_json(stock_restore(definition, ours).workflow) == theirs
        ours_tasks, their_tasks = json.loads(ours)["tasks"], json.loads(theirs)["tasks"]
        differing = [key for key in their_tasks if ours_tasks[key] != their_tasks[key]]
        assert all(ours_tasks[key]["data"] == {} and ours_tasks[key]["delta"] == {}
                   and not workflow.workflow.tasks[runtime._task_id(key)].data for key in differing)
        assert len(ours) < len(theirs) if differing else ours == theirs
        written_otherwise += len(differing)
        if element:
            do(workflow, element, form)
    assert written_otherwise, "every task was written as SpiffWorkflow writes it: tasks with no data carry deltas again"


def test_a_task_ids_text_is_its_uuids_text_when_the_memo_fills_up(monkeypatch):
    """The save writes task ids through a memo of their text by the id's integer, emptied when full: a case saved
    once the memo is full still writes each id as SpiffWorkflow does (str of the UUID)."""
    import uuid

    from app.engine import runtime

    monkeypatch.setattr(runtime, "_ID_TEXTS", {})
    monkeypatch.setattr(runtime, "_ID_TEXTS_KEPT", 3)
    ids = [uuid.uuid4() for _ in range(7)]
    assert [runtime._task_id_text(task_id) for task_id in ids * 2] == [str(task_id) for task_id in ids * 2]
    assert 0 < len(runtime._ID_TEXTS) <= 3


REFERRAL = [("screening", f.screening("red", ["police", "health"])), ("police_check", f.agency_return()),
            ("health_check", f.agency_return(nothing_known=True)), ("mash_review", f.review())]


def test_a_restored_case_holds_spiffworkflows_data_and_a_task_that_can_run_holds_its_own_values(definition):
    """app/engine/runtime.py gives a finished task its finished parent's values themselves (not copies): the data
    is SpiffWorkflow's, and no value a task that can still run holds is held by any other task, so whatever changes
    it in place changes that task alone."""
    from SpiffWorkflow.util.task import TaskState

    workflow = start(definition, lists={"seen": ["school"]})
    shared_somewhere = False
    for element, form in [*REFERRAL, (None, None)]:
        state = workflow.serialize()
        ours, theirs = CaseWorkflow.restore(definition, state), stock_restore(definition, state)
        for task_id, task in ours.workflow.tasks.items():
            assert task.data == theirs.workflow.tasks[task_id].data, task.task_spec.name
        holders: dict[int, list] = {}
        for task in ours.workflow.tasks.values():
            for value in task.data.values():
                if isinstance(value, dict | list | set):
                    holders.setdefault(id(value), []).append(task)
        for tasks in holders.values():
            shared_somewhere = shared_somewhere or len(tasks) > 1
            if len(tasks) > 1:
                assert all(t.state & TaskState.FINISHED_MASK for t in tasks), [t.task_spec.name for t in tasks]
        workflow = ours
        if element:
            do(workflow, element, form)
    assert shared_somewhere, "no finished task shared a value: this test tests nothing"


def test_a_finished_task_under_a_task_that_can_still_run_holds_its_own_values(definition):
    """The parent can still change its values in place, so a finished child does not hold them."""
    import copy

    from SpiffWorkflow.util.task import TaskState

    workflow = start(definition, lists={"seen": ["school"]})
    ready = next(t for t in workflow.workflow.tasks.values() if t.state == TaskState.READY and t.children)
    child = ready.children[0]
    child._state = TaskState.CANCELLED
    child.data = {**copy.deepcopy(ready.data), "cancelled_because": "test"}  # a delta, so it starts from the parent

    restored = CaseWorkflow.restore(definition, workflow.serialize()).workflow
    parent, finished = restored.tasks[ready.id], restored.tasks[child.id]
    assert finished.data == child.data and parent.data["lists"] == finished.data["lists"]
    assert parent.data["lists"] is not finished.data["lists"]


def test_a_case_restored_goes_on_as_one_spiffworkflow_restored(definition):
    """The next step from each restore leaves the same tree: every task's step, state and data in the tree's
    order (the new tasks' ids are random and the times of their changes the clock's, so not those)."""
    clock.freeze(datetime(2027, 1, 4, 9, 0, tzinfo=UTC))
    workflow = start(definition, lists={"seen": ["school"]})
    for element, form in REFERRAL:
        state = workflow.serialize()
        ours, theirs = CaseWorkflow.restore(definition, state), stock_restore(definition, state)
        do(ours, element, form)
        do(theirs, element, form)
        assert _tree(ours) == _tree(theirs), element
        workflow = ours


def _tree(workflow: CaseWorkflow) -> list[tuple]:
    def below(task, depth: int) -> list[tuple]:
        return [(depth, task.task_spec.name, task.state, task.triggered, task.data, task.internal_data),
                *(row for child in task.children for row in below(child, depth + 1))]
    return below(workflow.workflow.task_tree, 0)


def test_a_failing_script_is_reported_and_the_case_is_untouched(definition):
    workflow = start(definition)
    do(workflow, "screening", f.screening("green", ["education"]))
    do(workflow, "education_check", f.agency_return())
    before = workflow.serialize()
    with pytest.raises(ProcessFault) as fault:
        do(workflow, "mash_review", {"rerate": "yes", "analysis": "x"})  # no new_rag: the script fails
    assert fault.value.element_id == "apply_new_rag"
    assert names(CaseWorkflow.restore(definition, before)) == ["mash_review"]


# ----------------------------------------------------------------------------- timers
def test_a_late_agency_check_raises_a_chase_and_can_still_be_returned(definition):
    clock.freeze(datetime(2027, 1, 4, 9, 0, tzinfo=UTC))  # Monday
    workflow = start(definition)
    do(workflow, "screening", f.screening("red", ["police"]))
    police = next(t for t in workflow.open_user_tasks() if t.info.bpmn_id == "police_check")
    assert police.due_at == datetime(2027, 1, 4, 13, 0, tzinfo=UTC)  # red: 4 elapsed hours
    clock.advance(timedelta(hours=3, minutes=59))
    workflow.fire_due_timers()
    assert names(workflow) == ["police_check"]
    clock.advance(timedelta(minutes=2))
    workflow.fire_due_timers()
    assert names(workflow) == ["chase_police_check", "police_check"]
    do(workflow, "police_check", f.agency_return())
    assert "mash_review" in names(workflow)


def test_screening_is_due_by_close_of_the_next_working_day_across_a_bank_holiday(definition):
    clock.freeze(datetime(2026, 12, 24, 15, 0, tzinfo=UTC))  # Thursday before Christmas
    workflow = start(definition)
    screening = workflow.open_user_tasks()[0]
    # 25 Dec and the substitute Boxing Day (Mon 28 Dec) are bank holidays: next working day is Tue 29 Dec.
    assert screening.due_at == datetime(2026, 12, 29, 17, 30, tzinfo=UTC)
    assert workflow.next_timer_due() == screening.due_at


def test_the_icpc_target_is_15_working_days_after_the_strategy_discussion(definition):
    clock.freeze(datetime(2027, 3, 22, 9, 0, tzinfo=UTC))
    workflow = start(definition, immediate_risk=True)
    # What the form stands for (x-decides) is applied by the case work around the engine; here, by hand.
    do(workflow, "confirm_immediate_risk",
       {**f.confirm_immediate_risk(), "rag": "red", "outcome": "strategy-discussion"})
    do(workflow, "convene_strategy_discussion", {"scheduled_on": "2027-03-22", "discussion_format": "virtual",
                                                 "chair": "Team manager"})
    do(workflow, "record_strategy_discussion", f.strategy_record("s47-joint", held_on="2027-03-22"))
    # The target runs from the strategy discussion on the enquiry's outcome already (then convening, then holding).
    icpc = next(t for t in workflow.open_user_tasks() if t.info.bpmn_id == "record_s47_outcome")
    # 15 working days from Mon 22 Mar 2027, skipping Good Friday (26 Mar) and Easter Monday (29 Mar): Wed 14 Apr,
    # 17:30 British Summer Time = 16:30 UTC.
    assert icpc.due_at == datetime(2027, 4, 14, 16, 30, tzinfo=UTC)


# ----------------------------------------------------------------------------- one case's signal, no other case's
def test_a_signal_to_one_case_leaves_the_shared_definition_as_it_was_for_every_other_case(definition):
    """SpiffWorkflow starts an event subprocess by wiring it to the process's start *in the spec*, which every case
    of the version shares: after one professional disagreement every later case began with both event subprocesses
    armed (seen as 'A contact joined this enquiry' cancelled on every closed case's trail, in whole-suite runs)."""
    before = start(definition)
    steps_before = sorted((t.task_spec.name, t.state) for t in before.workflow.get_tasks())
    outputs_before = [spec.name for spec in definition.spec.start.outputs]

    disputed = start(definition)
    events = disputed.send_signal("professional_disagreement", {"disagreement_id": 1})
    assert any(e.process_id != "referral" and e.state == "ready" for e in events)  # the subprocess did start

    assert [spec.name for spec in definition.spec.start.outputs] == outputs_before
    after = start(definition)
    assert sorted((t.task_spec.name, t.state) for t in after.workflow.get_tasks()) == steps_before
    second = disputed.send_signal("professional_disagreement", {"disagreement_id": 2})  # two signals, two subprocesses
    assert [e.element_id for e in second if e.state == "ready"] == [e.element_id for e in events if e.state == "ready"]
