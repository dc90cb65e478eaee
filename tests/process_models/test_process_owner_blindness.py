"""A process owner is trusted with diagrams, not with children's records. A deployed script can put case data
into the engine's error text (``raise ValueError(rag_rationale)``), and the migration preview dry-runs real
cases: whatever the process owner can open shows the element, the kind of refusal and how many cases,
never text that came from evaluating a case. Decision makers still see the engine's whole message on the
SLA wall, where they need it to act on the case."""
from __future__ import annotations

import html
import io
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.auth.authorisation import ROUTE_ROLES, SIGNED_IN
from app.cases.models import Case
from app.casework.scheduler import MAX_ATTEMPTS, fire_due
from app.core.clock import clock
from app.core.config import PROJECT_ROOT
from tests import factories as f
from tests.api.test_referral_walks import complete, report
from tests.test_route_role_matrix import routes

MONDAY_10 = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)
#: A practitioner wrote the child's name into the screening rationale, as people do.
CHILD = "Zebedee Quartermaine"
RATIONALE = f"{CHILD} told her teacher about the bruises"
#: Version 2: when the decision's deadline runs out at the review, a script records it first, and fails quoting
#: case data. (old, new) edits of the shipped diagram, each found exactly once; the end event's place is read.
SCRIPT = 'raise ValueError("Overdue review: " + rag_rationale)'
END = (b'<bpmn:endEvent id="end_review_decision_deadline" name="Decision due passed">\n'
       b'      <bpmn:documentation>Records that this deadline passed: the breach shows on the SLA wall and on the '
       b'case.</bpmn:documentation>\n')
EDITS = [
    (END + b'      <bpmn:incoming>Flow_review_decision_deadline</bpmn:incoming>',
     b'<bpmn:scriptTask id="record_review_overdue" name="Record the overdue review" scriptFormat="python">\n'
     b'      <bpmn:documentation>Records that the review ran past the decision deadline.</bpmn:documentation>\n'
     b'      <bpmn:incoming>Flow_review_decision_deadline</bpmn:incoming>\n'
     b'      <bpmn:outgoing>Flow_review_overdue_recorded</bpmn:outgoing>\n'
     b'      <bpmn:script>' + SCRIPT.replace('"', "&quot;").encode() + b'</bpmn:script>\n'
     b'    </bpmn:scriptTask>\n'
     b'    ' + END + b'      <bpmn:incoming>Flow_review_overdue_recorded</bpmn:incoming>'),
    ((b'<bpmn:sequenceFlow id="Flow_review_decision_deadline" sourceRef="review_decision_deadline" '
      b'targetRef="end_review_decision_deadline" />'),
     (b'<bpmn:sequenceFlow id="Flow_review_decision_deadline" sourceRef="review_decision_deadline" '
      b'targetRef="record_review_overdue" />\n'
      b'    <bpmn:sequenceFlow id="Flow_review_overdue_recorded" sourceRef="record_review_overdue" '
      b'targetRef="end_review_decision_deadline" />')),
    (b'<bpmn:flowNodeRef>end_review_decision_deadline</bpmn:flowNodeRef>',
     (b'<bpmn:flowNodeRef>end_review_decision_deadline</bpmn:flowNodeRef>\n'
      b'        <bpmn:flowNodeRef>record_review_overdue</bpmn:flowNodeRef>')),
]


def with_the_script_drawn(raw: bytes) -> bytes:
    """The script task where the end event was, the end event below it."""
    shape = re.search(rb'<bpmndi:BPMNShape id="end_review_decision_deadline_di" '
                      rb'bpmnElement="end_review_decision_deadline">'
                      rb'\s*<dc:Bounds x="(\d+)" y="(\d+)" width="36" height="36" />', raw)
    assert shape is not None
    x, y = int(shape.group(1)), int(shape.group(2))
    drawn = (b'<bpmndi:BPMNShape id="record_review_overdue_di" bpmnElement="record_review_overdue">\n'
             b'        <dc:Bounds x="%d" y="%d" width="100" height="80" />\n'
             b'      </bpmndi:BPMNShape>\n'
             b'      <bpmndi:BPMNEdge id="Flow_review_overdue_recorded_di" '
             b'bpmnElement="Flow_review_overdue_recorded">\n'
             b'        <di:waypoint x="%d" y="%d" />\n'
             b'        <di:waypoint x="%d" y="%d" />\n'
             b'      </bpmndi:BPMNEdge>\n'
             b'      <bpmndi:BPMNShape id="end_review_decision_deadline_di" '
             b'bpmnElement="end_review_decision_deadline">\n'
             b'        <dc:Bounds x="%d" y="%d" width="36" height="36" />') % (
        x - 32, y, x + 18, y + 80, x + 18, y + 120, x, y + 120)
    return raw.replace(shape.group(0), drawn)


MIGRATIONS = "/process-models/referral/migrations"


def shipped_referral() -> bytes:
    return (PROJECT_ROOT / "processes" / "referral.bpmn").read_bytes()


def deploy_version_2(api) -> dict:
    raw = shipped_referral()
    for old, replacement in EDITS:
        assert raw.count(old) == 1, old
        raw = raw.replace(old, replacement)
    raw = with_the_script_drawn(raw)
    response = api("process-owner").client.post(
        "/api/v1/process-models", headers=api("process-owner")._headers(),
        data={"files": (io.BytesIO(raw), "referral.bpmn"),
              "note": "Record an overdue review"}, content_type="multipart/form-data")
    assert response.status_code == 201, [e["message"] for e in response.get_json()["errors"]]
    return response.get_json()


def at_review(api, given: str = "Zebedee", family: str = "Quartermaine") -> int:
    """Screened amber with the child's name in the rationale, police returned: at the review, the decision's
    deadline (Wednesday 11:07:30: a working day from receipt and a quarter of one more) running."""
    case_id = report(api, given=given, family=family)
    complete(api, case_id, "screening", "mash-manager", f.screening("amber", ["police"], rag_rationale=RATIONALE))
    complete(api, case_id, "police_check", "police", f.agency_return())
    return case_id


def visible_text(body: str) -> str:
    return html.unescape(body)


def assert_blind(body: str, where: str) -> None:
    text = visible_text(body)
    for secret in (CHILD, "Zebedee", "Quartermaine", "told her teacher"):
        assert secret not in text, f"{where} shows case data: {secret!r}"


def test_the_preview_and_every_page_a_process_owner_opens_hold_no_case_data(app, api, web, db):
    clock.freeze(MONDAY_10)
    old_cases = [at_review(api), at_review(api, "Ava", "Smith")]
    deployed = deploy_version_2(api)
    assert_blind(str(deployed), "the deploy answer")
    clock.advance(timedelta(days=2, hours=2))  # the decision's deadline ran out; the scheduler has not fired yet

    owner = web("process-owner")
    preview = owner.get(MIGRATIONS)
    assert preview.status_code == 200
    page = visible_text(preview.get_data(as_text=True))
    assert_blind(page, "the migration preview")
    # What the process owner needs: the element at fault, the kind of refusal, how many cases.
    summary = page[page.index('id="refusal-summary"'):]
    summary = " ".join(summary[:summary.index("</table>")].split())
    assert "record_review_overdue" in summary and "fails" in summary
    assert re.search(r"record_review_overdue.*?>\s*2\s*<", summary), summary

    # Moving them anyway (the tokens the preview would post) says why not in the same terms.
    with db.unit_of_work(write=False) as session:
        tokens = [f"{c.id}:{c.version}" for c in session.scalars(select(Case).where(Case.id.in_(old_cases)))]
    moved = owner.post_form(MIGRATIONS, {"to": str(deployed["version"]), "cases": tokens})
    assert moved.status_code == 200
    result = visible_text(moved.get_data(as_text=True))
    assert_blind(result, "the migration result")
    assert "record_review_overdue" in result

    # Every other page and API answer the process owner may open.
    values = {"process_id": "referral", "version": str(deployed["version"]), "filename": "referral.bpmn",
              "step_id": "mash_review", "case_id": str(old_cases[0])}
    opened = 0
    for endpoint, method, rule in routes(app):
        allowed = ROUTE_ROLES.get(endpoint, frozenset())
        if method != "GET" or not ({"process-owner", SIGNED_IN} & allowed) or endpoint in ("static", "auth.logout"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: values.get(m.group(1), "1"), rule)
        if path.startswith("/api/"):
            response = api("process-owner").get(path)
        else:
            response = owner.get(path, follow_redirects=True)
        assert response.status_code < 500, f"GET {path}: {response.status_code}"
        assert_blind(response.get_data(as_text=True), f"GET {path}")
        opened += 1
    assert opened >= 10


def test_decision_makers_still_see_the_whole_message_on_the_sla_wall(app, api, web, db):
    clock.freeze(MONDAY_10)
    deploy_version_2(api)
    case_id = at_review(api)  # started on version 2
    clock.advance(timedelta(days=2, hours=2))  # past the decision's deadline
    for _ in range(MAX_ATTEMPTS):
        fire_due()
        clock.advance(timedelta(minutes=5))
    wall = visible_text(web("mash-manager").get("/dashboard").get_data(as_text=True))
    assert "Overdue review: " + RATIONALE in wall and "record_review_overdue" in wall
    assert web("process-owner").get("/dashboard").status_code == 403
    with db.unit_of_work(write=False) as session:
        assert session.get(Case, case_id).status == "open"
