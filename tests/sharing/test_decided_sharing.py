"""The decision maker decides sharing; business support sends what was decided (#18, point 7), and the
decision records one outcome plus additional referrals that never repeat it (point 6)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from tests import factories as f
from tests.api.test_referral_walks import complete, report
from tests.sharing.walks import (
    POLICE_FINDINGS,
    decided,
    decision_task,
    decisions,
    feedback_task,
    reviewed,
)

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
REFERRER = f.contact()["referrer"]
LADO_AGAIN = "Referring to the LADO is already the outcome: do not select it as an additional referral too"


def errors_of(response) -> dict[str, str]:
    assert response.status_code == 422, response.get_json()
    return {e["field"]: e["message"] for e in response.get_json()["errors"]}


@BOTH
def test_the_decision_makers_sharing_decision_is_stored_with_article_6_even_with_consent(api, db):
    case_id = decided(api, "early-help", ["early-help"])

    rows = [r for r in decisions(db, case_id) if r.stage == "dissemination"]
    assert [(r.recipient, r.decision, r.consent_status) for r in rows] == [("early-help", "share", "given")]
    [row] = rows
    assert (row.lawful_basis_art6, row.condition_art9) == ("uk-gdpr-6-1-e", "dpa-sch1-para6")
    assert row.decided_by == "mash-manager"
    assert (row.sent_at, row.sent_by, row.product) == (None, None, None)  # decided, not sent yet
    assert row.reason_without_consent is None

    complete(api, case_id, "feedback_to_referrer", "business-support", f.feedback(sent_method="secure-portal"))

    [row] = [r for r in decisions(db, case_id) if r.stage == "dissemination"]
    assert (row.decided_by, row.sent_by, row.sent_method) == ("mash-manager", "business-support", "secure-portal")
    assert row.lawful_basis_art6 == "uk-gdpr-6-1-e" and row.product["recipient"] == "early-help"
    assert POLICE_FINDINGS not in str(row.product)  # hub-only police findings never leave
    with db.unit_of_work(write=False) as session:
        sent = list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id,
                                                             AuditEvent.action == "sharing.sent")))
    assert [(e.username, e.details["recipient"], e.details["decided_by"]) for e in sent] == [
        ("business-support", "early-help", "mash-manager")]


@BOTH
def test_a_product_leaving_the_hub_with_consent_still_needs_article_6_and_a_condition(api):
    case_id = reviewed(api)
    answers = f.decision("s17-assessment", ["assessment-team"])
    del answers["sharing_lawful_basis"], answers["sharing_special_category_condition"]

    response = api("mash-manager").post(f"/api/v1/tasks/{decision_task(api, case_id)}/complete", json=answers)

    assert errors_of(response) == {
        "sharing_lawful_basis": "Select the lawful basis for sharing the information product",
        "sharing_special_category_condition": "Select the condition for special category data in the product"}


@BOTH
def test_business_support_can_no_longer_change_the_recipients_or_the_basis(api, db):
    case_id = decided(api, "s17-assessment", ["assessment-team"])
    task = feedback_task(api, case_id)
    support = api("business-support")

    shown = support.get(f"/api/v1/tasks/{task}").get_json()
    assert set(shown["form"]["properties"]) == {"feedback_method", "feedback_summary", "product_sent_method"}
    assert shown["form"]["required"] == ["feedback_method", "feedback_summary", "product_sent_method"]
    decision = shown["sending"]["sharing_decision"]
    assert (decision["recipients"], decision["lawful_basis"], decision["decided_by"]) == (
        ["assessment-team"], "uk-gdpr-6-1-e", "mash-manager")
    assert [p["recipient"] for p in shown["sending"]["products"]] == ["assessment-team"]

    changed = {**f.feedback(sent_method="secure-email"), "information_product_recipients": ["police"],
               "sharing_lawful_basis": "uk-gdpr-6-1-d"}
    assert errors_of(support.post(f"/api/v1/tasks/{task}/complete", json=changed)) == {
        "information_product_recipients": "information_product_recipients is not a field of this form",
        "sharing_lawful_basis": "sharing_lawful_basis is not a field of this form"}
    assert errors_of(support.post(f"/api/v1/tasks/{task}/complete", json=f.feedback())) == {
        "product_sent_method": "Select how you sent the information product"}

    complete(api, case_id, "feedback_to_referrer", "business-support", f.feedback(sent_method="secure-email"))
    out = [r for r in decisions(db, case_id) if r.stage == "dissemination"]
    assert [(r.recipient, r.lawful_basis_art6) for r in out] == [("assessment-team", "uk-gdpr-6-1-e")]


def test_a_product_that_stays_in_the_hub_asks_nothing_about_sending_it(api):
    case_id = decided(api, "nfa", ["none"])
    shown = api("business-support").get(f"/api/v1/tasks/{feedback_task(api, case_id)}").get_json()

    assert set(shown["form"]["properties"]) == {"feedback_method", "feedback_summary"}
    assert shown["sending"]["sharing_decision"]["recipients"] == [] and shown["sending"]["products"] == []
    complete(api, case_id, "feedback_to_referrer", "business-support", f.feedback())


@BOTH
def test_without_a_sharing_decision_the_feedback_step_asks_as_before(api, db):
    """A blue contact has no decision step (and a case decided before #18 has no sharing decision on it):
    the feedback form borrows the decision form's sharing questions and the sender decides and sends."""
    case_id = report(api)
    complete(api, case_id, "screening", "mash-manager", f.screening("blue", []))
    task = feedback_task(api, case_id)
    shown = api("business-support").get(f"/api/v1/tasks/{task}").get_json()

    assert {"information_product_recipients", "sharing_consent", "sharing_lawful_basis"} <= set(
        shown["form"]["properties"])
    assert shown["sending"] == {"sharing_decision": None, "products": []}
    assert list(errors_of(api("business-support").post(f"/api/v1/tasks/{task}/complete", json=f.feedback()))) == [
        "information_product_recipients", "sharing_consent"]

    complete(api, case_id, "feedback_to_referrer", "business-support", f.feedback(["none"]))
    out = [r for r in decisions(db, case_id) if r.stage == "dissemination"]
    assert [(r.decision, r.decided_by, r.sent_by) for r in out] == [("not-share", "business-support",
                                                                      "business-support")]


def test_business_supports_feedback_page_shows_what_to_send(api, web):
    case_id = decided(api, "s17-assessment", ["assessment-team", "police"],
                      sharing={"additional_referrals": ["marac"]})

    page = web("business-support").get(f"/tasks/{feedback_task(api, case_id)}").get_data(as_text=True)

    start = page.index('id="what-to-send"')
    brief = page[start:page.index("<form", start)]
    decided_part = brief[brief.index('id="decided-outcome"'):brief.index('id="referrer-contact"')]
    assert "Child and family (section 17) assessment" in decided_part and "Refer to MARAC" in decided_part
    assert "Outcome s17-assessment on the evidence gathered." in decided_part
    contact = brief[brief.index('id="referrer-contact"'):brief.index('id="sharing-decision"')]
    for detail in (REFERRER["name"], REFERRER["organisation"], REFERRER["email"], REFERRER["phone"]):
        assert detail in contact
    sharing = brief[brief.index('id="sharing-decision"'):]
    assert "Assessment team, Police" in sharing and "UK GDPR Article 6(1)(e): public task" in sharing
    assert "DPA 2018 Schedule 1 para 6" in sharing and "by mash-manager" in sharing
    preview = brief[brief.index('id="product-preview-police"'):]
    assert "bruising to the arm noted" in preview  # health's return goes out
    assert POLICE_FINDINGS not in page and "Covert intelligence" not in page  # hub-only: not in the product
    # The form asks only how it was sent; the sharing questions are not business support's.
    form = page[page.index("<form", start):]
    assert 'name="product_sent_method"' in form and 'name="information_product_recipients"' not in form


@BOTH
def test_a_repeat_of_the_primary_outcome_in_additional_referrals_is_refused(api):
    case_id = reviewed(api)
    task = decision_task(api, case_id)
    repeat = f.decision("marac", additional_referrals=["lado", "marac"])

    assert errors_of(api("mash-manager").post(f"/api/v1/tasks/{task}/complete", json=repeat)) == {
        "additional_referrals": "Referring to MARAC is already the outcome: do not select it as an additional "
                                "referral too"}

    after = complete(api, case_id, "decision", "mash-manager",
                     f.decision("s17-assessment", additional_referrals=["marac", "police-investigation"]))
    assert (after["outcome"], after["additional_referrals"]) == ("s17-assessment", ["marac", "police-investigation"])


def test_the_decision_page_refuses_a_repeat_with_the_error_summary_and_the_case_page_shows_the_referrals(api, web):
    case_id = reviewed(api)
    manager = web("mash-manager")
    path = f"/tasks/{decision_task(api, case_id)}"
    answers = {"outcome": "lado", "outcome_rationale": "Allegation against a coach.",
               "additional_referrals": ["lado", "early-help"], "information_product_recipients": ["none"],
               "sharing_consent": "given"}

    html = manager.post_form(path, answers).get_data(as_text=True)

    assert "<title>Error:" in html
    summary = html[html.index("govuk-error-summary"):html.index("</ul>", html.index("govuk-error-summary"))]
    assert re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary) == [
        ("additional_referrals", LADO_AGAIN)]
    assert manager.post_form(path, {**answers, "additional_referrals": ["early-help"]}).status_code == 302
    case_page = manager.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Additional referrals" in case_page and "Early help for the family" in case_page


@BOTH
def test_an_agency_not_involved_sees_none_of_it_and_an_involved_one_not_the_decision(api, web):
    case_id = decided(api, "s17-assessment", ["assessment-team"], sharing={"additional_referrals": ["lado"]})
    task = feedback_task(api, case_id)

    # Probation was never asked: no case, no task, no product.
    assert api("probation").get(f"/api/v1/cases/{case_id}").status_code == 404
    assert api("probation").get(f"/api/v1/tasks/{task}").status_code == 403
    assert web("probation").get(f"/tasks/{task}").status_code == 403
    # Police were asked for a check: they see the contact, not the decision, the referrals or the sharing.
    police = api("police").get(f"/api/v1/cases/{case_id}").get_json()
    assert "outcome" not in police and "additional_referrals" not in police and "referrer" not in police
    page = web("police").get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Additional referrals" not in page and 'id="sharing"' not in page


def test_additional_referrals_left_empty_reach_case_data_as_an_empty_list(api, db):
    """A diagram tests ``'lado' in additional_referrals``: the name must exist even when nothing was ticked."""
    from app.cases.models import CompletedTask

    case_id = decided(api, "nfa")

    with db.unit_of_work(write=False) as session:
        data = session.scalar(select(CompletedTask.data).where(CompletedTask.case_id == case_id,
                                                               CompletedTask.form_key == "decision"))
    assert data["additional_referrals"] == []
