"""The referral date: when the decision makes a contact a referral (section 17 assessment, strategy discussion) the
date is recorded on the case, and reports count contacts by contact date and referrals by referral date, as the
children in need census does. A contact received on Thursday and decided as a referral on Friday is Thursday's
contact and Friday's referral, in the MI dataset, the re-referral figures and Annex A lists 1 and 3."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from app.core.clock import clock
from tests import factories as f
from tests.api.test_referral_walks import complete, report, screen_and_check

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

#: Thursday 30 September 2027, 16:00 in London: the school rings in a concern.
RECEIVED = datetime(2027, 9, 30, 15, 0, tzinfo=UTC)
#: Friday 1 October, 11:00 in London: the MASH manager decides.
DECIDED = datetime(2027, 10, 1, 10, 0, tzinfo=UTC)
THURSDAY = "from=2027-09-30&to=2027-09-30"
FRIDAY = "from=2027-10-01&to=2027-10-01"


def decided(api, outcome: str, **contact) -> int:
    clock.freeze(RECEIVED)
    case_id = report(api, **contact)
    screen_and_check(api, case_id, "amber", ["police"])
    complete(api, case_id, "mash_review", "mash-manager", f.review())
    clock.freeze(DECIDED)
    complete(api, case_id, "decision", "mash-manager", f.decision(outcome))
    return case_id


def rows_of(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@BOTH
@pytest.mark.parametrize(("outcome", "referral"), [("s17-assessment", True), ("strategy-discussion", True),
                                                   ("nfa", False), ("early-help", False), ("marac", False)])
def test_the_referral_date_is_recorded_for_a_referral_only(api, web, outcome, referral):
    case_id = decided(api, outcome)
    case = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()
    assert case["referral_date"] == (DECIDED.isoformat() if referral else None)
    assert datetime.fromisoformat(case["received_at"]) == RECEIVED
    page = web("mash-manager").get(f"/cases/{case_id}").get_data(as_text=True)
    assert ("1 Oct 2027" in page.split("Referral date", 1)[1][:300]) is referral
    # Business support sees the decision, and so the referral date, to tell the referrer.
    assert api("business-support").get(f"/api/v1/cases/{case_id}").get_json()["referral_date"] == case["referral_date"]


@BOTH
def test_reports_count_the_contact_on_its_contact_date_and_the_referral_on_its_referral_date(api, web):
    case_id = decided(api, "s17-assessment")
    clock.freeze(datetime(2027, 10, 4, 9, 0, tzinfo=UTC))
    manager = web("mash-manager")

    thursday = api("mash-manager").get(f"/api/v1/reports/mi-dataset?{THURSDAY}").get_json()
    assert [(r["contact_id"], r["referral"], r["referral_date"]) for r in thursday] == [
        (case_id, True, DECIDED.isoformat())]
    assert api("mash-manager").get(f"/api/v1/reports/mi-dataset?{FRIDAY}").get_json() == []

    assert [r["Date of Contact"] for r in rows_of(manager.get(f"/reports/annex-a/list-1.csv?{THURSDAY}"))] == [
        "30/09/2027"]
    assert rows_of(manager.get(f"/reports/annex-a/list-1.csv?{FRIDAY}")) == []
    assert rows_of(manager.get(f"/reports/annex-a/list-3.csv?{THURSDAY}")) == []
    assert [r["Date of referral"] for r in rows_of(manager.get(f"/reports/annex-a/list-3.csv?{FRIDAY}"))] == [
        "01/10/2027"]

    assert [r["referrals"] for r in rows_of(manager.get(f"/reports/re-referrals.csv?{THURSDAY}"))] == ["0"]
    assert [r["referrals"] for r in rows_of(manager.get(f"/reports/re-referrals.csv?{FRIDAY}"))] == ["1"]
    # The funnel follows Thursday's contacts to what became of them.
    assert rows_of(manager.get(f"/reports/conversions.csv?{THURSDAY}"))[1]["count"] == "1"
