"""Screening as the screener meets it: the presenting factors grouped with the most used first, and the
questions about checks without consent asked only when consent was refused or not sought (and checks go
ahead), with or without JavaScript, and nothing typed lost on the way."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.cases.models import Case, CompletedTask
from tests import factories as f
from tests.pages.helpers import browser_post, error_links, hidden, open_task

WITHOUT_CONSENT = ("consent_reason", "lawful_basis", "special_category_condition")
RATIONALE = "Bruising seen by the teacher; the child said her stepfather did it."


def screening_task(db, api) -> tuple[int, str]:
    case_id = api("referrer").post("/api/v1/contacts", json=f.contact()).get_json()["case_id"]
    return case_id, open_task(db, case_id, "screening")


def test_the_first_view_asks_the_rating_and_consent_and_keeps_the_rest_for_later(db, web, api):
    _, task = screening_task(db, api)
    page = web("mash-manager").get(f"/tasks/{task}").get_data(as_text=True)

    for name in WITHOUT_CONSENT:
        assert hidden(page, name), name
    assert not hidden(page, "agencies")  # asked unless the contact is rated blue
    # Every census factor is still offered, under headings, the most used before the details element.
    assert len(re.findall(r'name="presenting_factors"', page)) == 42
    more = page.index('<details class="govuk-details mash-more-options" id="presenting_factors-more">')
    assert page.index(">Abuse and neglect</h3>") < page.index('value="16A"') < more
    assert page.index(">Domestic abuse</h3>") < page.index('value="3B"') < more
    assert more < page.index(">More presenting factors</span>") < page.index('value="9A"')  # under "more"
    assert 'id="presenting_factors-more" open' not in page
    # Without JavaScript, a Continue button after each choice others depend on; the script removes them.
    assert re.search(r'name="mash-reveal" value="consent"', page)
    assert re.search(r'name="mash-reveal" value="rag"', page)


def test_without_javascript_continue_shows_the_questions_the_answer_needs_and_keeps_what_was_typed(db, web, api):
    case_id, task = screening_task(db, api)
    manager = web("mash-manager")
    typed = browser_post({"rag": "amber", "rag_rationale": RATIONALE, "presenting_factors": ["18C", "9A"],
                          "consent": "refused", "agencies": ["police", "health"],
                          "questions_for_agencies": "Is the stepfather known?", "mash-reveal": "consent"})
    response = manager.post_form(f"/tasks/{task}", typed)
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert error_links(page) == []  # a reveal is not a submission: nothing is refused yet
    for name in WITHOUT_CONSENT:
        assert not hidden(page, name), name
    assert RATIONALE in page and "Is the stepfather known?" in page
    assert re.search(r'value="refused" checked', page) and re.search(r'value="amber" checked', page)
    assert re.search(r'value="18C" checked', page) and re.search(r'value="9A" checked', page)
    assert 'id="presenting_factors-more" open' in page  # a chosen factor is never hidden
    assert open_task(db, case_id, "screening") == task  # nothing saved

    answers = browser_post(f.screening_without_consent(
        "amber", ["police", "health"], rag_rationale=RATIONALE, presenting_factors=["18C", "9A"]))
    assert manager.post_form(f"/tasks/{task}", answers).status_code == 302
    with db.unit_of_work(write=False) as session:
        data = session.scalar(select(CompletedTask.data).where(CompletedTask.task_id == task))
    assert data["lawful_basis"] == "uk-gdpr-6-1-e" and data["consent"] == "refused"
    assert data["rag_rationale"] == RATIONALE


def test_the_questions_without_consent_are_required_only_when_consent_is_missing(db, web, api):
    _, task = screening_task(db, api)
    manager = web("mash-manager")
    refused = browser_post({**f.screening("amber", ["police"]), "consent": "refused"})
    page = manager.post_form(f"/tasks/{task}", refused).get_data(as_text=True)

    assert error_links(page) == [
        ("#consent_reason", "Enter why agency checks go ahead without consent"),
        ("#lawful_basis", "Select the lawful basis for the checks without consent"),
        ("#special_category_condition", "Select the condition for special category data"),
    ]
    for name in WITHOUT_CONSENT:
        assert not hidden(page, name), name  # shown with its error, where the summary's link lands
    assert 'id="consent_reason-error"' in page


def test_the_lawful_basis_is_not_asked_when_consent_was_given_or_no_checks_go_ahead(db, web, api):
    case_id, task = screening_task(db, api)
    manager = web("mash-manager")
    # Blue: no checks, so no basis for checks without consent is needed, and none is kept.
    blue = browser_post({**f.screening("blue", []), "consent": "not-sought", "lawful_basis": "uk-gdpr-6-1-e"})
    del blue["agencies"]
    page = manager.post_form(f"/tasks/{task}", {**blue, "mash-reveal": "rag"}).get_data(as_text=True)
    for name in (*WITHOUT_CONSENT, "agencies", "questions_for_agencies"):
        assert hidden(page, name), name

    assert manager.post_form(f"/tasks/{task}", blue).status_code == 302
    with db.unit_of_work(write=False) as session:
        data = session.scalar(select(CompletedTask.data).where(CompletedTask.task_id == task))
        assert session.get(Case, case_id).rag == "blue"
    assert "lawful_basis" not in data  # a hidden question's leftover answer is never saved


def test_a_factor_from_the_details_element_is_still_checked_on_its_own(db, web, api):
    _, task = screening_task(db, api)
    answers = browser_post({**f.screening("amber", ["police"], factors=["21", "9A"])})
    page = web("mash-manager").post_form(f"/tasks/{task}", answers).get_data(as_text=True)
    assert error_links(page) == [("#presenting_factors",
                                  "“No factors identified” cannot be selected with other factors")]
    assert 'id="presenting_factors" ' in page  # the error summary's link lands on the first box
    assert 'id="presenting_factors-more" open' in page
