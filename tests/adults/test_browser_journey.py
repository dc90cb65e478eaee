"""One Chromium journey on the adult pathway: a GP raises a concern about an adult at risk (and her grandson) on the
page, without the adult's consent, and is told why the reason is needed; adult social care records consent, capacity
and wishes, then the section 42 decision, from its inbox; the case page shows the record and the linked children's
case."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.usefixtures("live_server")


def test_a_gp_raises_a_concern_and_adult_social_care_decides_the_section_42_enquiry(page: Page, person):
    gp = person("referrer", page=page)
    gp.goto("/contacts/new/adult-at-risk")
    expect(page.get_by_role("heading", level=1)).to_have_text("Raise a concern about an adult at risk")
    for name, value in {"referrer-name": "Dr Priya Shah", "referrer-organisation": "Northtown Surgery",
                        "referrer-role": "GP", "adult-given_name": "Edith", "adult-family_name": "Marsh",
                        "adult-date_of_birth-day": "9", "adult-date_of_birth-month": "3",
                        "adult-date_of_birth-year": "1941", "adult-address": "3 Mill Lane, Northtown",
                        "care_needs": "Vascular dementia; carers visit twice a day.",
                        "concern": "Her nephew has taken her bank card.",
                        "children-0-given_name": "Tom", "children-0-family_name": "Marsh"}.items():
        page.locator(f'[name="{name}"]').fill(value)
    page.get_by_label("Financial or material abuse").check()
    gp.choose("Where the risk is", "The adult's own home")
    gp.choose("Who is thought to be the source of the risk", "Someone known to the adult")
    gp.choose("Does the adult know you are raising this concern?", "Yes")
    gp.choose("Does the adult consent to the concern being raised?", "No")
    gp.choose("Is the adult in immediate danger?", "No")
    gp.click(page.get_by_role("button", name="Send to the MASH"))
    # Without consent the reason is required: the error summary says so, and nothing was stored.
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Say why you are raising the concern without the adult's consent")
    page.locator('[name="consent_reason"]').fill("Her grandson lives with her and may be at risk.")
    gp.click(page.get_by_role("button", name="Send to the MASH"))
    assert "/received" in page.url, gp.error_summary_text()
    case_id = int(page.url.rstrip("/").split("/")[-2])
    reference = page.locator(".govuk-panel__body strong, .govuk-panel__body").first.inner_text().split()[-1]
    assert reference.startswith("MASH-"), reference

    asc = person("adult-social-care")
    task = "Record consent, mental capacity and the adult's wishes"
    asc.open_task(reference, task)
    asc.choose("Does the adult consent to the safeguarding enquiry?", "No")
    asc.choose("Does the adult have capacity to make decisions about their safety?",
               "Yes, capacity is presumed or was assessed")
    for principle in ("Capacity was presumed unless shown otherwise",
                      "All practicable steps were taken to help the adult decide",
                      "An unwise decision was not taken to mean a lack of capacity",
                      "Anything done for an adult who lacks capacity is in their best interests",
                      "The least restrictive option was considered"):
        asc.page.get_by_label(principle).check()
    asc.page.get_by_label("How capacity was considered").fill("Spoke with Edith at home with her daughter.")
    asc.choose("Is an advocate or appropriate person involved?", "No")
    asc.choose("Was the adult (or their representative) asked what outcomes they want?",
               "Yes, and they said what they want")
    asc.page.get_by_label("The outcomes the adult wants").fill("To keep her money safe.")
    asc.page.get_by_label("Why the enquiry goes on without the adult's consent").fill(
        "Her grandson is at risk too.")
    asc.submit_task("Record consent and capacity", reference, task)

    decide = "Decide whether a section 42 enquiry is needed"
    asc.open_task(reference, decide)
    for question in ("Does the adult have needs for care and support?",
                     "Is the adult experiencing, or at risk of, abuse or neglect?",
                     "As a result of those needs, is the adult unable to protect themselves?"):
        asc.choose(question, "Yes")
    asc.choose("Decision", "Section 42 enquiry")
    asc.page.get_by_label("Reasons for the decision").fill("Reasonable cause to suspect financial abuse.")
    asc.submit_task("Record the decision", reference, decide)

    expect(asc.task_row(reference, "Make the enquiry and record its outcome")).to_have_count(1)
    asc.goto(f"/cases/{case_id}")
    section = asc.page.locator("#adult-safeguarding ~ dl").first
    expect(section).to_contain_text("Financial or material")
    expect(section).to_contain_text("Section 42 enquiry: Reasonable cause to suspect financial abuse.")
    expect(section).to_contain_text("To keep her money safe.")
    # The children's case the same contact started is linked from the adult's.
    expect(asc.page.get_by_text("A subject is open on")).to_have_count(1)
    person.all_quiet()
