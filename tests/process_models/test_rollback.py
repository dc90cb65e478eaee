"""The way back from a bad deploy: an earlier version is made current again as a new version, new contacts
start on it, running cases stay where they are, and a restart never undoes a deploy.
"""
from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.models import Case
from app.core.config import PROJECT_ROOT
from app.process_models.models import ProcessVersion
from tests import factories as f

REFERRAL = (PROJECT_ROOT / "processes" / "referral.bpmn").read_text(encoding="utf-8")
BAD = REFERRAL.replace('name="Screen the contact"', 'name="Screen the contact (bad)"', 1)


def deploy_api(api, text: str, note: str = "A change"):
    owner = api("process-owner")
    return owner.client.post("/api/v1/process-models", headers=owner._headers(), content_type="multipart/form-data",
                             data={"note": note, "files": [(io.BytesIO(text.encode()), "referral.bpmn")]})


def deploy_bad_version(api) -> None:
    response = deploy_api(api, BAD, "Renamed screening")
    assert response.status_code == 201 and response.get_json()["version"] == 2


def restore_api(api, version: int, body: dict | None, user: str = "process-owner"):
    return api(user).post(f"/api/v1/process-models/referral/versions/{version}/restore", json=body)


def new_contact(api, **kwargs) -> int:
    response = api("referrer").post("/api/v1/contacts", json=f.contact(**kwargs))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["case_id"]


def version_of_case(db, case_id: int) -> int:
    with db.unit_of_work() as session:
        return session.get_one(ProcessVersion, session.get_one(Case, case_id).process_version_id).version


def open_task_names(api, case_id: int) -> list[str]:
    return [t["name"] for t in api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()["open_tasks"]]


def versions_listed(api) -> list[tuple[int, str | None]]:
    listed = api("process-owner").get("/api/v1/process-models").get_json()["process_models"]
    return [(v["version"], v["note"]) for v in next(p for p in listed if p["process_id"] == "referral")["versions"]]


def audited(db, action: str) -> list[AuditEvent]:
    with db.unit_of_work() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


# ----------------------------------------------------------------------------- deploying an earlier version's files
def test_deploying_an_earlier_versions_files_makes_it_current_again_as_a_new_version(api, db):
    deploy_bad_version(api)
    on_bad = new_contact(api, given="Ann")
    response = deploy_api(api, REFERRAL, "Back to the diagram that worked")
    assert response.status_code == 201, response.get_json()
    assert response.get_json() | {"warnings": []} == {
        "process_id": "referral", "version": 3, "created": True, "restored_from": 1, "warnings": []}
    assert versions_listed(api)[0] == (3, "Restored from version 1: Back to the diagram that worked")

    after = new_contact(api, given="Ben")
    assert version_of_case(db, after) == 3 and open_task_names(api, after) == ["Screen the contact"]
    # The case started on the bad version stays on it until someone moves it (the migration page).
    assert version_of_case(db, on_bad) == 2 and open_task_names(api, on_bad) == ["Screen the contact (bad)"]
    restored = audited(db, "process.restored")
    assert [(e.username, e.details["version"], e.details["restored_from"], e.details["source"]) for e in restored] == [
        ("process-owner", 3, 1, "api")]


def test_deploying_the_current_versions_files_still_changes_nothing(api):
    deploy_bad_version(api)
    again = deploy_api(api, BAD)
    assert again.status_code == 200
    assert (again.get_json()["version"], again.get_json()["created"], again.get_json()["restored_from"]) == (
        2, False, None)
    assert [v for v, _note in versions_listed(api)] == [2, 1]


def test_mash_deploy_of_an_earlier_versions_files_makes_it_current_again(api, db, settings, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from app.cli import main

    deploy_bad_version(api)
    monkeypatch.setenv("MASH_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MASH_INSTANCE_PATH", str(settings.instance_path))
    result = CliRunner().invoke(main, ["deploy", str(PROJECT_ROOT / "processes"), "--note", "Back"])
    assert result.exit_code == 0, result.output
    assert "Deployed referral version 3 (version 1's files, current again)." in result.output
    assert version_of_case(db, new_contact(api)) == 3


def test_the_modeler_deploy_of_an_earlier_versions_diagram_says_it_was_restored(api, web, db):
    import re

    deploy_bad_version(api)
    client = web("process-owner").client
    page = client.get("/process-models/referral/edit").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)
    response = client.post("/process-models/referral/edit/deploy", content_type="application/json",
                           data=json.dumps({"files": {"referral.bpmn": REFERRAL}, "note": "Undo"}),
                           headers={"X-CSRFToken": token})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["version"], body["created"], body["restored_from"], body["latest_version"]) == (3, True, 1, 3)


# ----------------------------------------------------------------------------- the restore API
@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_the_restore_api_makes_an_earlier_version_current_and_new_contacts_start_on_it(api, db):
    deploy_bad_version(api)
    response = restore_api(api, 1, {"note": "Screening name confused the managers"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json() | {"warnings": []} == {
        "process_id": "referral", "version": 3, "created": True, "restored_from": 1, "warnings": []}
    assert versions_listed(api)[0] == (3, "Restored from version 1: Screening name confused the managers")
    case_id = new_contact(api)
    assert version_of_case(db, case_id) == 3 and open_task_names(api, case_id) == ["Screen the contact"]
    with db.unit_of_work() as session:
        first, third = (session.scalar(select(ProcessVersion).where(ProcessVersion.version == n)) for n in (1, 3))
        assert (third.content_hash, third.bundle) == (first.content_hash, first.bundle)
        assert (third.source, third.created_by) == ("api", "process-owner")
    assert [e.details["restored_from"] for e in audited(db, "process.restored")] == [1]


def test_restoring_what_is_already_current_answers_200_and_stores_nothing(api):
    deploy_bad_version(api)
    assert restore_api(api, 1, {"note": "Undo"}).status_code == 201
    for version in (1, 3):  # version 1's files are current now (as version 3): asking again changes nothing
        again = restore_api(api, version, {"note": "Undo, again"})
        assert again.status_code == 200, again.get_json()
        assert (again.get_json()["version"], again.get_json()["created"]) == (3, False)
    assert [v for v, _note in versions_listed(api)] == [3, 2, 1]


def test_the_restore_api_refuses_an_unknown_version_a_missing_note_and_other_roles(api):
    deploy_bad_version(api)
    assert restore_api(api, 9, {"note": "Undo"}).status_code == 404
    missing = restore_api(api, 1, {"note": "  "})
    assert missing.status_code == 422
    assert missing.get_json()["errors"][0]["field"] == "note"
    assert restore_api(api, 1, {}).status_code == 422
    assert restore_api(api, 1, {"note": "Undo"}, user="police").status_code == 403
    assert restore_api(api, 1, {"note": "Undo"}, user="trainer").status_code == 403
    assert [v for v, _note in versions_listed(api)] == [2, 1]


def test_the_restore_api_is_in_the_openapi_document(api):
    document = api("process-owner").get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/process-models/{process_id}/versions/{version}/restore"]["post"]
    assert operation["operationId"] == "restoreProcessModelVersion"
    assert {"200", "201", "404", "422"} <= set(operation["responses"])


# ----------------------------------------------------------------------------- the version history page
def test_the_history_page_makes_an_earlier_version_current_again_with_a_note(web, api, db):
    deploy_bad_version(api)
    owner = web("process-owner")
    page = owner.get("/process-models/referral").get_data(as_text=True)
    assert page.count("Make this version current again") == 1  # version 1 only: version 2 is current
    assert 'action="/process-models/referral/versions/1/restore"' in page

    missing = owner.post_form("/process-models/referral/versions/1/restore", {"note": ""},
                              csrf_from="/process-models/referral")
    assert missing.status_code == 400
    html = missing.get_data(as_text=True)
    assert "govuk-error-summary" in html and 'href="#note-1"' in html and "govuk-textarea--error" in html
    assert [v for v, _note in versions_listed(api)] == [2, 1]

    done = owner.client.post("/process-models/referral/versions/1/restore", follow_redirects=True, data={
        "note": "Back to what worked", "csrf_token": owner.csrf("/process-models/referral")})
    html = done.get_data(as_text=True)
    assert done.status_code == 200
    assert "Version 1 of referral is current again, as version 3" in html
    assert "Restored from version 1: Back to what worked" in html
    case_id = new_contact(api)
    assert version_of_case(db, case_id) == 3 and open_task_names(api, case_id) == ["Screen the contact"]
    assert [(e.username, e.details["source"]) for e in audited(db, "process.restored")] == [("process-owner", "web")]


def test_the_history_page_offers_no_rollback_to_readers_or_for_an_unknown_version(web, api):
    deploy_bad_version(api)
    assert "Make this version current again" not in web("trainer").get("/process-models/referral").get_data(
        as_text=True)
    owner = web("process-owner")
    missing = owner.post_form("/process-models/referral/versions/9/restore", {"note": "Undo"},
                              csrf_from="/process-models/referral")
    assert missing.status_code == 404


# ----------------------------------------------------------------------------- a restart
def test_init_db_never_undoes_a_deploy(api, db, settings, monkeypatch):
    from click.testing import CliRunner

    from app.cli import main

    deploy_bad_version(api)
    monkeypatch.setenv("MASH_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MASH_INSTANCE_PATH", str(settings.instance_path))
    result = CliRunner().invoke(main, ["init-db"])
    assert result.exit_code == 0, result.output
    assert "version 2" in result.output and "the shipped diagrams are version 1" in result.output
    assert [v for v, _note in versions_listed(api)] == [2, 1]
    assert version_of_case(db, new_contact(api)) == 2


def test_a_case_started_on_the_bad_version_can_then_be_moved_to_the_restored_one(api, web, db):
    import re

    deploy_bad_version(api)
    on_bad = new_contact(api)
    assert restore_api(api, 1, {"note": "Undo"}).status_code == 201
    assert version_of_case(db, on_bad) == 2  # running cases stay where they are
    owner = web("process-owner")
    page = owner.get("/process-models/referral/migrations?to=3").get_data(as_text=True)
    [chosen] = re.findall(rf'name="cases" type="checkbox" value="({on_bad}:\d+)"', page)
    moved = owner.post_form("/process-models/referral/migrations", {"to": "3", "cases": [chosen]},
                            csrf_from="/process-models/referral/migrations?to=3")
    assert "1 case moved" in moved.get_data(as_text=True)
    assert version_of_case(db, on_bad) == 3 and open_task_names(api, on_bad) == ["Screen the contact"]
