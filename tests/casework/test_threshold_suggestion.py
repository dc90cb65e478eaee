"""The threshold's suggestion at screening (processes/threshold.dmn): the screener sees the rating the hub's
threshold suggests and the rule that gave it, and chooses; a different rating needs a reason, on the page and
over the API, and the management information counts how often the suggestion was overridden."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.models import Case, CompletedTask
from app.core.clock import clock
from app.engine import ProcessFault
from tests import factories as f
from tests.pages.helpers import browser_post, error_links, open_task

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
#: A Monday morning: the hub is open.
MONDAY_10 = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)
NEGLECT_RULE = "abuse, neglect or domestic abuse"


def received(api, db, **contact) -> tuple[int, str]:
    """A contact about Ava (born 2015: a child one or older) and its screening task."""
    clock.freeze(MONDAY_10)
    case_id = api("referrer").post("/api/v1/contacts", json=f.contact(**contact)).get_json()["case_id"]
    return case_id, str(open_task(db, case_id, "screening"))


def overrides(db, case_id: int) -> list[dict]:
    with db.unit_of_work(write=False) as session:
        return list(session.scalars(select(AuditEvent.details).where(
            AuditEvent.case_id == case_id, AuditEvent.action == "screening.threshold-overridden")))


@BOTH
def test_the_contact_sets_the_tables_inputs_and_a_screening_that_agrees_needs_no_reason(api, db):
    case_id, task = received(api, db)
    with db.unit_of_work(write=False) as session:
        case = session.get_one(Case, case_id)
        assert case.suggested_rag is None  # nothing is suggested before screening

    response = api("mash-manager").post(f"/api/v1/tasks/{task}/complete", json=f.screening("amber", factors=None))
    assert response.status_code == 200, response.get_json()
    with db.unit_of_work(write=False) as session:
        case = session.get_one(Case, case_id)
        assert (case.suggested_rag, case.suggested_rule, case.screened_rag, case.rag_overridden) == (
            "amber", NEGLECT_RULE, "amber", False)
        data = session.scalar(select(CompletedTask.data).where(CompletedTask.task_id == task))
    assert (data["suggested_rag"], data["suggested_rule"]) == ("amber", NEGLECT_RULE)
    assert "rag_override_reason" not in data
    assert overrides(db, case_id) == []


@BOTH
def test_over_the_api_a_rating_other_than_the_suggestion_needs_a_reason_and_is_audited(api, db):
    case_id, task = received(api, db, dob="2026-10-01")  # a baby under one: neglect suggests Red
    manager = api("mash-manager")
    shown = manager.get(f"/api/v1/tasks/{task}?presenting_factors=16A").get_json()["threshold"]
    assert (shown["suggested_rag"], shown["rule_number"]) == ("red", 3)
    refused = manager.post(f"/api/v1/tasks/{task}/complete",
                           json=f.screening("amber", factors=["16A"], rag_override_reason=None))
    assert refused.status_code == 422
    errors = refused.get_json()["errors"]
    assert [e["field"] for e in errors] == ["rag_override_reason"]
    assert "suggests Red (rule 3, abuse or neglect, baby under one)" in errors[0]["message"]
    assert open_task(db, case_id, "screening") == task  # nothing completed

    reason = "Baby seen by the health visitor yesterday and well; mother engaging."
    done = manager.post(f"/api/v1/tasks/{task}/complete",
                        json=f.screening("amber", factors=["16A"], rag_override_reason=reason))
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["rag"] == "amber"
    with db.unit_of_work(write=False) as session:
        case = session.get_one(Case, case_id)
        assert (case.suggested_rag, case.screened_rag, case.rag_overridden) == ("red", "amber", True)
        data = session.scalar(select(CompletedTask.data).where(CompletedTask.task_id == task))
    assert data["rag_override_reason"] == reason
    # Ratings and the rule only: the reason, free text, stays with the screening.
    assert overrides(db, case_id) == [{"suggested": "red", "chosen": "amber",
                                       "rule": "abuse or neglect, baby under one"}]


def test_the_page_shows_the_suggestion_checks_it_without_javascript_and_asks_why_on_override(api, db, web):
    case_id, task = received(api, db)
    manager = web("mash-manager")
    page = manager.get(f"/tasks/{task}").get_data(as_text=True)
    assert 'id="threshold-suggestion"' in page and "below the threshold" in page  # no factor ticked yet
    assert 'name="mash-threshold"' in page

    ticked = browser_post({"rag": "amber", "presenting_factors": ["18C"], "mash-threshold": "check"})
    page = manager.post_form(f"/tasks/{task}", ticked).get_data(as_text=True)
    suggestion = page[page.index('id="threshold-suggestion"'):page.index("</section>", page.index('id="threshold-sug'))]
    assert ">Red</strong>" in suggestion and "Rule 2: serious harm factor" in suggestion
    assert error_links(page) == []  # checking is not submitting
    assert open_task(db, case_id, "screening") == task

    answers = browser_post(f.screening("amber", factors=["18C"], rag_override_reason=None))
    page = manager.post_form(f"/tasks/{task}", answers).get_data(as_text=True)
    assert error_links(page) == [("#rag_override_reason", ("The threshold suggests Red (rule 2, serious harm factor): "
                                                           "enter why you have rated the contact Amber"))]
    assert open_task(db, case_id, "screening") == task

    answers["rag_override_reason"] = "Old bruising with a consistent explanation; no disclosure."
    assert manager.post_form(f"/tasks/{task}", answers).status_code == 302
    assert overrides(db, case_id)[0]["chosen"] == "amber"


def test_a_table_that_faults_never_blocks_screening(api, db, web, monkeypatch):
    def faulty(*_args, **_kwargs):
        raise ProcessFault("name 'presenting_factor' is not defined (decision table rule 2)", "decide")

    monkeypatch.setattr("app.casework.threshold.try_decision", faulty)
    case_id, task = received(api, db)
    manager = web("mash-manager")
    page = manager.get(f"/tasks/{task}").get_data(as_text=True)
    assert "The threshold&#39;s suggestion is unavailable" in page

    answers = browser_post(f.screening("red", factors=["16A"], rag_override_reason=None))
    assert manager.post_form(f"/tasks/{task}", answers).status_code == 302
    with db.unit_of_work(write=False) as session:
        case = session.get_one(Case, case_id)
        assert (case.rag, case.suggested_rag, case.rag_overridden) == ("red", None, None)
    assert overrides(db, case_id) == []


def test_the_mi_counts_overrides_by_presenting_factor_and_direction(api, db, web):
    screenings = [("Ava", "amber", ["16A"]), ("Ben", "red", ["16A"]), ("Cal", "green", ["16A", "4B"]),
                  ("Dee", "red", ["18C"])]
    for given, rag, factors in screenings:  # four children: none an open enquiry of another
        _, task = received(api, db, given=given, family=f"{given}son")
        response = api("mash-manager").post(f"/api/v1/tasks/{task}/complete", json=f.screening(rag, factors=factors))
        assert response.status_code == 200, response.get_json()

    manager = web("mash-manager")
    query = "from=2027-01-01&to=2027-01-31"
    assert 'id="threshold-overrides"' in manager.get(f"/reports?{query}").get_data(as_text=True)
    rows = {r["factor"]: r for r in csv.DictReader(io.StringIO(
        manager.get(f"/reports/threshold-overrides.csv?{query}").get_data(as_text=True)))}
    neglect = rows["16A Neglect"]
    assert (neglect["screenings"], neglect["agreed"], neglect["overridden_up"], neglect["overridden_down"],
            neglect["overridden"], neglect["overridden_percent"]) == ("3", "1", "1", "1", "2", "66.7")
    assert (rows["4B Mental health – parent or carer"]["overridden_down"], rows["18C Physical abuse – adult on child"]
            ["agreed"]) == ("1", "1")
    assert (rows["All screenings"]["screenings"], rows["All screenings"]["overridden"]) == ("4", "2")
    by_rule = {r["rule"]: r for r in csv.DictReader(io.StringIO(
        manager.get(f"/reports/threshold-overrides-by-rule.csv?{query}").get_data(as_text=True)))}
    assert (by_rule[NEGLECT_RULE]["screenings"], by_rule[NEGLECT_RULE]["overridden"]) == ("3", "2")
