"""A case the whole hub has touched, for need-to-know tests: reported by a referrer, screened with police and
health checks, police returning hub-only intelligence and health an unrestricted finding, decided for a
strategy discussion that education attended. Each piece of information carries a marker a test can look for
in the bytes of a page or an answer."""
from __future__ import annotations

from dataclasses import dataclass

from tests import factories as f
from tests.api.test_referral_walks import complete

#: What only the police know (hub-only), and what health found (no restriction).
POLICE_FINDING = "PoliceMarker: covert intelligence about the stepfather"
HEALTH_FINDING = "HealthMarker: mother's mental health crisis in March"
#: The child's identifiers beyond the name, the concern, the referrer's e-mail and the hub's reasoning.
ADDRESS = "7 Marker Road"
NHS_NUMBER = "9434765919"
CONCERN = "ConcernMarker: the child said she is scared to go home."
REFERRER_EMAIL = "jo@hillside.example.org"
RATIONALE = "RationaleMarker: police and health information together meet the threshold."
QUESTIONS = "QuestionsMarker: is the stepfather known to you?"
CHILD = "Ava"


@dataclass(frozen=True)
class WalkedCase:
    case_id: int
    reference: str
    person_id: int | None


def walked_case(api) -> WalkedCase:
    body = f.contact(concern=CONCERN)
    body["subjects"][0].update(address=ADDRESS, nhs_number=NHS_NUMBER)
    response = api("referrer").post("/api/v1/contacts", json=body)
    assert response.status_code == 201, response.get_json()
    case_id = response.get_json()["case_id"]
    complete(api, case_id, "screening", "mash-manager",
             f.screening("red", ["police", "health"], questions_for_agencies=QUESTIONS))
    complete(api, case_id, "police_check", "police",
             f.agency_return(findings=POLICE_FINDING, handling_restriction="hub-only"))
    complete(api, case_id, "health_check", "health", f.agency_return(findings=HEALTH_FINDING))
    complete(api, case_id, "mash_review", "mash-manager", f.review())
    complete(api, case_id, "decision", "mash-manager",
             {**f.decision("strategy-discussion"), "outcome_rationale": RATIONALE})
    complete(api, case_id, "convene_strategy_discussion", "social-worker",
             {"scheduled_on": "2027-01-04", "discussion_format": "virtual", "chair": "Team manager"})
    complete(api, case_id, "record_strategy_discussion", "social-worker",
             f.strategy_record("s17-assessment", ["childrens-social-care", "police", "health", "education"]))
    whole = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()
    return WalkedCase(case_id, whole["reference"], whole["subjects"][0]["person_id"])


