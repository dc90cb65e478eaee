"""What the review and the decision are made on, where the decision maker reads it: the agency returns in the
main column, and at the decision the review's analysis and the RAG history, each as need to know allows."""
from __future__ import annotations

from tests import factories as f
from tests.api.test_referral_walks import complete
from tests.pages.helpers import browser_post, error_links, hidden, open_task

POLICE = "PolicePagesMarker: a domestic incident at the address on 3 March"
HEALTH = "HealthPagesMarker: missed the last two health visitor appointments"
ANALYSIS = "AnalysisPagesMarker: police and health information together show rising risk."
RERATED = "RerateMarker: the police return raises the risk."


def checked_case(api, db) -> int:
    case_id = api("referrer").post("/api/v1/contacts", json=f.contact()).get_json()["case_id"]
    complete(api, case_id, "screening", "mash-manager", f.screening("amber", ["police", "health"]))
    complete(api, case_id, "health_check", "health", f.agency_return(findings=HEALTH))
    return case_id


def main_column(page: str) -> str:
    """The page's main column: everything before the aside's case summary."""
    return page[:page.index('class="govuk-grid-column-one-third"')]


def test_the_reviewer_reads_every_return_in_the_main_column_before_the_form(db, web, api):
    case_id = checked_case(api, db)
    complete(api, case_id, "police_check", "police",
             f.agency_return(findings=POLICE, handling_restriction="hub-only"))
    page = web("mash-manager").get(f"/tasks/{open_task(db, case_id, 'mash_review')}").get_data(as_text=True)

    main = main_column(page)
    assert POLICE in main and HEALTH in main
    assert 'id="return-police"' in main and 'id="return-health"' in main  # stacked, one card each
    assert main.index('id="agency-returns"') < main.index('<form method="post" novalidate>')
    assert "Not to be disclosed outside the hub without the agency&#39;s consent" in main  # the police restriction
    assert "Returned" in main and " by police" in main
    assert POLICE not in page[len(main):]  # not repeated in the aside
    assert 'id="rag-history"' in main


def test_the_decision_maker_sees_the_review_analysis_the_rag_history_and_the_returns(db, web, api):
    case_id = checked_case(api, db)
    complete(api, case_id, "police_check", "police", f.agency_return(findings=POLICE))
    complete(api, case_id, "mash_review", "mash-manager",
             {**f.review("yes", "red"), "analysis": ANALYSIS, "rag_rationale": RERATED})
    page = web("mash-manager").get(f"/tasks/{open_task(db, case_id, 'decision')}").get_data(as_text=True)

    main = main_column(page)
    assert 'id="review-analysis"' in main and ANALYSIS in main
    assert "the review re-rated the contact" in main
    history = main[main.index('id="rag-history"'):]
    history = history[:history.index("</ol>")]
    assert "Screening" in history and "Rated amber on the information in the contact." in history
    assert "Re-rated" in history and RERATED in history  # who, when and why
    assert POLICE in main and HEALTH in main
    form = main.index('<form method="post" novalidate>')
    assert main.index('id="review-analysis"') < main.index('id="agency-returns"') < form


def test_an_agency_sees_on_its_task_page_only_the_returns_it_may_read(db, web, api):
    case_id = checked_case(api, db)
    police_task = open_task(db, case_id, "police_check")
    page = web("police").get(f"/tasks/{police_task}").get_data(as_text=True)
    assert HEALTH not in page  # health's return is health's
    assert 'id="agency-returns"' not in page
    assert ANALYSIS not in page and 'id="rag-history"' not in page

    # Health releases its return to the police: now, and only now, the police read it.
    response = api("health").post(f"/api/v1/cases/{case_id}/agency-returns/health/releases", json={"to": ["police"]})
    assert response.status_code == 201, response.get_json()
    main = main_column(web("police").get(f"/tasks/{police_task}").get_data(as_text=True))
    assert HEALTH in main and "(released to your agency)" in main


def test_review_asks_for_the_new_rating_only_when_re_rating(db, web, api):
    case_id = checked_case(api, db)
    complete(api, case_id, "police_check", "police", f.agency_return(nothing_known=True))
    task = open_task(db, case_id, "mash_review")
    manager = web("mash-manager")
    page = manager.get(f"/tasks/{task}").get_data(as_text=True)
    # GOV.UK conditional reveal: the new rating sits in the "yes" answer's panel, closed until chosen.
    assert 'class="govuk-radios__conditional govuk-radios__conditional--hidden" id="conditional-rerate-2"' in page
    panel = page[page.index('id="conditional-rerate-2"'):]
    assert panel.index('name="new_rag"') < panel.index('name="rag_rationale"') < panel.index('name="analysis"')

    answer = manager.post_form(f"/tasks/{task}", browser_post({"rerate": "yes", "analysis": ANALYSIS}))
    body = answer.get_data(as_text=True)
    assert error_links(body) == [("#new_rag", "Select the new RAG rating"),
                                 ("#rag_rationale", "Enter why you are changing the RAG rating")]
    assert 'class="govuk-radios__conditional" id="conditional-rerate-2"' in body and ANALYSIS in body
    # "No": the hidden rating is neither required nor kept.
    assert manager.post_form(f"/tasks/{task}", browser_post(
        {"rerate": "no", "analysis": ANALYSIS, "new_rag": "red"})).status_code == 302
    assert api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()["rag"] == "amber"


def test_the_decision_asks_the_sharing_basis_only_when_the_product_leaves_the_hub(db, web, api):
    case_id = checked_case(api, db)
    complete(api, case_id, "police_check", "police", f.agency_return(nothing_known=True))
    complete(api, case_id, "mash_review", "mash-manager", f.review())
    task = open_task(db, case_id, "decision")
    manager = web("mash-manager")
    page = manager.get(f"/tasks/{task}").get_data(as_text=True)
    leaving = ("sharing_purpose", "sharing_lawful_basis", "sharing_special_category_condition", "subject_informed")
    for name in (*leaving, "sharing_consent_reason"):
        assert hidden(page, name), name

    police = browser_post({**f.decision("s17-assessment", ["police"], consent="refused")})
    del police["sharing_consent_reason"]
    body = manager.post_form(f"/tasks/{task}", police).get_data(as_text=True)
    assert error_links(body) == [("#sharing_consent_reason",
                                  "Enter why the information product is shared without consent")]
    for name in (*leaving, "sharing_consent_reason"):
        assert not hidden(body, name), name

    stays = browser_post({**f.decision("nfa"), "sharing_lawful_basis": "uk-gdpr-6-1-e"})
    assert manager.post_form(f"/tasks/{task}", stays).status_code == 302
