"""A step whose diagram is broken: the manager's decision goes in, the gateway after it fails on a bad
expression. The answers are held in an incident managers see on the SLA wall; the case stays at its step,
other cases carry on; once a fixed version is deployed and the case moved onto it, Retry puts the held
answers through as the manager who gave them."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from app.audit.chain import verify
from app.audit.models import AuditEvent
from app.auth.operations import user_by_username
from app.cases.models import Case, CompletedTask
from app.casework.version_moves import migrate_cases
from app.inbox.models import OpenTask
from app.incidents.models import Incident
from app.process_models import registry
from tests import factories as f
from tests.api.test_referral_walks import complete, report, screen_and_check, task_id
from tests.versions.edits import deploy, with_diagram

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
#: The decision's "Strategy discussion" route (the first of its two such conditions: the outcome gateway's).
GOOD = (b'targetRef="strategy_and_feedback">\n      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
        b'outcome == "strategy-discussion"</bpmn:conditionExpression>')
#: A process owner's slip: a name the case data does not have. It compiles, and fails only when it runs.
BROKEN = (b'targetRef="strategy_and_feedback">\n      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
          b'outcome == strategy_discussion_outcome</bpmn:conditionExpression>')


def broken(bundle):
    return with_diagram(bundle, (GOOD, BROKEN))


def fixed(bundle):
    """The mended condition (worded differently from version 1, so it is a new version, not version 1 again)."""
    mended = BROKEN.replace(b'outcome == strategy_discussion_outcome', b'"strategy-discussion" == outcome')
    return with_diagram(bundle, (BROKEN, mended))


def at_decision(api) -> int:
    case_id = report(api)
    screen_and_check(api, case_id, "amber", ["police"])
    complete(api, case_id, "mash_review", "mash-manager", f.review())
    return case_id


def count(db, model, *where) -> int:
    with db.unit_of_work(write=False) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def actions(db, case_id: int) -> list[tuple[str, str]]:
    with db.unit_of_work(write=False) as session:
        return [(e.action, e.username) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.action.like("task.%incident%"))
            .order_by(AuditEvent.seq))]


def manager(db):
    with db.unit_of_work(write=False) as session:
        return user_by_username(session, "mash-manager").as_actor()


@BOTH
def test_a_failing_step_holds_its_answers_in_an_incident_and_goes_through_after_the_fix(api, db):
    assert deploy(db, broken, "decision gateway: condition typed wrongly") == 2
    case_id = at_decision(api)
    decision = task_id(api, case_id, "decision", "mash-manager")
    with db.unit_of_work(write=False) as session:
        state_before = session.get(Case, case_id).state

    response = api("mash-manager").post(f"/api/v1/tasks/{decision}/complete", json=f.decision("nfa"))
    assert response.status_code == 202, response.get_json()
    held = response.get_json()
    assert held["case_id"] == case_id and "answers are saved" in held["message"]

    # Nothing of the step happened: the case is where it was, its task still open, nothing recorded as done.
    with db.unit_of_work(write=False) as session:
        case = session.get(Case, case_id)
        assert case.state == state_before and case.outcome is None and case.status == "open"
        assert session.get(OpenTask, decision) is not None
        incident = session.get(Incident, held["incident_id"])
        assert (incident.kind, incident.task_id, incident.element_id, incident.attempts) == (
            "task", decision, "outcome_check", 1)
        assert "strategy_discussion_outcome" in incident.error
        assert incident.submitted_by == "mash-manager" and incident.raised_at is not None
    assert count(db, CompletedTask, CompletedTask.task_id == decision) == 0
    assert actions(db, case_id) == [("task.incident-raised", "mash-manager")]

    # Managers see it, with the version the case runs; the step cannot be submitted a second time meanwhile.
    listed = api("mash-manager").get("/api/v1/incidents").get_json()["incidents"]
    assert [(i["incident_id"], i["kind"], i["step"], i["version"], i["latest_version"]) for i in listed] == [
        (held["incident_id"], "task", "Decide the outcome", 2, 2)]
    again = api("mash-manager").post(f"/api/v1/tasks/{decision}/complete", json=f.decision("advice"))
    assert again.status_code == 409 and "waiting for a fix" in again.get_json()["errors"][0]["message"]
    assert api("police").get("/api/v1/incidents").status_code == 403

    # Nothing else is blocked: another contact is screened and checked on the same (broken) version.
    other = report(api, given="Leo", family="Brown", dob="2016-02-03")
    screen_and_check(api, other, "amber", ["police"])
    complete(api, other, "mash_review", "mash-manager", f.review())

    # Retrying before the fix fails again, clearly, and counts the attempt.
    retry = api("mash-manager").post(f"/api/v1/incidents/{held['incident_id']}/retry")
    assert retry.status_code == 409 and "failed again" in retry.get_json()["errors"][0]["message"]
    with db.unit_of_work(write=False) as session:
        assert session.get(Incident, held["incident_id"]).attempts == 2

    # The process owner deploys the fix and moves the case onto it; the manager retries.
    assert deploy(db, fixed, "decision gateway: condition mended") == 3
    with db.unit_of_work(write=False) as session:
        lock = session.get(Case, case_id).version
    assert migrate_cases("referral", 3, [(case_id, lock)], manager(db)).moved
    retry = api("mash-manager").post(f"/api/v1/incidents/{held['incident_id']}/retry")
    assert retry.status_code == 200 and retry.get_json() == {"incident_id": held["incident_id"], "resolved": True}

    after = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()
    assert after["outcome"] == "nfa"
    assert [t["role"] for t in after["open_tasks"]] == ["business-support"]
    with db.unit_of_work(write=False) as session:
        done = session.get(CompletedTask, decision)
        assert done.completed_by == "mash-manager"
        incident = session.get(Incident, held["incident_id"])
        assert incident.resolution == "completed" and incident.submission is None
    assert count(db, AuditEvent, AuditEvent.action == "task.completed", AuditEvent.task_id == decision) == 1
    assert actions(db, case_id) == [("task.incident-raised", "mash-manager"),
                                    ("task.incident-failed-again", "mash-manager"),
                                    ("task.incident-resolved", "mash-manager")]
    assert api("mash-manager").get("/api/v1/incidents").get_json()["incidents"] == []
    complete(api, case_id, "feedback_to_referrer", "business-support", f.feedback())
    with db.unit_of_work(write=False) as session:
        assert verify(session).ok


def test_the_wall_shows_a_held_step_and_a_manager_can_give_the_task_back(api, web, db):
    deploy(db, broken)
    case_id = at_decision(api)
    decision = task_id(api, case_id, "decision", "mash-manager")
    manager_web = web("mash-manager")

    # Submitted from the task page: the practitioner is told their answers are kept, not shown a crash.
    page = manager_web.post_form(f"/tasks/{decision}", f.decision("nfa"))
    assert page.status_code == 302
    inbox = html.unescape(manager_web.get("/inbox").get_data(as_text=True))
    assert "answers are saved" in inbox and "Waiting for a process fix" in inbox
    task_page = manager_web.get(f"/tasks/{decision}").get_data(as_text=True)
    assert 'id="task-incident"' in task_page and '<form method="post" novalidate>' not in task_page
    case_page = html.unescape(manager_web.get(f"/cases/{case_id}").get_data(as_text=True))
    assert "Decide the outcome could not go on" in case_page

    wall = html.unescape(manager_web.get("/dashboard").get_data(as_text=True))
    panel = " ".join(re.search(r'<section class="mash-wall__incidents".*?</section>', wall, re.S).group(0).split())
    assert "Decide the outcome" in panel and "answers saved from mash-manager" in panel
    assert "strategy_discussion_outcome" in panel and "referral version 2" in panel
    [incident_id] = re.findall(r'data-incident-id="(\d+)" data-incident-kind="task"', wall)

    # Giving the task back closes the incident without its answers: the form is offered again.
    response = manager_web.post_form(f"/dashboard/incidents/{incident_id}/give-back", {})
    assert response.status_code == 302
    assert "mash-wall__incidents" not in manager_web.get("/dashboard").get_data(as_text=True)
    assert '<form method="post" novalidate>' in manager_web.get(f"/tasks/{decision}").get_data(as_text=True)
    with db.unit_of_work(write=False) as session:
        incident = session.get(Incident, int(incident_id))
        assert (incident.resolution, incident.resolved_by, incident.submission) == ("returned", "mash-manager", None)
    assert actions(db, case_id)[-2:] == [("task.incident-returned", "mash-manager"),
                                         ("task.incident-resolved", "mash-manager")]


#: Version 2 breaks the first gateway every contact passes: the start itself fails.
START_GOOD = b'has_open_case == True</bpmn:conditionExpression>'
START_BROKEN = b'has_open_case == open_case_found</bpmn:conditionExpression>'


def test_a_contact_whose_process_cannot_start_is_kept_and_starts_after_the_fix(api, db):
    deploy(db, lambda bundle: with_diagram(bundle, (START_GOOD, START_BROKEN)))
    response = api("referrer").post("/api/v1/contacts", json=f.contact())
    assert response.status_code == 201  # the referrer is told it was received: it was, and it is kept
    case_id = response.get_json()["case_id"]
    with db.unit_of_work(write=False) as session:
        case = session.get(Case, case_id)
        assert (case.status, case.current_step) == ("open", "Waiting for a process fix")
        assert count(db, OpenTask, OpenTask.case_id == case_id) == 0
    [listed] = api("mash-manager").get("/api/v1/incidents").get_json()["incidents"]
    assert (listed["case_id"], listed["kind"], listed["step"]) == (case_id, "start", "Start of the process")
    assert "open_case_found" in listed["error"]

    # Retry starts it afresh on the latest version: nothing of the broken one ran, so nothing is carried over.
    retry = api("mash-manager").post(f"/api/v1/incidents/{listed['incident_id']}/retry")
    assert retry.status_code == 409 and "failed again" in retry.get_json()["errors"][0]["message"]
    deploy(db, lambda bundle: with_diagram(bundle, (START_BROKEN, b'True == has_open_case</bpmn:conditionExpression>')))
    assert api("mash-manager").post(f"/api/v1/incidents/{listed['incident_id']}/retry").status_code == 200
    after = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()
    assert [t["name"] for t in after["open_tasks"]] == ["Screen the contact"]
    with db.unit_of_work(write=False) as session:
        audit = [e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id)
                                                   .order_by(AuditEvent.seq))]
    assert [a for a in audit if a.startswith("case.") and a != "case.viewed"] == [
        "case.incident-raised", "case.incident-failed-again", "case.migrated", "case.incident-resolved"]
    with db.unit_of_work(write=False) as session:
        case = session.get(Case, case_id)
        assert case.process_version_id == registry.latest_version(session, "referral").id
        assert case.current_step == "Screen the contact"
