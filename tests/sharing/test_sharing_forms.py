"""Screening and the decision's sharing decision ask for the consent position and, when sharing goes ahead
without consent, the reason and the lawful basis; the API and the page refuse the same answers."""
from __future__ import annotations

import re

from tests import factories as f
from tests.api.test_referral_walks import report, task_id
from tests.sharing.walks import WITHOUT_CONSENT, decision_task, reviewed


def errors_of(response) -> dict[str, str]:
    assert response.status_code == 422, response.get_json()
    return {e["field"]: e["message"] for e in response.get_json()["errors"]}


def summary_links(html: str) -> list[tuple[str, str]]:
    summary = html[html.index("govuk-error-summary"):html.index("</ul>", html.index("govuk-error-summary"))]
    return re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)


def test_screening_without_consent_needs_the_reason_and_both_bases_over_the_api(api):
    case_id = report(api)
    task = task_id(api, case_id, "screening", "mash-manager")
    manager = api("mash-manager")

    errors = errors_of(manager.post(f"/api/v1/tasks/{task}/complete",
                                    json=f.screening("amber", ["police"], consent="refused")))
    assert errors == {"consent_reason": "Enter why agency checks go ahead without consent",
                      "lawful_basis": "Select the lawful basis for the checks without consent",
                      "special_category_condition": "Select the condition for special category data"}

    # Consent cannot be the lawful basis for checks that go ahead without it; retired bases are not offered.
    for basis in ("uk-gdpr-6-1-a", "dpa-1998-sch2-para5"):
        answers = f.screening("amber", ["police"], consent="refused", **{**WITHOUT_CONSENT, "lawful_basis": basis})
        assert list(errors_of(manager.post(f"/api/v1/tasks/{task}/complete", json=answers))) == ["lawful_basis"]

    # With consent, or with no checks (blue), none of it is needed.
    blue = f.screening("blue", [], consent="not-sought")
    assert manager.post(f"/api/v1/tasks/{task}/complete", json=blue).status_code == 200


def test_screening_with_consent_may_still_record_a_basis(api):
    case_id = report(api)
    task = task_id(api, case_id, "screening", "mash-manager")
    answers = f.screening("green", ["education"], lawful_basis="uk-gdpr-6-1-a")

    assert api("mash-manager").post(f"/api/v1/tasks/{task}/complete", json=answers).status_code == 200


def test_the_decision_needs_the_consent_position_and_an_article_6_basis_whenever_the_product_leaves(api):
    """Since #18 the decision maker decides sharing; Article 6 and the special category condition are needed
    whenever the product leaves the hub, also with consent, and without consent the reason too."""
    case_id = reviewed(api)
    task = decision_task(api, case_id)
    manager = api("mash-manager")
    base = {"outcome": "early-help", "outcome_rationale": "Needs met by early help.",
            "information_product_recipients": ["early-help"]}

    assert errors_of(manager.post(f"/api/v1/tasks/{task}/complete", json=base)) == {
        "sharing_purpose": "Select why the information product is being shared",
        "sharing_consent": "Select whether consent has been given to share the information product",
        "sharing_lawful_basis": "Select the lawful basis for sharing the information product",
        "sharing_special_category_condition": "Select the condition for special category data in the product",
        "subject_informed": "Select whether the child and family will be told"}

    given = {**base, "sharing_consent": "given", "sharing_purpose": "early-help", "subject_informed": True}
    assert errors_of(manager.post(f"/api/v1/tasks/{task}/complete", json=given)) == {
        "sharing_lawful_basis": "Select the lawful basis for sharing the information product",
        "sharing_special_category_condition": "Select the condition for special category data in the product"}

    refused = {**base, "sharing_consent": "refused", "sharing_purpose": "early-help", "subject_informed": False,
               "sharing_lawful_basis": "uk-gdpr-6-1-a", "sharing_special_category_condition": "dpa-sch1-para18"}
    assert errors_of(manager.post(f"/api/v1/tasks/{task}/complete", json=refused)) == {
        "sharing_consent_reason": "Enter why the information product is shared without consent",
        "sharing_lawful_basis": "Select a lawful basis from the list (consent cannot be the basis when consent "
                                "was refused or not sought)",
        "subject_informed_reason": "Enter why the child and family will not be told"}

    both = {**given, "information_product_recipients": ["none", "police"], "sharing_lawful_basis": "uk-gdpr-6-1-e",
            "sharing_special_category_condition": "dpa-sch1-para6"}
    assert list(errors_of(manager.post(f"/api/v1/tasks/{task}/complete", json=both))) == \
        ["information_product_recipients"]

    nowhere = {**base, "information_product_recipients": ["none"], "sharing_consent": "not-sought"}
    assert manager.post(f"/api/v1/tasks/{task}/complete", json=nowhere).status_code == 200


def test_the_screening_page_shows_the_error_summary_linking_to_each_missing_answer(api, web):
    case_id = report(api)
    path = f"/tasks/{task_id(api, case_id, 'screening', 'mash-manager')}"

    response = web("mash-manager").post_form(path, {"rag": "amber", "rag_rationale": "Disclosure at school.",
                                                    "presenting_factors": ["18C"], "consent": "not-sought",
                                                    "agencies": ["police", "health"]})

    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<title>Error:" in html
    assert summary_links(html) == [
        ("consent_reason", "Enter why agency checks go ahead without consent"),
        ("lawful_basis", "Select the lawful basis for the checks without consent"),
        ("special_category_condition", "Select the condition for special category data")]
    # The choices come from the hub's list: current bases offered, retired ones not.
    assert 'value="uk-gdpr-6-1-ea"' in html and 'value="dpa-sch1-para18"' in html
    assert "dpa-1998" not in html


def test_the_decision_page_shows_the_error_summary_for_sharing_without_consent(api, web):
    case_id = reviewed(api)
    path = f"/tasks/{decision_task(api, case_id)}"

    response = web("mash-manager").post_form(path, {
        "outcome": "s17-assessment", "outcome_rationale": "Needs assessment.",
        "information_product_recipients": ["assessment-team"], "sharing_purpose": "assessment",
        "sharing_consent": "refused", "subject_informed": "true"})

    html = response.get_data(as_text=True)
    assert "<title>Error:" in html
    assert summary_links(html) == [
        ("sharing_consent_reason", "Enter why the information product is shared without consent"),
        ("sharing_lawful_basis", "Select the lawful basis for sharing the information product"),
        ("sharing_special_category_condition", "Select the condition for special category data in the product")]
