"""The modeler's server side: the page, the inline check (the deploy's own validation, bpmnlint included)
and the deploy, with who may use them and the CSRF token a page script must send."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.core.config import PROJECT_ROOT
from app.process_models.models import ProcessVersion
from app.process_models.registry import bundle_of

REFERRAL = (PROJECT_ROOT / "processes" / "referral.bpmn").read_text(encoding="utf-8")
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
CONFIG = re.compile(r'<script type="application/json" id="modeler-config">(.*?)</script>', re.S)
EDIT = "/process-models/referral/edit"


def line_of(xml: str, needle: str) -> int:
    return xml[: xml.index(needle)].count("\n") + 1


def owner(web, username: str = "process-owner"):
    """A signed-in client and the CSRF token the modeler page hands its script."""
    client = web(username)
    page = client.get(EDIT)
    assert page.status_code == 200
    return client.client, CSRF_META.search(page.get_data(as_text=True)).group(1)


def post(client, token, path: str, body: dict):
    return client.post(path, data=json.dumps(body), content_type="application/json", headers={"X-CSRFToken": token})


def without_lane(xml: str, element_id: str) -> str:
    ref = f"<bpmn:flowNodeRef>{element_id}</bpmn:flowNodeRef>"
    assert ref in xml
    return xml.replace(ref, "")


# ----------------------------------------------------------------------------- the page
def test_the_page_holds_what_the_script_needs_and_allows_the_diagrams_style_attributes(web):
    response = web("process-owner").get(EDIT)
    html = response.get_data(as_text=True)
    config = json.loads(CONFIG.search(html).group(1))
    assert config["file"] == "referral.bpmn"  # the file holding the root process
    assert config["version"] == 1
    assert config["diagramUrl"] == "/process-models/referral/versions/1/files/referral.bpmn"
    assert config["checkUrl"] == "/process-models/referral/edit/check"
    assert {"key": "screening", "title": "Screen the contact"} in config["forms"]
    assert config["lanes"]["Youth justice"] == "youth-justice"
    assert config["deadlineKinds"] == ["rag", "statutory", "check", "wait"]
    assert "style-src-attr 'unsafe-inline'" in response.headers["Content-Security-Policy"]
    # Without JavaScript the page says so and offers the diagram and the upload page instead.
    assert "The modeler needs JavaScript" in html
    assert 'href="/process-models"' in html
    assert '<option value="strategy_discussion.bpmn"' in html


def test_the_page_opens_another_file_and_refuses_unknown_ones(web):
    client = web("process-owner")
    other = client.get(EDIT + "?file=strategy_discussion.bpmn&from=1")
    assert json.loads(CONFIG.search(other.get_data(as_text=True)).group(1))["file"] == "strategy_discussion.bpmn"
    assert client.get(EDIT + "?file=nope.bpmn").status_code == 404
    assert client.get(EDIT + "?from=7").status_code == 404
    assert client.get(EDIT + "?from=x").status_code == 404
    assert client.get("/process-models/nope/edit").status_code == 404


# ----------------------------------------------------------------------------- the check
def test_the_shipped_diagram_checks_clean(web):
    client, token = owner(web)
    response = post(client, token, EDIT + "/check", {"files": {"referral.bpmn": REFERRAL}})
    assert response.status_code == 200
    assert response.get_json()["problems"] == []


def test_a_broken_diagram_comes_back_with_every_problem_pointing_at_its_element_and_line(web):
    bad_condition = "has_open_case == True"
    broken = without_lane(REFERRAL, "screening").replace(bad_condition, "__import__('os').system('x')")
    client, token = owner(web)
    response = post(client, token, EDIT + "/check", {"files": {"referral.bpmn": broken}})
    assert response.status_code == 200
    problems = {p["element_id"]: p for p in response.get_json()["problems"]}

    lane = problems["screening"]
    assert lane["file"] == "referral.bpmn"
    assert lane["element_name"] == "Screen the contact"
    assert lane["line"] == line_of(broken, 'id="screening"')
    assert "lane" in lane["message"]

    flow = next(p for p in problems.values() if "sandbox" in p["message"])
    assert flow["file"] == "referral.bpmn"
    assert flow["line"] == line_of(broken, "__import__")
    assert f'id="{flow["element_id"]}"' in broken[: broken.index("__import__")].rsplit("<bpmn:sequenceFlow", 1)[1]


def test_bpmnlint_findings_come_back_with_the_element(web):
    # A task with no way in or out: bpmnlint's no-disconnected rule (and the engine agrees nothing reaches it).
    lonely = '<bpmn:userTask id="lonely_task" name="Lonely" camunda:formKey="screening" />'
    broken = REFERRAL.replace("</bpmn:laneSet>", "</bpmn:laneSet>\n    " + lonely, 1)
    broken = broken.replace("<bpmn:flowNodeRef>screening</bpmn:flowNodeRef>",
                            "<bpmn:flowNodeRef>screening</bpmn:flowNodeRef><bpmn:flowNodeRef>lonely_task</bpmn:flowNodeRef>")
    client, token = owner(web)
    problems = post(client, token, EDIT + "/check", {"files": {"referral.bpmn": broken}}).get_json()["problems"]
    lint = [p for p in problems if p["element_id"] == "lonely_task" and "bpmnlint" in p["message"]]
    assert lint, problems
    assert lint[0]["line"] == line_of(broken, 'id="lonely_task"')


def test_the_check_changes_nothing_and_refuses_what_the_page_never_sends(web, db):
    client, token = owner(web)
    assert post(client, token, EDIT + "/check", {"files": {"../referral.bpmn": REFERRAL}}).status_code == 400
    assert post(client, token, EDIT + "/check", {"files": {}}).status_code == 400
    assert post(client, token, EDIT + "/check", {"files": {"referral.bpmn": 1}}).status_code == 400
    unknown = post(client, token, "/process-models/nope/edit/check", {"files": {"referral.bpmn": REFERRAL}})
    assert unknown.status_code == 404
    with db.unit_of_work() as session:
        assert session.scalar(select(ProcessVersion.version).order_by(ProcessVersion.version.desc())) == 1


# ----------------------------------------------------------------------------- deploy
@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_deploy_stores_a_new_version_with_the_note_and_says_so_once(web, db):
    edited = REFERRAL.replace('name="Screen the contact"', 'name="Screen the contact (new)"')
    client, token = owner(web)
    body = {"files": {"referral.bpmn": edited}, "note": "Clearer step name"}
    first = post(client, token, EDIT + "/deploy", body)
    assert first.status_code == 201, first.get_json()
    assert first.get_json() | {"warnings": []} == {"process_id": "referral", "version": 2, "created": True,
                                                  "restored_from": None, "latest_version": 2, "warnings": []}
    again = post(client, token, EDIT + "/deploy", body)
    assert again.status_code == 200
    assert again.get_json()["version"] == 2 and again.get_json()["created"] is False
    with db.unit_of_work() as session:
        stored = session.scalar(select(ProcessVersion).where(ProcessVersion.version == 2))
        assert (stored.note, stored.source, stored.created_by) == ("Clearer step name", "modeler", "process-owner")
        assert b'name="Screen the contact (new)"' in bundle_of(stored).bpmn["referral.bpmn"]
        deployed = session.scalars(select(AuditEvent).where(AuditEvent.action == "process.deployed")).all()
        assert [e.details["version"] for e in deployed] == [1, 2]


def test_a_refused_deploy_lists_the_problems_and_stores_nothing(web, db):
    client, token = owner(web)
    broken = without_lane(REFERRAL, "screening")
    response = post(client, token, EDIT + "/deploy", {"files": {"referral.bpmn": broken}, "note": "Oops"})
    assert response.status_code == 422
    assert [p["element_id"] for p in response.get_json()["errors"]] == ["screening"]
    no_note = post(client, token, EDIT + "/deploy", {"files": {"referral.bpmn": REFERRAL}, "note": "  "})
    assert no_note.status_code == 422
    assert no_note.get_json()["errors"][0]["field"] == "note"
    with db.unit_of_work() as session:
        assert session.scalars(select(ProcessVersion.version)).all() == [1]


@pytest.mark.parametrize("username", ["mash-manager", "trainer", "auditor", "police"])
def test_only_process_owners_and_admins_may_edit_check_or_deploy(web, username):
    signed_in = web(username)
    token = signed_in.csrf("/login")  # a token of their own session, so the refusal is the role's
    client = signed_in.client
    assert client.get(EDIT).status_code == 403
    for path in ("/check", "/deploy"):
        response = post(client, token, EDIT + path, {"files": {"referral.bpmn": REFERRAL}, "note": "x"})
        assert response.status_code == 403


def test_check_and_deploy_need_the_pages_csrf_token(web, db):
    client, _token = owner(web)
    body = json.dumps({"files": {"referral.bpmn": REFERRAL.replace("Screen the contact", "Screen it")}, "note": "x"})
    for path in ("/check", "/deploy"):
        missing = client.post(EDIT + path, data=body, content_type="application/json")
        forged = client.post(EDIT + path, data=body, content_type="application/json", headers={"X-CSRFToken": "forged"})
        assert (missing.status_code, forged.status_code) == (400, 400)
    with db.unit_of_work() as session:
        assert session.scalars(select(ProcessVersion.version)).all() == [1]
