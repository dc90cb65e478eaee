"""A concern about an adult at risk with two children in the household, walked to the section 42 decision, for the
need-to-know tests: each piece of information carries a marker a test can look for in the bytes of a page or an
answer."""
from __future__ import annotations

from dataclasses import dataclass

from tests.adults.concerns import adult_concern, consent_capacity, s42_decision
from tests.api.test_referral_walks import complete

ADULT_NHS_NUMBER = "9434765919"
ADULT_ADDRESS = "AdultAddressMarker 3 Mill Lane"
ADULT_CONCERN = "AdultConcernMarker: her nephew has taken her bank card."
REFERRER_EMAIL = "p.shah@nhs.example"
WISHES = "WishesMarker: to keep her money safe and still see her nephew."
S42_RATIONALE = "S42Marker: reasonable cause to suspect financial abuse."


@dataclass(frozen=True)
class AdultWalk:
    adult_case_id: int
    adult_reference: str
    children_case_id: int
    children_reference: str


def adult_walk(api) -> AdultWalk:
    body = adult_concern(concern=ADULT_CONCERN, children=[
        {"given_name": "Tom", "family_name": "Marsh", "date_of_birth": "2016-04-02"}])
    body["adult"]["address"] = ADULT_ADDRESS
    response = api("referrer").post("/api/v1/contacts", json=body)
    assert response.status_code == 201, response.get_json()
    case_id = response.get_json()["case_id"]
    complete(api, case_id, "record_adult_consent_capacity", "adult-social-care",
             consent_capacity(adult_desired_outcomes=WISHES))
    complete(api, case_id, "s42_decision", "adult-social-care",
             {**s42_decision("enquiry"), "adult_decision_rationale": S42_RATIONALE})
    adult = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()
    children = api("mash-manager").get(f"/api/v1/cases/{adult['linked_case_id']}").get_json()
    return AdultWalk(case_id, adult["reference"], children["case_id"], children["reference"])
