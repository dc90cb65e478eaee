"""Any file a process owner uploads gets 201 or a located 422, never a 500.

The corpus (tests/process_models/corpus, origins and licences in its README) holds real diagrams saved by
other tools: the BPMN MIWG reference set, bpmn.io's examples and Camunda 7's examples. Each is deployed alone,
as sent, and again with every process marked executable so that SpiffWorkflow's parser reads all of it.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.process_models.test_deploy_validation import REFERRAL, multipart

CORPUS = Path(__file__).parent / "corpus"
DIAGRAMS = sorted(CORPUS.glob("*/*.bpmn"))
SOURCES = sorted({path.parent.name for path in DIAGRAMS})
EXECUTABLE = re.compile(rb'isExecutable\s*=\s*"false"')
PROCESS_ID = re.compile(rb'<(?:[\w-]+:)?process\b[^>]*?\bid="([^"]+)"')


def test_the_corpus_is_at_least_thirty_real_world_diagrams_with_their_licences():
    assert len(DIAGRAMS) >= 30
    for source in SOURCES:
        assert any((CORPUS / source / name).exists() for name in ("LICENSE", "LICENSE.txt")), source
    listed = (CORPUS / "README.md").read_text(encoding="utf-8")
    assert all(f"`{path.name}`" in listed for path in DIAGRAMS)


def post(owner, name: str, content: bytes, **fields):
    return owner.client.post("/api/v1/process-models", data=multipart((name, content), **fields),
                             headers=owner._headers(), content_type="multipart/form-data")


def answer_problem(name: str, response) -> str | None:
    """What is wrong with the answer to one upload, or None when it is a version (201, or 200 for files already
    deployed) or a 422 locating every error."""
    if response.status_code in (200, 201):
        return None
    if response.status_code != 422:
        return f"{name}: {response.status_code}"
    errors = response.get_json()["errors"]
    unlocated = [e for e in errors if not e["file"] or not e["message"]]
    return f"{name}: unlocated {unlocated}" if not errors or unlocated else None


def all_executable(raw: bytes) -> tuple[bytes, str | None]:
    ids = PROCESS_ID.findall(raw)
    return EXECUTABLE.sub(b'isExecutable="true"', raw), ids[0].decode() if ids else None


@pytest.mark.parametrize("source", SOURCES)
def test_every_diagram_of_the_corpus_is_deployed_or_refused_with_a_located_error(api, source):
    owner = api("process-owner")
    wrong = []
    for path in (p for p in DIAGRAMS if p.parent.name == source):
        raw = path.read_bytes()
        wrong.append(answer_problem(path.name, post(owner, path.name, raw)))
        executable, process_id = all_executable(raw)
        fields = {"process_id": process_id} if process_id else {}
        wrong.append(answer_problem(f"{path.name} (executable)", post(owner, path.name, executable, **fields)))
    assert [w for w in wrong if w] == []


@pytest.mark.parametrize("name", ["C.7.0.bpmn", "C.8.0.bpmn", "C.8.1.bpmn", "C.9.0.bpmn"])
def test_a_business_rule_task_without_a_decision_table_is_refused_with_its_element(api, name):
    raw = (CORPUS / "bpmn-miwg" / name).read_bytes()
    executable, process_id = all_executable(raw)
    response = post(api("process-owner"), name, executable, process_id=process_id)
    assert response.status_code == 422
    rule_tasks = {m.group(1).decode() for m in re.finditer(rb'<[\w-]+:businessRuleTask\b[^>]*?\bid="([^"]+)"', raw)}
    refused = [e for e in response.get_json()["errors"] if e["element_id"] in rule_tasks]
    assert {e["element_id"] for e in refused} == rule_tasks
    assert all(e["file"] == name and e["line"] and "camunda:decisionRef" in e["message"] for e in refused)


def test_a_business_rule_task_naming_a_decision_no_file_holds_is_refused(api):
    # "Note when the checks were requested" redrawn as a business rule task naming a table no file holds.
    text = REFERRAL.replace(
        '<bpmn:scriptTask id="note_checks_requested" name="Note when the checks were requested" scriptFormat="python">',
        '<bpmn:businessRuleTask id="note_checks_requested" name="Note when the checks were requested" '
        'camunda:decisionRef="immediate_risk_table">', 1)
    text = text.replace('<bpmn:script>checks_requested_at = now()</bpmn:script>\n    </bpmn:scriptTask>',
                        '</bpmn:businessRuleTask>', 1)
    assert "businessRuleTask" in text and "checks_requested_at = now()" not in text
    response = post(api("process-owner"), "referral.bpmn", text.encode())
    assert response.status_code == 422
    error = next(e for e in response.get_json()["errors"] if e["element_id"] == "note_checks_requested")
    assert "immediate_risk_table" in error["message"] and error["line"]


@pytest.mark.parametrize(("name", "content"), [
    ("truncated.bpmn", (CORPUS / "bpmn-miwg" / "A.4.0.bpmn").read_bytes()[:5000]),
    ("truncated-referral.bpmn", REFERRAL.encode()[: len(REFERRAL) // 2]),
    ("empty.bpmn", b""),
    ("binary.bpmn", bytes(range(256)) * 8),
    ("archive.bpmn", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 200),
    ("utf16.bpmn", REFERRAL.encode("utf-16")),
    ("decisions.dmn", (CORPUS / "camunda-bpm-examples" / "dinnerDecisions.dmn").read_bytes()),
    ("not-bpmn.bpmn", b'<?xml version="1.0"?><html><body>hello</body></html>'),
])
def test_a_truncated_binary_or_foreign_file_is_refused_with_its_name(api, name, content):
    response = post(api("process-owner"), name, content)
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert any(e["file"] == name or name in e["file"] for e in response.get_json()["errors"])
