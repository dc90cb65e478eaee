"""What a script or expression reaches for is refused when the process owner deploys, not on a live case.

Each of these deployed (201) before issue 17 and failed only later, as an incident on a real contact.
Every refusal names the file, the element and the line; a name only an integration could set is a warning.
"""
from __future__ import annotations

import pytest

from tests.process_models.test_deploy_validation import REFERRAL, deployed, edited, line_of, multipart, only, refused

#: The first lines of the script every contact runs first (open_the_record).
SCRIPT = "<bpmn:script>went_without = []\nreturned_checks = []\n"
SCRIPTED = "open_the_record"


def with_script(body: str) -> str:
    """referral.bpmn with a line added to the first script every contact runs (its third line is the new one)."""
    return edited(SCRIPT, f"<bpmn:script>went_without = []\nreturned_checks = []\n{body}\n")


def refusal_of(db, body: str, needle: str) -> dict:
    text = with_script(body)
    problem = only(refused(db, ("referral.bpmn", text)), element_id=SCRIPTED)
    assert problem["file"] == "referral.bpmn"
    assert problem["element_name"] == "Open the contact's record"
    assert problem["line"] == line_of(text, needle)
    return problem


@pytest.mark.parametrize(("body", "needle", "words"), [
    ("import os", "import os", "imports are not allowed"),
    ("from os import path", "from os import path", "imports are not allowed"),
    ("notes = open('/etc/passwd').read()", "notes = open", "'open' is not available"),
    ("kind = getattr(rag, 'upper')", "kind = getattr", "'getattr' is not available"),
    ("kind = type(rag)", "kind = type", "'type' is not available"),
    ("kind = vars()", "kind = vars", "'vars' is not available"),
    ("kind = eval('1')", "kind = eval", "'eval' is not available"),
    ("kind = globals()", "kind = globals", "'globals' is not available"),
    ("kind = '{0.__class__}'.format(rag)", "kind = '{0", "'.format()' is not allowed"),
    ("kind = '{x}'.format_map({'x': rag})", "kind = '{x}'", "'.format_map()' is not allowed"),
    ("fill = '{0.__class__}'.format\nkind = fill(rag)", "fill = '{0", "'.format()' is not allowed"),
    ("kind = rag.__class__", "kind = rag.__class__", "attribute '__class__' is not allowed"),
    ("kind = rag._secret", "kind = rag._secret", "attribute '_secret' is not allowed"),
    ("due = add_working_days(now(), 1900000)", "due = add_working_days", "days must be a whole number from 0 to 3,650"),
    ("due = add_working_days(now(), -1)", "due = add_working_days", "not -1"),
    ("due = add_working_hours(now(), 1_000_000)", "due = add_working_hours", "hours must be a number from 0 to 87,600"),
    ("due = add_hours(now())", "due = add_hours", "add_hours(): missing a required argument: 'hours'"),
    ("now = 'today'", "now = 'today'", "'now' is a diagram function"),
])
def test_a_script_reaching_outside_the_case_data_is_refused_at_deploy(db, body, needle, words):
    problem = refusal_of(db, body, needle)
    assert words in problem["message"], problem


def test_a_huge_working_days_call_in_a_timer_is_refused_on_its_timer_event(db):
    text = edited("add_working_days(received_at, 1)", "add_working_days(received_at, 1900000)")
    problems = refused(db, ("referral.bpmn", text))
    problem = only(problems, line=line_of(text, "1900000"))
    assert "0 to 3,650" in problem["message"] and "1,900,000" in problem["message"]
    assert problem["element_id"] and not problem["element_id"].endswith("_def")


def test_a_condition_calling_a_refused_builtin_is_refused_on_its_flow(db):
    text = edited('rerate == "yes"', 'getattr(rerate, "upper")() == "YES"')
    problem = only(refused(db, ("referral.bpmn", text)), line=line_of(text, "getattr("))
    assert problem["element_id"].startswith("Flow_") and "'getattr' is not available" in problem["message"]


def test_a_name_nothing_sets_is_a_warning_that_does_not_stop_the_deploy(db):
    text = edited('rerate == "yes"', 'rerate == "yes" or police_flag == True')
    result = deployed(db, ("referral.bpmn", text))
    assert result.created
    warning = only([w.as_dict() for w in result.warnings], line=line_of(text, "police_flag"))
    assert "nothing in this process sets 'police_flag'" in warning["message"]
    assert warning["element_id"].startswith("Flow_")


def test_names_set_by_the_contact_the_forms_and_earlier_scripts_need_no_warning(db):
    # received_at: the contact; agencies: the screening form; police_check: a result variable; kind: a script.
    text = with_script('kind = "x" if "police" in agencies and police_check is None else received_at\n'
                       'summary = [a for a in agencies if a != kind]')
    text = edited('rerate == "yes"', 'rerate == "yes" and kind != ""', text)
    result = deployed(db, ("referral.bpmn", text))
    assert result.created and not [w for w in result.warnings if "nothing in this process sets" in w.message]


def test_the_api_gives_name_warnings_with_its_201(api):
    owner = api("process-owner")
    text = edited('rerate == "yes"', 'rerate == "yes" or from_case_system == True')
    response = owner.client.post("/api/v1/process-models", data=multipart(("referral.bpmn", text)),
                                 headers=owner._headers(), content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    assert any("'from_case_system'" in w["message"] and w["line"] == line_of(text, "from_case_system")
               for w in response.get_json()["warnings"])


def test_the_api_answers_422_for_an_import_in_a_script(api):
    owner = api("process-owner")
    text = with_script("import os")
    response = owner.client.post("/api/v1/process-models", data=multipart(("referral.bpmn", text)),
                                 headers=owner._headers(), content_type="multipart/form-data")
    assert response.status_code == 422
    assert any(e["element_id"] == SCRIPTED and e["line"] == line_of(text, "import os")
               for e in response.get_json()["errors"])


def test_the_shipped_diagrams_deploy_with_no_name_warnings(db):
    # The shipped bundle was registered by the fixture: deploying it again stores nothing, and warns of nothing
    # but what bpmnlint says.
    result = deployed(db, ("referral.bpmn", REFERRAL))
    assert result.created is False
    assert [w for w in result.warnings if "bpmnlint" not in w.message] == []


def test_a_name_set_only_by_a_later_step_is_a_warning_on_the_earlier_condition(db):
    # ``rerate`` comes from the MASH review form, which no case has reached at the immediate-risk gateway.
    text = edited("immediate_risk == True", 'immediate_risk == True or rerate == "yes"')
    result = deployed(db, ("referral.bpmn", text))
    assert result.created
    warning = only([w.as_dict() for w in result.warnings], line=line_of(text, 'or rerate == "yes"'))
    assert "no step before this one sets 'rerate'" in warning["message"]
    assert warning["element_id"] == "Flow_immediate_risk_yes"


def test_names_set_inside_a_called_process_reach_the_steps_after_the_call(db):
    # ``held_on`` is recorded in the strategy discussion (a called process); the main process may read it after.
    text = edited('outcome == "s17-assessment" or', 'held_on != "" and outcome == "s17-assessment" or')
    result = deployed(db, ("referral.bpmn", text))
    assert result.created and [w for w in result.warnings if "held_on" in w.message] == []


def test_checking_on_the_upload_page_lists_name_warnings(web):
    import io

    owner = web("process-owner")
    text = edited('rerate == "yes"', 'rerate == "yes" or police_flag == True')
    checked = owner.client.post("/process-models", data={
        "csrf_token": owner.csrf("/process-models"), "action": "check",
        "files": (io.BytesIO(text.encode()), "referral.bpmn")}, content_type="multipart/form-data")
    html = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "pass every check" in html
    assert "nothing in this process sets &#39;police_flag&#39;" in html
