"""Feedback to the referrer: business support sees the address and the decision it is feeding back, and the text
it approves goes to that address when it chooses e-mail. The text itself (about the child) goes only to a
secure address; any other is told that feedback is ready. No address, or another way of telling, sends nothing."""
from __future__ import annotations

import pytest

from tests import factories as f
from tests.alerts.conftest import queued
from tests.api.test_referral_walks import complete, report, screen_and_check, task_id

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
TEXT = "We have referred the family for a social work assessment."


def decided(api, **contact) -> int:
    case_id = report(api, **contact)
    screen_and_check(api, case_id, "amber", ["police"])
    complete(api, case_id, "mash_review", "mash-manager", f.review())
    complete(api, case_id, "decision", "mash-manager", f.decision("s17-assessment", additional_referrals=["marac"]))
    return case_id


def referrer(email: str | None) -> dict:
    person = {"name": "Jo Teacher", "organisation": "Hillside Primary", "role": "DSL", "phone": "01632 960123"}
    return {"referrer": {**person, **({"email": email} if email else {})}}


@BOTH
def test_feedback_by_email_goes_to_the_referrer_once_and_its_text_only_to_a_secure_address(api, db):
    ordinary = decided(api)
    complete(api, ordinary, "feedback_to_referrer", "business-support", f.feedback(feedback_summary=TEXT))
    [told] = queued(db, "feedback", ordinary)
    assert (told.to, told.secure, told.username) == ("jo@hillside.example.org", False, None)
    assert TEXT not in told.words and "Ava" not in told.words and "Smith" not in told.words

    secure = decided(api, given="Ben", family="Jones", **referrer("jo.teacher@school.gcsx.gov.uk"))
    complete(api, secure, "feedback_to_referrer", "business-support", f.feedback(feedback_summary=TEXT))
    [told] = queued(db, "feedback", secure)
    assert told.secure and TEXT in told.body and "Ben Jones" in told.body
    assert TEXT not in told.subject and "Ava" not in told.subject


def test_feedback_given_another_way_or_without_an_address_sends_nothing(api, db):
    by_phone = decided(api)
    complete(api, by_phone, "feedback_to_referrer", "business-support",
             f.feedback(feedback_method="phone", feedback_summary=TEXT))
    no_address = decided(api, given="Ben", family="Jones", **referrer(None))
    complete(api, no_address, "feedback_to_referrer", "business-support", f.feedback(feedback_summary=TEXT))
    assert queued(db, "feedback") == []


def test_refused_feedback_sends_nothing(api, db):
    case_id = decided(api)
    task = task_id(api, case_id, "feedback_to_referrer", "business-support")
    answers = f.feedback(feedback_summary=TEXT)
    del answers["feedback_method"]
    assert api("business-support").post(f"/api/v1/tasks/{task}/complete", json=answers).status_code == 422
    assert api("police").post(f"/api/v1/tasks/{task}/complete", json=f.feedback()).status_code == 403
    assert queued(db, "feedback") == []


def test_business_support_sees_the_address_and_the_decision_it_feeds_back_and_an_agency_does_not(api, web):
    case_id = decided(api)
    task = task_id(api, case_id, "feedback_to_referrer", "business-support")
    page = web("business-support").get(f"/tasks/{task}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    facts = text[text.index('id="feedback-facts"'):text.index("</section>", text.index('id="feedback-facts"'))]
    assert "jo@hillside.example.org" in facts
    assert "Amber" in facts and "section 17" in facts and "Refer to MARAC" in facts
    assert "sends what you write below to <strong>jo@hillside.example.org</strong>" in facts

    refused = web("police").get(f"/tasks/{task}")
    assert refused.status_code == 403
    assert "jo@hillside.example.org" not in refused.get_data(as_text=True)
    case_page = web("police").get(f"/cases/{case_id}").get_data(as_text=True)
    assert "jo@hillside.example.org" not in case_page


def test_the_task_says_so_when_the_referrer_gave_no_address(api, web):
    case_id = decided(api, **referrer(None))
    task = task_id(api, case_id, "feedback_to_referrer", "business-support")
    text = web("business-support").get(f"/tasks/{task}").get_data(as_text=True)
    assert "The referrer gave no email address, so the service sends nothing." in text
