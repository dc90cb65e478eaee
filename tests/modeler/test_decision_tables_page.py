"""The modeler lists a version's decision tables beside its diagrams and opens each one, with JavaScript
(the page hands dmn-js the table and the same check and deploy the diagrams use) or without it (the
table is listed, downloadable, and the upload page is named)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.core.actor import Actor
from app.modeler.edits import EditRequestError, uploads_from
from app.process_models.deploy import UploadedFile, deploy

TABLE = (Path(__file__).parent / "fixtures" / "threshold.dmn").read_bytes()
OWNER = Actor(user_id=None, username="process-owner", roles=frozenset({"process-owner"}))
CONFIG = re.compile(r'<script type="application/json" id="modeler-config">(.*?)</script>', re.S)
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
EDIT = "/process-models/referral/edit"


def with_table(db) -> int:
    """A process owner deploys the hub's threshold table beside the referral diagrams (version 2)."""
    with db.unit_of_work() as session:
        return deploy(session, [UploadedFile("threshold.dmn", TABLE)], OWNER, process_id="referral",
                      note="The threshold table").version


def test_the_diagram_page_lists_the_versions_tables_beside_its_diagrams_without_javascript(web, db):
    version = with_table(db)
    html = web("process-owner").get(EDIT).get_data(as_text=True)
    files = html[html.index(f"Files in version {version}"):]
    assert "referral.bpmn" in files and "Diagram (BPMN)" in files
    assert "threshold.dmn" in files and "Decision table (DMN)" in files
    assert f'href="{EDIT}?file=threshold.dmn"' in files
    assert f'href="/process-models/referral/versions/{version}/files/threshold.dmn" download="threshold.dmn"' in files
    assert '<option value="threshold.dmn">threshold.dmn (decision table)</option>' in html


def test_a_table_opens_in_the_table_editor_and_without_javascript_offers_download_and_upload(web, db):
    version = with_table(db)
    client = web("process-owner")
    response = client.get(EDIT + "?file=threshold.dmn")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Edit the decision table" in html
    config = json.loads(CONFIG.search(html).group(1))
    assert config == {
        "processId": "referral", "file": "threshold.dmn", "version": version,
        "tableUrl": f"/process-models/referral/versions/{version}/files/threshold.dmn",
        "checkUrl": EDIT + "/check", "deployUrl": EDIT + "/deploy", "historyUrl": "/process-models/referral"}
    assert "js/tables.js" in html and "dmn/dmn-js-decision-table.css" in html
    # Without JavaScript: the page says so, offers the table and names the upload page.
    nojs = html[html.index('id="modeler-nojs"'):html.index("</div>", html.index('id="modeler-nojs"'))]
    assert "The table editor needs JavaScript" in nojs
    assert f'href="/process-models/referral/versions/{version}/files/threshold.dmn" download="threshold.dmn"' in nojs
    assert 'href="/process-models"' in nojs
    # The table itself, as a download never rendered inline.
    table = client.get(config["tableUrl"])
    assert table.status_code == 200
    assert table.headers["Content-Disposition"].startswith("attachment;")
    assert table.get_data() == TABLE
    assert client.get(f"/process-models/referral/versions/{version}/files/nope.dmn").status_code == 404
    assert client.get(EDIT + "?file=nope.dmn").status_code == 404


def test_the_check_and_deploy_take_an_edited_table(web, db):
    version = with_table(db)
    client = web("process-owner").client
    token = CSRF_META.search(client.get(EDIT).get_data(as_text=True)).group(1)
    edited = TABLE.decode().replace("&gt;= 3", "&gt;= 2")

    def post(path: str, body: dict):
        return client.post(EDIT + path, data=json.dumps(body), content_type="application/json",
                           headers={"X-CSRFToken": token})

    checked = post("/check", {"files": {"threshold.dmn": edited}})
    assert (checked.status_code, checked.get_json()["problems"]) == (200, [])
    done = post("/deploy", {"files": {"threshold.dmn": edited}, "note": "Two factors suggest Amber"})
    assert done.status_code == 201
    assert done.get_json()["version"] == version + 1
    stored = client.get(f"/process-models/referral/versions/{version + 1}/files/threshold.dmn").get_data(as_text=True)
    assert "&gt;= 2" in stored


def test_the_modeler_sends_diagrams_and_tables_and_nothing_else():
    uploads = uploads_from({"files": {"referral.bpmn": "<x/>", "threshold.dmn": "<y/>"}})
    assert [(u.name, u.content) for u in uploads] == [("referral.bpmn", b"<x/>"), ("threshold.dmn", b"<y/>")]
    for name in ("tables/threshold.dmn", "threshold.dmn.xml", "notes.txt"):
        with pytest.raises(EditRequestError, match="not a diagram or table file name"):
            uploads_from({"files": {name: "<y/>"}})
