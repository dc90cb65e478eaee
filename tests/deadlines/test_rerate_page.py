"""A MASH manager re-rates a contact from its case page, with the GOV.UK error summary when the form is wrong."""
from __future__ import annotations

from datetime import UTC, datetime

from app.core.clock import clock
from tests import factories as f
from tests.api.test_referral_walks import complete, report


def test_the_manager_re_rates_from_the_case_page_and_sees_the_deadlines_move(api, web):
    clock.freeze(datetime(2027, 1, 4, 10, 0, tzinfo=UTC))
    case_id = report(api)
    complete(api, case_id, "screening", "mash-manager", f.screening("green", ["police"]))
    manager = web("mash-manager")
    page = manager.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Police check due" in page and "7 Jan 2027 17:30" in page and "Change the RAG rating" in page

    form = manager.get(f"/cases/{case_id}/rag").get_data(as_text=True)
    assert "These open deadlines will be re-timed" in form and "Police check due" in form
    refused = manager.post_form(f"/cases/{case_id}/rag", {"rag": "red"})
    assert refused.status_code == 200
    body = refused.get_data(as_text=True)
    assert "govuk-error-summary" in body and "Enter why you are changing the rating" in body
    assert api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()["rag"] == "green"

    done = manager.post_form(f"/cases/{case_id}/rag", {"rag": "red", "rag_rationale": "Police intelligence."})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/cases/{case_id}")
    page = manager.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "is now rated Red" in page and "4 Jan 2027 14:00" in page and "Deadline moved" in page


def test_only_the_mash_manager_sees_and_uses_the_re_rating_page(api, web):
    case_id = report(api)
    social_worker = web("social-worker")
    assert "Change the RAG rating" not in social_worker.get(f"/cases/{case_id}").get_data(as_text=True)
    assert social_worker.get(f"/cases/{case_id}/rag").status_code == 403
    assert web("mash-manager").get("/cases/999999/rag").status_code == 404
