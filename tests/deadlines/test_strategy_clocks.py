"""The strategy discussion's own clocks, set per hub in sla-policies.toml as named timescales
([timescales.strategy-discussion], [timescales.strategy-meeting]), and a deadline drawn across several steps that
only one step meets (deadlineMetBy)."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from app.core.config import PROJECT_ROOT
from app.core.sla import POLICY_FILE, PolicyError, SlaPolicy, load_policies
from app.engine import DefinitionError, ProcessBundle, compile_bundle
from app.engine.functions import at_risk_mode, diagram_functions

LONDON = ZoneInfo("Europe/London")
DISCUSSION = '[timescales.strategy-discussion]\nduration = 1\nunit = "working-days"\n'


def shipped() -> ProcessBundle:
    return ProcessBundle.from_directories(PROJECT_ROOT / "processes", PROJECT_ROOT / "forms")


def line_of(text: str, needle: str) -> int:
    return text.splitlines().index(needle) + 1


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(LONDON)


def test_the_shipped_file_holds_a_working_day_for_the_discussion_and_five_for_the_meeting():
    config = load_policies((PROJECT_ROOT / "processes" / POLICY_FILE).read_text(encoding="utf-8"))
    assert config.timescale("strategy-discussion") == SlaPolicy("strategy-discussion", "working-days", 1, 0.75)
    assert config.timescale("strategy-meeting") == SlaPolicy("strategy-meeting", "working-days", 5, 0.75)
    assert load_policies(None).timescales == config.timescales  # a version without the file counts the same


@pytest.mark.parametrize(("old", "new", "message", "key"), [
    (DISCUSSION, DISCUSSION.replace('"working-days"', '"days"'),
     "[timescales.strategy-discussion] unit must be one of", 'unit = "days"'),
    (DISCUSSION, DISCUSSION.replace("duration = 1", "duration = 0"),
     "[timescales.strategy-discussion] duration must be a number greater than 0", "duration = 0"),
    (DISCUSSION, DISCUSSION + "within = 2\n", "[timescales.strategy-discussion] has no setting 'within'",
     "within = 2"),
])
def test_a_wrong_strategy_clock_is_refused_at_deploy_with_its_line(old, new, message, key):
    bundle = shipped()
    assert bundle.policies is not None and old in bundle.policies
    policies = bundle.policies.replace(old, new, 1)
    with pytest.raises(PolicyError):
        load_policies(policies)
    with pytest.raises(DefinitionError) as refused:
        compile_bundle(ProcessBundle(bpmn=bundle.bpmn, forms=bundle.forms, policies=policies, dmn=bundle.dmn))
    [problem] = [p for p in refused.value.problems if message in p.message]
    assert problem.file == f"processes/{POLICY_FILE}" and problem.line == line_of(policies, key)


def test_a_diagram_asking_for_a_timescale_the_file_does_not_have_is_refused_at_deploy():
    bundle = shipped()
    raw = bundle.bpmn["strategy_discussion.bpmn"]
    assert raw.count(b'timescale("strategy-meeting", held_on)') == 1
    broken = raw.replace(b'timescale("strategy-meeting", held_on)', b'timescale("strategy-meetings", held_on)')
    with pytest.raises(DefinitionError) as refused:
        compile_bundle(ProcessBundle(bpmn={**bundle.bpmn, "strategy_discussion.bpmn": broken}, forms=bundle.forms,
                                     policies=bundle.policies, dmn=bundle.dmn))
    [problem] = [p for p in refused.value.problems if "strategy-meetings" in p.message]
    assert problem.element_id == "strategy_meeting_due"
    assert "add a [timescales.strategy-meetings] section" in problem.message


def test_a_hub_that_holds_strategy_discussions_within_24_hours_counts_round_the_clock():
    text = (PROJECT_ROOT / "processes" / POLICY_FILE).read_text(encoding="utf-8")
    config = load_policies(text.replace(DISCUSSION,
                                        '[timescales.strategy-discussion]\nduration = 24\nunit = "elapsed-hours"\n'))

    def due(start: str) -> str:
        return diagram_functions(config)["timescale"]("strategy-discussion", start)
    friday_4pm = datetime(2027, 1, 8, 16, 0, tzinfo=LONDON).isoformat()
    assert instant(due(friday_4pm)) == datetime(2027, 1, 9, 16, 0, tzinfo=LONDON)  # Saturday: the clock ran on
    default = diagram_functions(load_policies(text))["timescale"]
    next_working_day = datetime(2027, 1, 11, 17, 30, tzinfo=LONDON)
    assert instant(default("strategy-discussion", friday_4pm)) == next_working_day
    with at_risk_mode():
        assert instant(due(friday_4pm)) == datetime(2027, 1, 9, 10, 0, tzinfo=LONDON)  # 75% of 24 hours


def test_the_strategy_meeting_counts_working_days_from_the_day_of_the_discussion():
    timescale = diagram_functions(load_policies(None))["timescale"]
    # Thursday 25 March 2027: Good Friday (26th) and Easter Monday (29th) are not working days.
    due = timescale("strategy-meeting", date(2027, 3, 25).isoformat())
    assert instant(due) == datetime(2027, 4, 5, 17, 30, tzinfo=LONDON)


def test_a_deadline_met_by_a_step_that_does_not_exist_is_refused_at_deploy():
    bundle = shipped()
    raw = bundle.bpmn["strategy_discussion.bpmn"]
    old = b'<camunda:property name="deadlineMetBy" value="record_icpc_held" />'
    assert raw.count(old) == 3
    broken = raw.replace(old, b'<camunda:property name="deadlineMetBy" value="record_icpc_hold" />', 1)
    with pytest.raises(DefinitionError) as refused:
        compile_bundle(ProcessBundle(bpmn={**bundle.bpmn, "strategy_discussion.bpmn": broken}, forms=bundle.forms,
                                     policies=bundle.policies, dmn=bundle.dmn))
    [problem] = refused.value.problems
    assert problem.element_id == "icpc_target_at_enquiry"
    assert "deadlineMetBy 'record_icpc_hold' is not a user task of this process" in problem.message
