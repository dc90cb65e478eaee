"""Resolving Professional Differences: a decision maker, an agency involved in the case or the referrer disputes
the RAG rating or the outcome; the operations manager resolves it within 2 working days, on an open contact or a
closed one; everyone else is told there is no such case."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.casework.scheduler import fire_due
from app.core.clock import clock
from app.core.db import get_db
from app.disagreements.models import ProfessionalDisagreement
from tests import factories as f
from tests.api.test_referral_walks import complete, report, screen_and_check, task_id
from tests.versions.edits import deploy, with_diagram

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
#: A Monday, 10:00 in London (UTC in January), inside working hours.
MONDAY_10AM = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)
#: Two working days on: close of business on Wednesday.
WEDNESDAY_CLOSE = datetime(2027, 1, 6, 17, 30, tzinfo=UTC)
RESOLVE = "Resolve professional disagreement"
DUE = "Disagreement resolution due: 2 working days"
UPHELD = {"child_safe_meanwhile": "yes", "resolution": "decision-upheld", "disputing_party_told": "yes",
          "resolution_rationale": "Spoke to the school and the MASH manager; the threshold for s17 is not met."}


def dispute(api, case_id: int, as_user: str, disputed: str = "outcome", view: str = "The child needs an assessment."):
    return api(as_user).post(f"/api/v1/cases/{case_id}/disagreements", json={"disputed": disputed, "view": view})


def decided(api, outcome: str = "nfa", agencies=("police", "health")) -> int:
    """A contact screened Amber, checked, reviewed and decided; the referrer not yet told."""
    case_id = report(api)
    screen_and_check(api, case_id, "amber", agencies)
    complete(api, case_id, "mash_review", "mash-manager", f.review())
    complete(api, case_id, "decision", "mash-manager", f.decision(outcome))
    return case_id


def as_the_hub_reads_it(api, case_id: int, disagreement_id: int) -> dict:
    rows = api("ops-manager").get(f"/api/v1/cases/{case_id}/disagreements").get_json()
    return next(row for row in rows if row["id"] == disagreement_id)


def case(api, case_id: int) -> dict:
    return api("ops-manager").get(f"/api/v1/cases/{case_id}").get_json()


def audit(case_id: int, action: str) -> list[AuditEvent]:
    with get_db().unit_of_work(write=False) as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id,
                                                             AuditEvent.action == action)))


@BOTH
def test_an_involved_agency_disputes_the_outcome_and_the_ops_manager_resolves_it_within_two_working_days(api):
    clock.freeze(MONDAY_10AM)
    case_id = decided(api)
    raised = dispute(api, case_id, "police", view="Three call-outs this month: this is not NFA.")
    assert raised.status_code == 201, raised.get_json()
    record = raised.get_json()
    assert (record["disputed"], record["status"], record["raised_by_role"]) == ("outcome", "open", "police")
    assert "resolution_rationale" not in record  # the agency reads its own view and the outcome, not the hub's reasons

    inbox = api("ops-manager").get("/api/v1/tasks").get_json()
    steps = [t for t in inbox if t["case_id"] == case_id]
    assert [t["name"] for t in steps] == [RESOLVE]
    assert steps[0]["task_id"] == as_the_hub_reads_it(api, case_id, record["id"])["task_id"]
    assert datetime.fromisoformat(steps[0]["due_at"]) == WEDNESDAY_CLOSE
    deadlines = {d["name"]: d for d in case(api, case_id)["deadlines"]}
    assert datetime.fromisoformat(deadlines[DUE]["due_at"]) == WEDNESDAY_CLOSE
    assert deadlines[DUE]["state"] == "on-track"
    # The rest of the case carries on: business support still owes the referrer feedback.
    assert {t["name"] for t in case(api, case_id)["open_tasks"]} == {RESOLVE, "Send feedback to the referrer"}

    clock.advance(timedelta(hours=3))
    complete(api, case_id, "resolve_professional_disagreement", "ops-manager", UPHELD)
    [row] = api("mash-manager").get(f"/api/v1/cases/{case_id}/disagreements").get_json()
    assert (row["status"], row["resolution"], row["resolved_by"]) == ("resolved", "decision-upheld", "ops-manager")
    assert row["resolution_rationale"] == UPHELD["resolution_rationale"]
    deadlines = {d["name"]: d for d in case(api, case_id)["deadlines"]}
    assert deadlines[DUE]["state"] == "met"
    assert [e.details["disagreement_id"] for e in audit(case_id, "disagreement.raised")] == [row["id"]]
    assert [e.details["resolution"] for e in audit(case_id, "disagreement.resolved")] == ["decision-upheld"]
    # The police read back their own disagreement with its outcome code.
    [own] = api("police").get(f"/api/v1/cases/{case_id}/disagreements").get_json()
    assert (own["resolution"], "resolution_rationale" in own) == ("decision-upheld", False)


@BOTH
def test_two_disagreements_make_two_steps_each_with_its_own_deadline(api):
    clock.freeze(MONDAY_10AM)
    case_id = decided(api)
    first = dispute(api, case_id, "police", "rag", "Red, not Amber.").get_json()
    clock.advance(timedelta(days=1))  # Tuesday
    second = dispute(api, case_id, "health", "outcome", "Health visitor has new concerns.").get_json()
    first, second = (as_the_hub_reads_it(api, case_id, row["id"]) for row in (first, second))
    steps = {t["task_id"]: t for t in api("ops-manager").get("/api/v1/tasks").get_json() if t["case_id"] == case_id}
    assert set(steps) == {first["task_id"], second["task_id"]}
    assert datetime.fromisoformat(steps[first["task_id"]]["due_at"]) == WEDNESDAY_CLOSE
    assert datetime.fromisoformat(steps[second["task_id"]]["due_at"]) == WEDNESDAY_CLOSE + timedelta(days=1)
    assert [d["name"] for d in case(api, case_id)["deadlines"]].count(DUE) == 2

    api("ops-manager").post(f"/api/v1/tasks/{second['task_id']}/complete", json={
        **UPHELD, "resolution": "escalated", "escalated_to": "Head of Safeguarding, ICB"})
    rows = {r["id"]: r for r in api("ops-manager").get(f"/api/v1/cases/{case_id}/disagreements").get_json()}
    assert (rows[first["id"]]["status"], rows[second["id"]]["resolution"]) == ("open", "escalated")
    assert rows[second["id"]]["escalated_to"] == "Head of Safeguarding, ICB"


@BOTH
def test_the_deadline_breaches_on_the_wall_and_the_step_can_still_be_done(api):
    clock.freeze(MONDAY_10AM)
    case_id = decided(api)
    dispute(api, case_id, "mash-manager", "rag", "On reflection the police return makes this Red.")
    clock.freeze(WEDNESDAY_CLOSE + timedelta(minutes=1))
    fire_due()
    deadlines = {d["name"]: d for d in case(api, case_id)["deadlines"]}
    assert deadlines[DUE]["state"] == "breached"
    complete(api, case_id, "resolve_professional_disagreement", "ops-manager",
             {**UPHELD, "resolution": "decision-changed", "changed_to": "Red; the MASH manager re-rates today."})
    [row] = api("ops-manager").get(f"/api/v1/cases/{case_id}/disagreements").get_json()
    assert (row["resolution"], row["changed_to"]) == ("decision-changed", "Red; the MASH manager re-rates today.")


@BOTH
def test_the_referrer_disputes_the_nfa_on_their_own_closed_contact_which_opens_until_it_is_resolved(api):
    clock.freeze(MONDAY_10AM)
    case_id = decided(api)
    closed = complete(api, case_id, "feedback_to_referrer", "business-support", f.feedback())
    assert (closed["status"], closed["closure"]) == ("closed", "end_closed")

    raised = dispute(api, case_id, "referrer", "outcome", "I still believe the child is at risk at home.")
    assert raised.status_code == 201, raised.get_json()
    assert raised.get_json()["raised_by_role"] == "referrer"
    reopened = case(api, case_id)
    assert reopened["status"] == "open" and reopened["outcome"] == "nfa"
    assert [t["name"] for t in reopened["open_tasks"]] == [RESOLVE]
    assert [e.details["closure"] for e in audit(case_id, "case.reopened")] == ["end_closed"]
    # Open again, it is on the SLA wall and its deadline fires like any other.
    clock.freeze(WEDNESDAY_CLOSE + timedelta(minutes=1))
    fire_due()
    assert {d["name"]: d["state"] for d in case(api, case_id)["deadlines"]}[DUE] == "breached"

    complete(api, case_id, "resolve_professional_disagreement", "ops-manager", UPHELD)
    again = case(api, case_id)
    assert (again["status"], again["closure"], again["outcome"], again["open_tasks"]) == (
        "closed", "end_closed", "nfa", [])
    [mine] = api("referrer").get(f"/api/v1/cases/{case_id}/disagreements").get_json()
    assert (mine["status"], mine["resolution"]) == ("resolved", "decision-upheld")


@BOTH
def test_anyone_without_a_part_in_the_case_is_told_there_is_no_such_case(api, app):
    from app.auth.operations import create_user

    case_id = decided(api, agencies=("police",))
    with get_db().unit_of_work() as session:
        create_user(session, "another-referrer", display_name="Another referrer", agency="School", roles=["referrer"])
    for outsider in ("education", "housing", "another-referrer"):
        assert dispute(api, case_id, outsider).status_code == 404, outsider
        assert api(outsider).get(f"/api/v1/cases/{case_id}/disagreements").status_code == 404, outsider
    assert dispute(api, case_id, "business-support").status_code == 403
    assert dispute(api, case_id, "ops-manager").status_code == 404  # resolves them, does not raise them
    assert dispute(api, 999999, "mash-manager").status_code == 404
    assert api("mash-manager").get("/api/v1/cases/999999/disagreements").status_code == 404
    assert api("mash-manager").get(f"/api/v1/cases/{2**70}/disagreements").status_code == 404
    with get_db().unit_of_work(write=False) as session:
        assert session.scalars(select(ProfessionalDisagreement)).all() == []
    assert api("ops-manager").get("/api/v1/tasks").get_json() == []


@BOTH
def test_a_disagreement_without_what_is_disputed_and_why_is_refused_field_by_field(api):
    case_id = decided(api)
    refused = api("mash-manager").post(f"/api/v1/cases/{case_id}/disagreements", json={"view": " "})
    assert refused.status_code == 422
    assert {e["field"] for e in refused.get_json()["errors"]} == {"disputed", "view"}
    wrong = api("mash-manager").post(f"/api/v1/cases/{case_id}/disagreements",
                                     json={"disputed": "everything", "view": "x", "extra": 1})
    assert wrong.status_code == 422
    assert [t for t in api("ops-manager").get("/api/v1/tasks").get_json() if t["case_id"] == case_id] == []


def test_the_resolution_needs_its_reasons_and_what_changed_or_who_it_went_to(api):
    case_id = decided(api)
    step = dispute(api, case_id, "social-worker").get_json()["task_id"]
    refused = api("ops-manager").post(f"/api/v1/tasks/{step}/complete",
                                      json={"child_safe_meanwhile": "yes", "resolution": "escalated",
                                            "disputing_party_told": "no"})
    assert refused.status_code == 422
    assert {e["field"] for e in refused.get_json()["errors"]} == {"escalated_to", "resolution_rationale"}


def test_an_anonymised_contact_cannot_be_disputed(api):
    case_id = decided(api)
    complete(api, case_id, "feedback_to_referrer", "business-support", f.feedback())
    with get_db().unit_of_work() as session:
        from app.cases.models import Case
        session.get(Case, case_id).anonymised_at = clock.now()
    refused = dispute(api, case_id, "mash-manager")
    assert refused.status_code == 409
    assert "retention policy" in refused.get_json()["errors"][0]["message"]


def test_a_contact_on_a_version_without_the_step_gets_a_plain_answer(api, db):
    """A process version whose diagram has no event subprocess for the signal answers 409, saying what to do."""
    deploy(db, lambda bundle: with_diagram(bundle, (b'name="professional_disagreement" />',
                                                    b'name="some_other_signal" />')), note="no disputes")
    case_id = report(api)
    refused = dispute(api, case_id, "mash-manager")
    assert refused.status_code == 409
    assert "no step for professional disagreements" in refused.get_json()["errors"][0]["message"]
    with get_db().unit_of_work(write=False) as session:
        assert session.scalars(select(ProfessionalDisagreement)).all() == []


def test_the_page_form_shows_its_error_summary_and_raises_the_disagreement(api, web):
    case_id = decided(api)
    police = web("police")
    page = police.get(f"/cases/{case_id}").get_data(as_text=True)
    assert f'href="/cases/{case_id}/disagreements/new"' in page
    form = police.get(f"/cases/{case_id}/disagreements/new").get_data(as_text=True)
    assert "Raise a professional disagreement" in form
    bad = police.post_form(f"/cases/{case_id}/disagreements", {"view": ""},
                           csrf_from=f"/cases/{case_id}/disagreements/new")
    assert bad.status_code == 200
    text = bad.get_data(as_text=True)
    assert "govuk-error-summary" in text
    assert "Select what you disagree with" in text and "Enter your view and why" in text
    good = police.post_form(f"/cases/{case_id}/disagreements", {"disputed": "rag", "view": "Should be Red."},
                            csrf_from=f"/cases/{case_id}/disagreements/new")
    assert good.status_code == 302 and good.headers["Location"].endswith(f"/cases/{case_id}")
    step = task_id(api, case_id, "resolve_professional_disagreement", "ops-manager")
    task_page = web("ops-manager").get(f"/tasks/{step}").get_data(as_text=True)
    assert 'id="disagreement"' in task_page and "Should be Red." in task_page and "Police" in task_page
    assert "Outcome of the disagreement" in task_page  # the resolve form
    shown = web("ops-manager").get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Professional disagreements" in shown and "Should be Red." in shown
    # An agency not involved is not offered the link, and the page is not found.
    assert web("housing").get(f"/cases/{case_id}/disagreements/new").status_code == 404


def test_a_referrer_finds_how_to_disagree_beside_each_of_their_contacts(api, web):
    case_id = report(api)
    page = web("referrer").get("/contacts").get_data(as_text=True)
    assert f'href="/cases/{case_id}/disagreements/new"' in page
    assert web("referrer").get(f"/cases/{case_id}/disagreements/new").status_code == 200
