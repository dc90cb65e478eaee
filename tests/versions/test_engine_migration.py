"""Moving a running workflow to a newer definition (app/engine/migration.py), without a database: the
deadlines keep their due times, call activities move with their own diff, and a case that cannot move
is refused with the reason in plain words, never left unrestorable."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.core.clock import clock
from app.core.config import PROJECT_ROOT
from app.core.roles import LANE_ROLES
from app.engine import CaseWorkflow, ProcessBundle, compile_bundle
from app.engine.migration import MigrationRefused, VersionChange
from tests import factories as f
from tests.versions.edits import closure_step, replace, timer_expression, with_diagram

ALL_ROLES = frozenset(LANE_ROLES)
MONDAY_10 = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)
CONVENE = {"scheduled_on": "2027-01-04", "discussion_format": "virtual", "chair": "Team manager"}


@pytest.fixture(scope="module")
def shipped() -> ProcessBundle:
    return ProcessBundle.from_directories(PROJECT_ROOT / "processes", PROJECT_ROOT / "forms")


@pytest.fixture(scope="module")
def v1(shipped):
    return compile_bundle(shipped)


def start(definition) -> CaseWorkflow:
    data = {"reference": "MASH-T-1", "received_at": clock.now().isoformat(), "source": "2A", "immediate_risk": False,
            "has_open_case": False, "open_enquiry": None, "outcome": None, "strategy_outcome": None}
    workflow, _events = CaseWorkflow.start(definition, data)
    return workflow


def do(workflow: CaseWorkflow, element_id: str, data: dict) -> None:
    task = next(t for t in workflow.open_user_tasks() if t.info.bpmn_id == element_id)
    workflow.complete_task(task.task_id, data, ALL_ROLES)


def open_steps(workflow: CaseWorkflow) -> list[str]:
    return sorted(t.info.bpmn_id for t in workflow.open_user_tasks())


def timers(workflow: CaseWorkflow) -> dict[str, tuple]:
    return {t.bpmn_id: (t.task_id, t.due_at, t.at_risk_at, t.armed_at) for t in workflow.waiting_timers()}


def at_police_check(v1) -> CaseWorkflow:
    clock.freeze(MONDAY_10)
    workflow = start(v1)
    do(workflow, "screening", f.screening("red", ["police"]))
    return workflow


def in_strategy_discussion(v1, reach_icpc: bool) -> CaseWorkflow:
    workflow = at_police_check(v1)
    do(workflow, "police_check", f.agency_return())
    do(workflow, "mash_review", f.review())
    do(workflow, "decision", f.decision("strategy-discussion"))
    if reach_icpc:
        do(workflow, "convene_strategy_discussion", CONVENE)
        do(workflow, "record_strategy_discussion", f.strategy_record("s47-single"))
        do(workflow, "record_s47_outcome", f.s47_outcome("icpc-required"))
    return workflow


def test_a_changed_timer_keeps_the_due_time_it_was_armed_with(shipped, v1):
    workflow = at_police_check(v1)
    before = timers(workflow)["police_check_deadline"]
    clock.advance(timedelta(hours=1))
    v2 = compile_bundle(with_diagram(shipped, timer_expression("police_check_deadline", "rag_deadline(rag, now())",
                                                               "add_working_days(now(), 5)")))
    moved = VersionChange(v1, v2, "version 2").migrate(workflow.serialize()).workflow
    assert timers(moved)["police_check_deadline"] == before  # same task, due, at-risk and armed times
    assert moved.next_timer_due() == datetime(2027, 1, 4, 14, 0, tzinfo=UTC)
    # Saved and restored on the new version, the old due time still fires the old deadline's path.
    again = CaseWorkflow.restore(v2, moved.serialize())
    clock.advance(timedelta(hours=3, minutes=1))
    again.fire_due_timers()
    assert open_steps(again) == ["chase_police_check", "police_check"]


def test_a_case_reaches_a_step_new_in_the_version_it_moved_to(shipped, v1):
    workflow = at_police_check(v1)
    v2 = compile_bundle(closure_step(shipped))
    migrated = VersionChange(v1, v2, "version 2").migrate(workflow.serialize())
    moved = CaseWorkflow.restore(v2, migrated.workflow.serialize())
    task_ids = {t.info.bpmn_id: t.task_id for t in workflow.open_user_tasks()}
    assert {t.info.bpmn_id: t.task_id for t in moved.open_user_tasks()} == task_ids  # inbox rows survive
    for element_id, data in (("police_check", f.agency_return()), ("mash_review", f.review()),
                             ("decision", f.decision("nfa")), ("feedback_to_referrer", f.feedback())):
        do(moved, element_id, data)
    assert open_steps(moved) == ["confirm_closure"]
    do(moved, "confirm_closure", {"confirmed": "yes"})
    assert moved.completed and moved.end_event() == "end_closed"


def test_the_called_strategy_discussion_moves_with_its_own_diff(shipped, v1):
    workflow = in_strategy_discussion(v1, reach_icpc=True)
    icpc = timers(workflow)["icpc_target"]
    clock.advance(timedelta(days=2))
    v2 = compile_bundle(with_diagram(
        shipped, (b'name="Convene the initial child protection conference"', b'name="Convene the ICPC"'),
        timer_expression("icpc_target", "add_working_days(held_on, 15)", "add_working_days(held_on, 10)"),
        file="strategy_discussion.bpmn"))
    moved = VersionChange(v1, v2, "version 2").migrate(workflow.serialize()).workflow
    [task] = [t for t in moved.open_user_tasks() if t.process_id == "strategy_discussion"]
    assert (task.info.bpmn_id, task.info.name, task.process_id) == ("convene_icpc", "Convene the ICPC",
                                                                    "strategy_discussion")
    assert timers(moved)["icpc_target"] == icpc
    again = CaseWorkflow.restore(v2, moved.serialize())
    do(again, "convene_icpc", {"icpc_date": "2027-01-20"})
    # Convened is not held: the conference is recorded next (the referrer's feedback waits beside it).
    assert open_steps(again) == ["feedback_to_referrer", "record_icpc_held"]


def test_an_active_step_that_no_longer_exists_is_refused_in_plain_words(shipped, v1):
    change = VersionChange(v1, _renamed_police_check(shipped), "version 3")
    check = change.check(at_police_check(v1).serialize())
    assert not check.movable
    assert check.reasons == ["its active step 'Check police records' does not exist in version 3"]
    with pytest.raises(MigrationRefused):
        change.migrate(at_police_check(v1).serialize())
    # A case that has not reached the renamed step yet can move.
    clock.freeze(MONDAY_10)
    assert change.check(start(v1).serialize()).movable


def _renamed_police_check(shipped):
    """The police check's id changed (its name did not): running cases hold on to ids."""
    raw = shipped.bpmn["referral.bpmn"]
    raw = raw.replace(b'"police_check"', b'"police_records_check"')
    raw = raw.replace(b">police_check<", b">police_records_check<")
    raw = raw.replace(b'camunda:formKey="police_records_check"', b'camunda:formKey="agency_check"')
    return compile_bundle(ProcessBundle(bpmn={**shipped.bpmn, "referral.bpmn": raw}, forms=shipped.forms,
                                        policies=shipped.policies, dmn=shipped.dmn))


def test_inside_a_called_process_that_changed_beyond_mapping(shipped, v1):
    raw = shipped.bpmn["strategy_discussion.bpmn"]
    raw = replace(raw, b'id="convene_icpc"', b'id="arrange_icpc"')
    raw = raw.replace(b'"convene_icpc"', b'"arrange_icpc"').replace(b">convene_icpc<", b">arrange_icpc<")
    raw = replace(raw, b'camunda:formKey="arrange_icpc"', b'camunda:formKey="convene_icpc"')
    v2 = compile_bundle(ProcessBundle(bpmn={**shipped.bpmn, "strategy_discussion.bpmn": raw}, forms=shipped.forms,
                                      policies=shipped.policies, dmn=shipped.dmn))
    change = VersionChange(v1, v2, "version 2")
    assert change.check(in_strategy_discussion(v1, reach_icpc=True).serialize()).reasons == [
        ("it is inside 'Hold strategy discussion', which changed in a way that cannot be mapped: its active step "
         "'Convene the initial child protection conference' does not exist in version 2")]
    assert change.check(in_strategy_discussion(v1, reach_icpc=False).serialize()).movable


def test_a_join_that_would_wait_for_ever_is_refused(shipped, v1):
    """A new path from the agency-check split straight to the join: a case past the split would never arrive."""
    v2 = compile_bundle(with_diagram(shipped, (
        b'<bpmn:sequenceFlow id="Flow_police_check_done" ',
        (b'<bpmn:sequenceFlow id="Flow_no_checks" sourceRef="request_agency_checks" targetRef="agency_checks_back" />\n'
         b'    <bpmn:sequenceFlow id="Flow_police_check_done" '))))
    change = VersionChange(v1, v2, "version 2")
    assert change.check(at_police_check(v1).serialize()).reasons == [
        ("it is waiting at 'All agency checks back or gone on without', which in version 2 also waits for "
         "'Request agency checks', a path this case has already gone past")]
    # Every agency asked: no branch has reached the join yet, and it would still wait for ever.
    every_agency = start(v1)
    do(every_agency, "screening", f.screening("amber", list(f.AGENCY_TASKS)))
    assert not change.check(every_agency.serialize()).movable
    clock.freeze(MONDAY_10)
    assert change.check(start(v1).serialize()).movable


def test_events_new_on_the_step_a_case_is_at(shipped, v1):
    """A step that gains its first boundary event cannot take it while open (the engine would fail when the
    step completes); a step that already had some takes the move, and the new event starts for later cases."""
    timer = (b'<bpmn:boundaryEvent id="{id}" name="{name}" cancelActivity="false" attachedToRef="{on}">\n'
             b'      <bpmn:outgoing>Flow_{id}</bpmn:outgoing>\n'
             b'      <bpmn:timerEventDefinition id="{id}_def"><bpmn:timeDate xsi:type="bpmn:tFormalExpression">'
             b'add_working_days(now(), 2)</bpmn:timeDate></bpmn:timerEventDefinition>\n'
             b'    </bpmn:boundaryEvent>\n'
             b'    <bpmn:endEvent id="end_{id}" name="Passed"><bpmn:incoming>Flow_{id}</bpmn:incoming>'
             b'</bpmn:endEvent>\n'
             b'    <bpmn:sequenceFlow id="Flow_{id}" sourceRef="{id}" targetRef="end_{id}" />\n'
             b'    <bpmn:userTask id="police_check" ')

    def with_timer(element_id: bytes, name: bytes, on: bytes):
        xml = timer.replace(b"{id}", element_id).replace(b"{name}", name).replace(b"{on}", on)
        return compile_bundle(with_diagram(
            shipped, (b'<bpmn:userTask id="police_check" ', xml),
            (b"<bpmn:flowNodeRef>police_check</bpmn:flowNodeRef>",
             b"<bpmn:flowNodeRef>police_check</bpmn:flowNodeRef><bpmn:flowNodeRef>" + element_id +
             b"</bpmn:flowNodeRef><bpmn:flowNodeRef>end_" + element_id + b"</bpmn:flowNodeRef>")))

    second = VersionChange(v1, with_timer(b"police_reminder", b"Police reminder", b"police_check"), "version 2")
    check = second.check(at_police_check(v1).serialize())
    assert check.movable and check.notes == [
        ("'Police reminder', new on its current step 'Check police records', starts only for cases that reach that "
         "step after the move")]

    workflow = at_police_check(v1)
    clock.advance(timedelta(hours=5))
    workflow.fire_due_timers()  # the chase is open: a step with no boundary events of its own
    first = VersionChange(v1, with_timer(b"chase_reminder", b"Chase reminder", b"chase_police_check"), "version 2")
    assert first.check(workflow.serialize()).reasons == [
        ("its active step 'Chase overdue police check' has events attached in version 2 (a deadline, say) that "
         "cannot be attached while the step is open")]
