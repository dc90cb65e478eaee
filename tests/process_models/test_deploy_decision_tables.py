"""Decision tables (.dmn) are deployed beside the diagrams: laid over the latest version like any file, and
refused with the file, decision and rule at fault."""
from __future__ import annotations

import io

from app.core.actor import Actor
from app.core.config import PROJECT_ROOT
from app.process_models.deploy import UploadedFile, deploy
from app.process_models.registry import bundle_of, latest_version
from tests.dmn_tables import process, table

OWNER = Actor(user_id=None, username="process-owner", roles=frozenset({"process-owner"}))
GREEN = table("decide", ["age"], ["rag"], [(["-"], ['"Green"'])])
AMBER = table("decide", ["age"], ["rag"], [(["-"], ['"Amber"'])])


def send(db, *files: tuple[str, bytes]):
    with db.unit_of_work() as session:
        return deploy(session, [UploadedFile(n, c) for n, c in files], OWNER, process_id="decide", note="test")


def stored_tables(db) -> dict[str, bytes]:
    with db.unit_of_work() as session:
        return bundle_of(latest_version(session, "decide")).dmn


def test_a_table_sent_alone_replaces_the_stored_one_and_the_diagram_stays(db):
    first = send(db, ("decide.bpmn", process("decide")), ("decide.dmn", GREEN))
    again = send(db, ("decide.dmn", AMBER))
    assert again.created and again.version == first.version + 1
    assert stored_tables(db) == {"decide.dmn": AMBER}


def test_the_same_decision_under_another_file_name_replaces_the_old_file(db):
    send(db, ("decide.bpmn", process("decide")), ("decide.dmn", GREEN))
    send(db, ("rating-table.dmn", AMBER))
    assert stored_tables(db) == {"rating-table.dmn": AMBER}


def test_sending_the_same_table_again_stores_nothing(db):
    send(db, ("decide.bpmn", process("decide")), ("decide.dmn", GREEN))
    assert not send(db, ("decide.dmn", GREEN)).created


def test_a_broken_table_is_refused_over_the_api_with_its_rule(api):
    owner = api("process-owner")
    broken = table("decide", ["age"], ["rag"], [(["-"], ['"Green"']), (["[1..5]"], ['"Red"'])])
    response = owner.post("/api/v1/process-models", data={
        "files": [(io.BytesIO(process("decide")), "decide.bpmn"),
                  (io.BytesIO(broken), "decide.dmn")], "process_id": "decide"},
        content_type="multipart/form-data")
    assert response.status_code == 422
    error = next(e for e in response.get_json()["errors"] if e.get("rule") == 2)
    assert error["file"] == "decide.dmn" and error["element_id"] == "decide" and error["line"] == 7
    assert "FEEL range" in error["message"]


def test_the_upload_page_shows_a_broken_tables_rule_like_a_diagram_problem(web):
    owner = web("process-owner")
    threshold = (PROJECT_ROOT / "processes" / "threshold.dmn").read_text(encoding="utf-8")
    broken = threshold.replace("<text>&lt; 1</text>", "<text>[0..1)</text>", 1)
    assert broken != threshold
    response = owner.client.post("/process-models", data={
        "csrf_token": owner.csrf("/process-models"), "note": "try", "action": "deploy",
        "files": (io.BytesIO(broken.encode()), "threshold.dmn")}, content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    line = broken[: broken.index("[0..1)")].count("\n") + 1
    assert "govuk-error-summary" in html and "threshold.dmn, line " + str(line) in html
    assert "<code>threshold</code>" in html and ", rule 3" in html and "FEEL range" in html


def test_mash_deploy_of_a_folder_sends_its_decision_tables():
    from app.cli import _deploy_files
    sent = {f.name for f in _deploy_files((PROJECT_ROOT / "processes",), None)}
    assert {"threshold.dmn", "domestic-abuse.dmn", "referral.bpmn"} <= sent
