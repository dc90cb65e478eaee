"""The MI counts adult safeguarding in the Safeguarding Adults Collection's terms: concerns by type of risk, section
42 decisions within the hub's timescale (one made late), concluded enquiries by result, and making safeguarding
personal (outcomes asked, expressed, met)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.casework.scheduler import fire_due
from app.core.clock import clock
from tests.adults.concerns import OUTCOME, adult_concern, consent_capacity, s42_decision
from tests.api.test_referral_walks import complete

QUERY = "from=2027-01-01&to=2027-01-31"


def csv_rows(web, table: str) -> dict[str, list[str]]:
    response = web("ops-manager").get(f"/reports/{table}.csv?{QUERY}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    lines = [line.split(",") for line in response.get_data(as_text=True).strip().splitlines()]
    return {row[0]: row[1:] for row in lines[1:]} | {"header": lines[0]}


def test_concerns_decisions_and_outcomes_are_counted_as_the_sac_return_counts_them(api, web):
    clock.freeze(datetime(2027, 1, 11, 9, 0, tzinfo=UTC))  # a Monday
    on_time = api("referrer").post("/api/v1/contacts", json=adult_concern()).get_json()["case_id"]
    late = api("referrer").post("/api/v1/contacts", json=adult_concern(
        adult="Ida Crane", abuse_kinds=["neglect"], source_of_risk="service-provider")).get_json()["case_id"]
    complete(api, on_time, "record_adult_consent_capacity", "adult-social-care", consent_capacity())
    complete(api, on_time, "s42_decision", "adult-social-care", s42_decision("enquiry"))
    complete(api, on_time, "record_enquiry_outcome", "adult-social-care", OUTCOME)
    clock.advance(timedelta(days=3))  # Thursday: past the 2 working days (Tuesday's close)
    fire_due()
    not_asked = consent_capacity(adult_outcomes_asked="not-asked")
    del not_asked["adult_desired_outcomes"]
    complete(api, late, "record_adult_consent_capacity", "adult-social-care", not_asked)
    complete(api, late, "s42_decision", "adult-social-care", s42_decision("no-enquiry", duty=False))

    concerns = csv_rows(web, "adult-concerns")
    assert concerns["Financial or material abuse"] == ["1", "0"]
    assert concerns["Neglect and acts of omission"] == ["1", "1"]
    assert concerns["Self-neglect"] == ["0", "0"]
    decisions = csv_rows(web, "adult-s42-decisions")
    assert decisions["header"][:4] == ["decisions", "within_timescale", "within_timescale_pct", "duty_met"]
    assert decisions["2"] == ["1", "50.0", "1", "1", "0", "1"]  # the first column is the count of decisions
    outcomes = csv_rows(web, "adult-enquiry-outcomes")
    assert outcomes["Risk reduced"] == ["1", "1", "100.0", "1", "0", "1", "0", "0"]
    assert outcomes["All concluded enquiries"][0] == "1"
    page = web("ops-manager").get(f"/reports?{QUERY}").get_data(as_text=True)
    assert 'id="adults-at-risk"' in page and "Section 42 decisions and their timeliness" in page
