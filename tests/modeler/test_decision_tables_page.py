"""The modeler lists a version's decision tables beside its diagrams and opens each one, with JavaScript
(the page hands dmn-js the table and the same check and deploy the diagrams use) or without it (the
table is listed, downloadable, and the upload page is named)."""
from __future__ import annotations

import json
import re

import pytest

from app.core.config import PROJECT_ROOT
from app.modeler.edits import EditRequestError, uploads_from

THRESHOLD = (PROJECT_ROOT / "processes" / "threshold.dmn").read_text(encoding="utf-8")
CONFIG = re.compile(r'<script type="application/json" id="modeler-config">(.*?)</script>', re.S)
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
EDIT = "/process-models/referral/edit"
FILES = "/process-models/referral/versions/{}/files/{}"


def test_the_diagram_page_lists_the_versions_tables_beside_its_diagrams_without_javascript(web):
    html = web("process-owner").get(EDIT).get_data(as_text=True)
    files = html[html.index("Files in version 1"):]
    for name, kind in [("referral.bpmn", "Diagram (BPMN)"), ("threshold.dmn", "Decision table (DMN)"),
                       ("domestic-abuse.dmn", "Decision table (DMN)")]:
        row = files[files.index(f'<dt class="govuk-summary-list__key">{name}</dt>'):]
        assert kind in row[:row.index("</div>")]
        assert f'href="{FILES.format(1, name)}" download="{name}"' in row[:row.index("</div>")]
    assert f'href="{EDIT}?file=threshold.dmn">Edit<span class="govuk-visually-hidden"> threshold.dmn</span>' in files
    assert '<option value="threshold.dmn">threshold.dmn (decision table)</option>' in html
    # With JavaScript, a business rule task's panel offers the version's decisions and a way to each table.
    assert {"id": "threshold", "name": "Threshold: suggested RAG rating", "file": "threshold.dmn",
            "editUrl": f"{EDIT}?file=threshold.dmn"} in json.loads(CONFIG.search(html).group(1))["decisions"]


def test_a_table_opens_in_the_table_editor_and_without_javascript_offers_download_and_upload(web):
    client = web("process-owner")
    response = client.get(EDIT + "?file=threshold.dmn")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Edit the decision table" in html
    config = json.loads(CONFIG.search(html).group(1))
    assert config == {
        "processId": "referral", "file": "threshold.dmn", "version": 1,
        "tableUrl": FILES.format(1, "threshold.dmn"),
        "checkUrl": EDIT + "/check", "deployUrl": EDIT + "/deploy", "historyUrl": "/process-models/referral"}
    assert "js/tables.js" in html and "dmn/dmn-js-decision-table.css" in html
    assert "style-src-attr 'unsafe-inline'" in response.headers["Content-Security-Policy"]  # dmn-js sizes columns
    # Without JavaScript: the page says so, offers the table and names the upload page.
    start = html.index('id="modeler-nojs"')
    nojs = html[start:html.index("</div>", start)]
    assert "The table editor needs JavaScript" in nojs
    assert f'href="{FILES.format(1, "threshold.dmn")}" download="threshold.dmn"' in nojs
    assert 'href="/process-models"' in nojs
    # The table itself, as a download never rendered inline.
    table = client.get(config["tableUrl"])
    assert table.status_code == 200
    assert table.headers["Content-Disposition"].startswith("attachment;")
    assert table.get_data(as_text=True) == THRESHOLD
    assert client.get(EDIT + "?file=nope.dmn").status_code == 404


def test_the_check_and_deploy_take_an_edited_table_and_name_a_broken_rule(web):
    client = web("process-owner").client
    token = CSRF_META.search(client.get(EDIT).get_data(as_text=True)).group(1)

    def post(path: str, body: dict):
        return client.post(EDIT + path, data=json.dumps(body), content_type="application/json",
                           headers={"X-CSRFToken": token})

    feel = THRESHOLD.replace("<text>&lt; 1</text>", "<text>[0..1]</text>", 1)
    problems = post("/check", {"files": {"threshold.dmn": feel}}).get_json()["problems"]
    assert [(p["file"], p["element_id"], p.get("rule")) for p in problems] == [("threshold.dmn", "threshold", 3)]

    under_two = (THRESHOLD.replace("<text>&lt; 1</text>", "<text>&lt; 2</text>", 1)
                 .replace("<text>&gt;= 1</text>", "<text>&gt;= 2</text>", 1))
    checked = post("/check", {"files": {"threshold.dmn": under_two}})
    assert (checked.status_code, checked.get_json()["problems"]) == (200, [])
    done = post("/deploy", {"files": {"threshold.dmn": under_two}, "note": "Under twos with abuse or neglect are Red"})
    assert (done.status_code, done.get_json()["version"]) == (201, 2)
    assert client.get(FILES.format(2, "threshold.dmn")).get_data(as_text=True) == under_two
    assert client.get(FILES.format(2, "referral.bpmn")).status_code == 200  # the diagrams stay as they were


def test_the_modeler_sends_diagrams_and_tables_and_nothing_else():
    uploads = uploads_from({"files": {"referral.bpmn": "<x/>", "threshold.dmn": "<y/>"}})
    assert [(u.name, u.content) for u in uploads] == [("referral.bpmn", b"<x/>"), ("threshold.dmn", b"<y/>")]
    for name in ("tables/threshold.dmn", "threshold.dmn.xml", "notes.txt"):
        with pytest.raises(EditRequestError, match="not a diagram or table file name"):
            uploads_from({"files": {name: "<y/>"}})
