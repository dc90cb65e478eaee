"""A process owner's redrawn diagram is checked as a whole before anything changes.

Each class of mistake is refused with the file, element and line at fault; several mistakes come back
together; and nothing is stored unless everything passes.
"""
from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from app.core.actor import Actor
from app.core.config import PROJECT_ROOT
from app.engine import DefinitionError
from app.process_models.deploy import UploadedFile, deploy, validate_upload
from app.process_models.models import ProcessVersion

REFERRAL = (PROJECT_ROOT / "processes" / "referral.bpmn").read_text(encoding="utf-8")
STRATEGY = (PROJECT_ROOT / "processes" / "strategy_discussion.bpmn").read_text(encoding="utf-8")
OWNER = Actor(user_id=None, username="process-owner", roles=frozenset({"process-owner"}))


def edited(old: str, new: str, text: str = REFERRAL) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def refused(db, *files: tuple[str, str | bytes], process_id: str | None = None) -> list[dict]:
    uploads = [UploadedFile(name, content.encode("utf-8") if isinstance(content, str) else content)
               for name, content in files]
    with db.unit_of_work() as session:
        before = session.scalar(select(func.count()).select_from(ProcessVersion))
        with pytest.raises(DefinitionError) as caught:
            deploy(session, uploads, OWNER, process_id=process_id, note="test")
        assert session.scalar(select(func.count()).select_from(ProcessVersion)) == before
    return [p.as_dict() for p in caught.value.problems]


def deployed(db, *files: tuple[str, str | bytes], process_id: str | None = None):
    uploads = [UploadedFile(name, content.encode("utf-8") if isinstance(content, str) else content)
               for name, content in files]
    with db.unit_of_work() as session:
        return deploy(session, uploads, OWNER, process_id=process_id, note="test")


def only(problems: list[dict], **expected) -> dict:
    matching = [p for p in problems if all(p[k] == v for k, v in expected.items())]
    assert matching, f"no problem with {expected} in {problems}"
    return matching[0]


# ----------------------------------------------------------------------------- each class of mistake
def test_a_file_that_is_not_well_formed_xml_is_refused_with_its_line(db):
    broken = edited('<bpmn:userTask id="screening" name="Screen the contact" camunda:formKey="screening">',
                    '<bpmn:userTask id="screening" name="Screen the contact" camunda:formKey="screening"')
    problem = only(refused(db, ("referral.bpmn", broken)), file="referral.bpmn")
    assert "not well-formed XML" in problem["message"]
    assert problem["line"] is not None and abs(problem["line"] - line_of(broken, 'id="screening"')) <= 2


def test_a_diagram_that_breaks_the_bpmn_schema_is_refused(db):
    broken = edited('<bpmn:userTask id="screening" name="Screen the contact" camunda:formKey="screening">',
                    '<bpmn:userTask id="screening" name="Screen the contact" camunda:formKey="screening" '
                    'startQuantity="many">')
    problem = only(refused(db, ("referral.bpmn", broken)), file="referral.bpmn")
    assert "startQuantity" in problem["message"] or "schema" in problem["message"].lower()
    assert problem["line"] == line_of(broken, 'startQuantity="many"')


def test_a_flow_to_an_element_that_does_not_exist_is_refused(db):
    text = edited('targetRef="screening"', 'targetRef="screening_missing"')
    problems = refused(db, ("referral.bpmn", text))
    assert any("screening_missing" in p["message"] for p in problems), problems


def test_a_call_activity_that_calls_nothing_deployed_is_refused(db):
    text = edited('calledElement="strategy_discussion"', 'calledElement="strategy_meeting"')
    problems = refused(db, ("referral.bpmn", text))
    assert any("strategy_meeting" in p["message"] for p in problems), problems


def test_a_gateway_condition_the_sandbox_refuses_is_reported_on_its_flow(db):
    text = edited('rerate == "yes"', '__import__("os").system("id") == 0')
    problem = only(refused(db, ("referral.bpmn", text)), file="referral.bpmn")
    assert "sandbox" in problem["message"]
    assert problem["element_id"].startswith("Flow_")
    assert problem["line"] == line_of(text, '__import__')


def test_a_timer_expression_that_does_not_compile_is_reported_on_its_timer_event(db):
    text = edited("rag_deadline(rag, now())", "rag_deadline(rag, now()")
    problem = only(refused(db, ("referral.bpmn", text)), file="referral.bpmn")
    assert "SyntaxError" in problem["message"]
    assert problem["element_name"] and problem["element_id"] and not problem["element_id"].endswith("_def")


def test_a_user_task_whose_form_does_not_exist_is_refused(db):
    text = edited('camunda:formKey="screening"', 'camunda:formKey="screening_v2"')
    problem = only(refused(db, ("referral.bpmn", text)), element_id="screening")
    assert "screening_v2" in problem["message"] and problem["element_name"] == "Screen the contact"
    assert problem["line"] == line_of(text, 'camunda:formKey="screening_v2"')


def test_the_same_task_is_accepted_when_its_new_form_comes_with_it(db):
    text = edited('camunda:formKey="screening"', 'camunda:formKey="screening_v2"')
    form = (PROJECT_ROOT / "forms" / "screening.json").read_text(encoding="utf-8")
    result = deployed(db, ("referral.bpmn", text), ("screening_v2.json", form))
    assert result.created and result.version == 2


def test_a_form_that_is_not_valid_json_is_refused_with_its_line(db):
    problem = only(refused(db, ("screening.json", '{\n  "title": "Screen",\n  "fields": [\n}')),
                   file="forms/screening.json")
    assert "not valid JSON" in problem["message"] and problem["line"] == 4


def test_a_user_task_in_a_lane_that_is_no_role_of_the_hub_is_refused(db):
    text = edited('<bpmn:lane id="Lane_police" name="Police">', '<bpmn:lane id="Lane_police" name="Constabulary">')
    problem = only(refused(db, ("referral.bpmn", text)), element_id="police_check")
    assert "Constabulary" in problem["message"] and "not a role" in problem["message"]


def test_bpmnlint_recommended_rules_apply(db):
    text = edited('name="Screen the contact"', 'name=""')
    problem = only(refused(db, ("referral.bpmn", text)), element_id="screening")
    assert "label-required" in problem["message"]
    assert problem["line"] == line_of(text, '<bpmn:userTask id="screening"')


def test_a_diagram_with_no_executable_process_is_reported_as_such(db):
    text = ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/'
            '20100524/MODEL" id="d" targetNamespace="http://bpmn.io/schema/bpmn">\n'
            '  <bpmn:process id="sketch" isExecutable="false"><bpmn:startEvent id="s" name="Start"/></bpmn:process>\n'
            '</bpmn:definitions>\n')
    problems = refused(db, ("sketch.bpmn", text))
    assert len(problems) == 1 and "no executable process" in problems[0]["message"]
    assert problems[0]["file"] == "sketch.bpmn"


def test_files_that_are_not_part_of_a_process_are_refused(db):
    problem = only(refused(db, ("referral.bpmn", REFERRAL), ("notes.docx", b"PK\x03\x04")), file="notes.docx")
    assert "not part of a process" in problem["message"]


def test_several_mistakes_come_back_together_and_nothing_changes(db):
    text = edited('name="Screen the contact"', 'name=""')
    text = edited('rerate == "yes"', 'rerate ==', text)
    text = edited('<bpmn:lane id="Lane_police" name="Police">', '<bpmn:lane id="Lane_police" name="Constabulary">',
                  text)
    problems = refused(db, ("referral.bpmn", text))
    messages = " | ".join(p["message"] for p in problems)
    assert "label-required" in messages and "sandbox" in messages and "Constabulary" in messages


# ----------------------------------------------------------------------------- what editors save
def test_a_diagram_declared_as_iso_8859_1_imports_cleanly(db):
    text = edited('encoding="UTF-8"', 'encoding="ISO-8859-1"')
    text = edited('name="Screen the contact"', 'name="Screen the contact (référence)"', text)
    result = deployed(db, ("referral.bpmn", text.encode("iso-8859-1")))
    assert result.created
    with db.unit_of_work() as session:
        from app.process_models.registry import compiled, version_of
        definition = compiled(version_of(session, "referral", result.version))
        assert definition.user_tasks[("referral", "screening")].name == "Screen the contact (référence)"


def test_a_diagram_saved_by_camunda_modeler_7_imports_cleanly(db):
    text = edited('exporter="Camunda Modeler" exporterVersion="5.31.0"',
                  'xmlns:modeler="http://camunda.org/schema/modeler/1.0" exporter="Camunda Modeler" '
                  'exporterVersion="5.40.0" modeler:executionPlatform="Camunda Platform" '
                  'modeler:executionPlatformVersion="7.22.0"')
    text = edited('name="Screen the contact"', 'name="Screen the new contact"', text)
    assert deployed(db, ("diagram_1.bpmn", text)).created


def test_a_called_process_can_be_deployed_on_its_own_as_a_new_version_of_its_caller(db):
    text = edited('name="Hold strategy discussion"', 'name="Hold the strategy discussion"', STRATEGY) \
        if 'name="Hold strategy discussion"' in STRATEGY else STRATEGY.replace("</bpmn:documentation>",
                                                                               " (revised)</bpmn:documentation>", 1)
    assert text != STRATEGY
    result = deployed(db, ("strategy_discussion.bpmn", text))
    assert (result.process_id, result.version, result.created) == ("referral", 2, True)


def test_sending_the_same_files_again_stores_nothing_new(db):
    result = deployed(db, ("referral.bpmn", REFERRAL))
    assert (result.version, result.created) == (1, False)


def test_checking_changes_nothing(db):
    text = edited('name="Screen the contact"', 'name="Screen it"')
    with db.unit_of_work() as session:
        candidate = validate_upload(session, [UploadedFile("referral.bpmn", text.encode())])
        assert candidate.process_id == "referral"
        assert session.scalar(select(func.count()).select_from(ProcessVersion)) == 1


# ----------------------------------------------------------------------------- API
def multipart(*files: tuple[str, str | bytes], **fields) -> dict:
    data = dict(fields.items())
    data["files"] = [(io.BytesIO(c.encode() if isinstance(c, str) else c), name) for name, c in files]
    return data


def test_the_api_deploys_a_new_immutable_version_and_lists_it(api):
    owner = api("process-owner")
    text = edited('name="Screen the contact"', 'name="Screen the contact today"')
    response = owner.client.post("/api/v1/process-models", data=multipart(("referral.bpmn", text), note="Clearer name"),
                                 headers=owner._headers(), content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["process_id"] == "referral" and response.get_json()["version"] == 2

    again = owner.client.post("/api/v1/process-models", data=multipart(("referral.bpmn", text)),
                              headers=owner._headers(), content_type="multipart/form-data")
    assert again.status_code == 200 and again.get_json()["version"] == 2 and again.get_json()["created"] is False

    listed = api("trainer").get("/api/v1/process-models").get_json()["process_models"]
    referral = next(p for p in listed if p["process_id"] == "referral")
    assert referral["latest_version"] == 2
    assert [(v["version"], v["note"], v["source"]) for v in referral["versions"]] == [
        (2, "Clearer name", "api"), (1, None, "init")]
    files = api("trainer").get("/api/v1/process-models/referral/versions/2").get_json()
    assert 'name="Screen the contact today"' in files["diagrams"]["referral.bpmn"]
    assert "screening" in files["forms"]
    assert api("trainer").get("/api/v1/process-models/referral/versions/9").status_code == 404


def test_the_api_answers_422_with_every_problem_and_stores_nothing(api):
    owner = api("process-owner")
    text = edited('name="Screen the contact"', 'name=""')
    text = edited('camunda:formKey="screening"', 'camunda:formKey="nope"', text)
    response = owner.client.post("/api/v1/process-models", data=multipart(("referral.bpmn", text)),
                                 headers=owner._headers(), content_type="multipart/form-data")
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert all(set(e) == {"file", "element_id", "element_name", "line", "message"} for e in errors)
    assert {e["element_id"] for e in errors} == {"screening"} and len(errors) == 2
    listed = owner.get("/api/v1/process-models").get_json()["process_models"]
    assert [v["version"] for v in listed[0]["versions"]] == [1]


def test_the_api_refuses_json_and_people_who_do_not_own_processes(api):
    owner = api("process-owner")
    assert owner.post("/api/v1/process-models", json={"files": []}).status_code == 415
    police = api("police")
    response = police.client.post("/api/v1/process-models", data=multipart(("referral.bpmn", REFERRAL)),
                                  headers=police._headers(), content_type="multipart/form-data")
    assert response.status_code == 403
    assert api("referrer").get("/api/v1/process-models").status_code == 403


def test_new_contacts_start_on_the_latest_version_and_running_cases_stay_on_theirs(api, db):
    from app.cases.models import Case

    first = api("referrer").post("/api/v1/contacts", json=_contact()).get_json()["case_id"]
    text = edited('name="Screen the contact"', 'name="Screen the contact (v2)"')
    assert deployed(db, ("referral.bpmn", text)).version == 2
    second = api("referrer").post("/api/v1/contacts", json=_contact(given="Noah", family="Jones")).get_json()["case_id"]
    tasks = {case_id: [t["name"] for t in api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()["open_tasks"]]
             for case_id in (first, second)}
    assert tasks == {first: ["Screen the contact"], second: ["Screen the contact (v2)"]}
    with db.unit_of_work() as session:
        versions = {c.id: session.get(ProcessVersion, c.process_version_id).version
                    for c in session.scalars(select(Case))}
    assert versions == {first: 1, second: 2}


def _contact(**kwargs) -> dict:
    from tests import factories as f
    return f.contact(**kwargs)


# ----------------------------------------------------------------------------- the upload page
def test_the_upload_page_shows_every_problem_in_the_error_summary(web, app):
    owner = web("process-owner")
    text = edited('name="Screen the contact"', 'name=""')
    response = owner.client.post("/process-models", data={
        "csrf_token": owner.csrf("/process-models"), "note": "try", "action": "deploy",
        "files": (io.BytesIO(text.encode()), "referral.bpmn")}, content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "govuk-error-summary" in html and "label-required" in html and "referral.bpmn" in html
    line = line_of(text, '<bpmn:userTask id="screening"')
    assert f"line {line}" in html


def test_the_upload_page_needs_a_note_and_deploys_with_it(web):
    owner = web("process-owner")
    text = edited('name="Screen the contact"', 'name="Screen the contact now"')
    files = lambda: (io.BytesIO(text.encode()), "referral.bpmn")  # noqa: E731
    missing = owner.client.post("/process-models", data={"csrf_token": owner.csrf("/process-models"),
                                                          "action": "deploy", "files": files()},
                                content_type="multipart/form-data")
    assert missing.status_code == 400 and "Say what changed" in missing.get_data(as_text=True)
    checked = owner.client.post("/process-models", data={"csrf_token": owner.csrf("/process-models"),
                                                          "action": "check", "files": files()},
                                content_type="multipart/form-data")
    assert checked.status_code == 200 and "pass every check" in checked.get_data(as_text=True)
    done = owner.client.post("/process-models", data={"csrf_token": owner.csrf("/process-models"), "action": "deploy",
                                                       "note": "Plainer name", "files": files()},
                             content_type="multipart/form-data", follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "Version 2 of referral deployed" in html and "Plainer name" in html
    assert owner.get("/process-models/referral/versions/2/files/referral.bpmn").get_data(as_text=True).count(
        "Screen the contact now") == 1


def test_only_process_owners_see_the_upload_form(web):
    assert "Deploy a new version" not in web("trainer").get("/process-models").get_data(as_text=True)
    assert "Deploy a new version" in web("process-owner").get("/process-models").get_data(as_text=True)


# ----------------------------------------------------------------------------- the command line
def test_mash_deploy_reads_a_processes_folder_and_reports_problems(settings, db, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from app.cli import main

    monkeypatch.setenv("MASH_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MASH_INSTANCE_PATH", str(settings.instance_path))
    folder = tmp_path / "processes"
    folder.mkdir()
    (folder / "referral.bpmn").write_text(edited('name="Screen the contact"', 'name="Screen the contact (cli)"'))
    (folder / "strategy_discussion.bpmn").write_text(STRATEGY)
    runner = CliRunner()
    result = runner.invoke(main, ["deploy", str(folder), "--forms", str(PROJECT_ROOT / "forms"), "--note", "cli"])
    assert result.exit_code == 0, result.output
    assert "Deployed referral version 2." in result.output

    (folder / "referral.bpmn").write_text(edited('camunda:formKey="screening"', 'camunda:formKey="nope"'))
    result = runner.invoke(main, ["deploy", str(folder)])
    assert result.exit_code == 2
    assert "referral.bpmn:" in result.output and "form 'nope' does not exist" in result.output
    with db.unit_of_work() as session:
        assert session.scalar(select(func.max(ProcessVersion.version))) == 2


def test_the_shipped_forms_are_json_the_pipeline_reads(db):
    # The upload contract for forms is "<form key>.json": the shipped ones are exactly that.
    for path in (PROJECT_ROOT / "forms").glob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))
    assert deployed(db, ("screening.json", (PROJECT_ROOT / "forms" / "screening.json").read_text())).created is False


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_a_stored_version_cannot_be_changed_or_removed_by_anyone(db):
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    for statement in ("UPDATE process_version SET bundle = '{}' WHERE version = 1",
                      "DELETE FROM process_version WHERE version = 1"):
        with pytest.raises(DatabaseError, match="immutable"), db.unit_of_work() as session:
            session.execute(text(statement))
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(ProcessVersion)) == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_owners_deploying_at_once_leave_one_winner_and_a_clear_conflict(api, db, monkeypatch):
    """The second deploy read the same latest version number before the first one committed."""
    import app.process_models.registry as registry
    from app.core.clock import now as real_now

    winner = edited('name="Screen the contact"', 'name="Screen the contact (first)"')
    loser = edited('name="Screen the contact"', 'name="Screen the contact (second)"')
    raced: list[int] = []

    def numbered_then_beaten():
        # Called as the loser builds its row, after it chose version 2: the winner commits version 2 first.
        if not raced:
            raced.append(0)  # the winner's own deploy passes through here too
            raced[0] = deployed(db, ("referral.bpmn", winner)).version
        return real_now()

    monkeypatch.setattr(registry, "now", numbered_then_beaten)
    owner = api("process-owner")
    response = owner.client.post("/api/v1/process-models", data=multipart(("referral.bpmn", loser)),
                                 headers=owner._headers(), content_type="multipart/form-data")
    assert raced == [2]
    assert response.status_code == 409
    assert "deployed at the same moment" in response.get_json()["errors"][0]["message"]
    with db.unit_of_work() as session:
        from app.process_models.registry import bundle_of, version_of
        assert b"(first)" in bundle_of(version_of(session, "referral", 2)).bpmn["referral.bpmn"]
        assert session.scalar(select(func.count()).select_from(ProcessVersion)) == 2
