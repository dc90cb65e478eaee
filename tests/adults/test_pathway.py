"""A concern about an adult at risk walks its pathway through the API on both databases: consent, capacity and
wishes, the section 42 decision by adult social care and the outcome; a best-interests decision where the adult
lacks capacity; and, when children live with the adult, a children's case linked to the adult's."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.adults.models import AdultSafeguarding
from app.cases.models import Case
from app.intake.models import Contact
from tests.adults.concerns import BEST_INTERESTS, OUTCOME, adult_concern, consent_capacity, s42_decision
from tests.api.test_referral_walks import complete

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


def raise_concern(api, as_user: str = "referrer", **kwargs) -> int:
    response = api(as_user).post("/api/v1/contacts", json=adult_concern(**kwargs))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["case_id"]


def case_json(api, case_id: int, as_user: str = "adult-social-care") -> dict:
    return api(as_user).get(f"/api/v1/cases/{case_id}").get_json()


def record_of(db, case_id: int) -> AdultSafeguarding:
    with db.unit_of_work() as session:
        row = session.scalars(select(AdultSafeguarding).where(AdultSafeguarding.case_id == case_id)).one()
        session.expunge(row)
        return row


@BOTH
def test_a_section_42_enquiry_is_decided_by_adult_social_care_and_its_outcome_recorded(api, db):
    case_id = raise_concern(api)
    case = case_json(api, case_id)
    assert case["process"]["id"] == "adult_at_risk"
    assert [(t["name"], t["role"]) for t in case["open_tasks"]] == [
        ("Record consent, mental capacity and the adult's wishes", "adult-social-care")]
    # The decision is due within 2 working days of the concern (sla-policies.toml [timescales.s42-decision]).
    assert [d["name"] for d in case["deadlines"]] == ["Section 42 decision due"]
    complete(api, case_id, "record_adult_consent_capacity", "adult-social-care", consent_capacity())
    after = complete(api, case_id, "s42_decision", "adult-social-care", s42_decision("enquiry"))
    assert [t["name"] for t in after["open_tasks"]] == ["Make the enquiry and record its outcome"]
    closed = complete(api, case_id, "record_enquiry_outcome", "adult-social-care", OUTCOME)
    assert closed["status"] == "closed"
    row = record_of(db, case_id)
    assert (row.raised_from, row.abuse_kinds, row.location_of_risk, row.source_of_risk) == (
        "contact", ["financial", "psychological"], "own-home", "known")
    assert (row.consent, row.capacity, row.outcomes_asked, row.best_interests_decision) == (
        "given", "has-capacity", "expressed", None)
    assert (row.s42_duty_met, row.s42_decision, row.decided_by, row.decided_in_time) == (
        True, "enquiry", "adult-social-care", True)
    assert (row.risk_outcome, row.outcomes_met, row.concluded_by) == ("reduced", "partly", "adult-social-care")
    with db.unit_of_work() as session:
        contact = session.scalars(select(Contact).where(Contact.case_id == case_id)).one()
        assert (contact.type, contact.consent_status) == ("adult-at-risk", "given")


@BOTH
def test_no_enquiry_ends_the_pathway_with_the_decision_on_record(api, db):
    case_id = raise_concern(api, consents="no")
    complete(api, case_id, "record_adult_consent_capacity", "adult-social-care", consent_capacity(
        adult_consent="refused", adult_override_reason="Her grandson lives with her and may be at risk."))
    # An enquiry needs all three criteria: the form refuses one without them, and nothing changes.
    refused = api("adult-social-care").post(
        f"/api/v1/tasks/{case_json(api, case_id)['open_tasks'][0]['task_id']}/complete",
        json=s42_decision("enquiry", duty=False))
    assert refused.status_code == 422
    closed = complete(api, case_id, "s42_decision", "adult-social-care", s42_decision("no-enquiry", duty=False))
    assert closed["status"] == "closed"
    row = record_of(db, case_id)
    assert (row.adult_consents_to_concern, row.consent, row.s42_duty_met, row.s42_decision, row.risk_outcome) == (
        "no", "refused", False, "no-enquiry", None)


@BOTH
def test_an_adult_lacking_capacity_has_a_best_interests_decision_before_the_section_42_decision(api, db):
    case_id = raise_concern(api, consents="not-asked")
    after = complete(api, case_id, "record_adult_consent_capacity", "adult-social-care",
                     consent_capacity("lacks-capacity"))
    assert [t["name"] for t in after["open_tasks"]] == ["Record the best-interests decision"]
    # The section 42 deadline moves with the case from step to step: still one deadline.
    assert [d["name"] for d in after["deadlines"]] == ["Section 42 decision due"]
    after = complete(api, case_id, "record_best_interests", "adult-social-care", BEST_INTERESTS)
    assert [t["name"] for t in after["open_tasks"]] == ["Decide whether a section 42 enquiry is needed"]
    complete(api, case_id, "s42_decision", "adult-social-care", s42_decision("other-action"))
    row = record_of(db, case_id)
    assert (row.capacity, row.advocate, row.best_interests_by, row.s42_decision) == (
        "lacks-capacity", True, "Sam Reid, social worker", "other-action")
    assert case_json(api, case_id)["status"] == "closed"


@BOTH
def test_children_in_the_household_start_a_childrens_case_linked_to_the_adults(api, db):
    case_id = raise_concern(api, children=[{"given_name": "Tom", "family_name": "Marsh", "date_of_birth": "2016-04-02"},
                                           {"given_name": "Ava", "family_name": "Marsh"}])
    with db.unit_of_work() as session:
        adult_case = session.get_one(Case, case_id)
        children_case = session.get_one(Case, adult_case.linked_case_id)
        assert children_case.linked_case_id == case_id
        children_id = children_case.id
        assert session.scalars(select(Contact.type).where(Contact.case_id == children_id)).one() in (None, "contact")
    assert record_of(db, case_id).children_case_id == children_id
    children = case_json(api, children_id, "mash-manager")
    assert children["process"]["id"] == "referral"
    assert [(s["role"], s["given_name"]) for s in children["subjects"]] == [
        ("child", "Tom"), ("child", "Ava"), ("adult", "Edith")]
    assert [t["name"] for t in children["open_tasks"]] == ["Screen the contact"]
    assert children["linked_case_id"] == case_id
    adult = case_json(api, case_id, "mash-manager")
    assert adult["linked_case_id"] == children_id
    assert [(s["role"], s["given_name"]) for s in adult["subjects"]] == [("adult", "Edith")]
