"""Contacts walked through the hub over the API with personal details unique to each person, so a scan of
the whole database can tell exactly which of them survived."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from click.testing import CliRunner

from app.cli import main
from tests import factories as f
from tests.api.test_referral_walks import complete, confirm_immediate_risk

T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # a Monday


@dataclass(frozen=True)
class Person:
    """One child and everything people wrote about them, each string found nowhere else."""

    given: str
    family: str
    dob: str
    address: str
    referrer: str
    tag: str
    #: Someone an agency asks the hub to protect (a neighbour who reported to the police).
    neighbour: str

    @property
    def subject(self) -> dict:
        return {"role": "child", "given_name": self.given, "family_name": self.family, "date_of_birth": self.dob,
                "address": self.address}

    def text(self, what: str) -> str:
        return f"{what} {self.tag}"

    def contact(self, **extra) -> dict:
        return f.contact(**{
            "referrer": {"name": self.referrer, "organisation": f"Academy {self.tag}", "role": "DSL",
                         "email": f"{self.tag.lower()}@school.example.org", "phone": "01632 960" + self.tag[-3:]},
            "subjects": [self.subject], "concern": self.text("Concern reported about"), **extra})

    def personal_strings(self) -> list[str]:
        """What the anonymised record must no longer hold anywhere."""
        return [self.given, self.family, self.dob, self.address, self.referrer, f"Academy {self.tag}",
                f"{self.tag.lower()}@school.example.org", "01632 960" + self.tag[-3:], self.tag, self.neighbour]


ZEPHYRINE = Person("Zephyrine", "Quillfeather", "2016-03-14", "7 Larkspur Mews", "Ottoline Brackenbury", "ZQX101",
                   "Marigold Featherstonehaugh")
BARNABY = Person("Barnaby", "Thistlewood", "2014-11-02", "22 Gorse Row", "Perpetua Halloran", "BTX202",
                 "Aldous Pennywhistle")
CORDELIA = Person("Cordelia", "Wrenfield", "2013-05-09", "3 Tamarisk Close", "Lysander Oakhurst", "CWX303",
                  "Griselda Moorcroft")
DORIAN = Person("Dorian", "Fairweather", "2017-08-21", "9 Samphire Lane", "Hermione Ashdown", "DFX404",
                "Ambrose Kettlewell")
EVANGELINE = Person("Evangeline", "Marchbank", "2012-01-30", "14 Heron Quay", "Rupert Eastleigh", "EMX505",
                    "Philippa Stonebridge")
PROTECTED_NEIGHBOUR = ZEPHYRINE.neighbour


def report_about(api, person: Person, **extra) -> int:
    response = api("referrer").post("/api/v1/contacts", json=person.contact(**extra))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["case_id"]


def walk_to_decision(api, person: Person, outcome: str, *, share_with: list[str] | None = None) -> int:
    """Screen, check with police (protecting a neighbour) and health (hub-only), review, decide, feed back
    (sending the information product to ``share_with``, without telling the family)."""
    case_id = report_about(api, person)
    complete(api, case_id, "screening", "mash-manager",
             f.screening("amber", ["police", "health"], rag_rationale=person.text("Screening rationale for")))
    complete(api, case_id, "police_check", "police", f.agency_return(
        findings=person.text(f"Police findings: {person.neighbour} reported shouting at the home of"),
        restriction_note=person.text("Police handling note"),
        third_parties_to_protect=f"{person.neighbour} (neighbour)"))
    complete(api, case_id, "health_check", "health", f.agency_return(
        findings=person.text("Health findings"), handling_restriction="hub-only"))
    break_glass(api, case_id, "housing", person.text("Opened out of hours: family at the housing office,"))
    complete(api, case_id, "mash_review", "mash-manager",
             {"rerate": "no", "analysis": person.text(f"Analysis; {person.neighbour} is credible about")})
    # The MASH manager decides the sharing (#18); business support sends it.
    sharing = {"information_product_recipients": share_with, "sharing_purpose": "early-help",
               "sharing_lawful_basis": "uk-gdpr-6-1-e", "sharing_special_category_condition": "dpa-sch1-para6",
               "subject_informed": False,
               "subject_informed_reason": person.text("Not told because")} if share_with else {}
    complete(api, case_id, "decision", "mash-manager", {
        **f.decision(outcome), "outcome_rationale": person.text("Decision rationale for"),
        "dissemination_note": person.text("Dissemination note for"), **sharing})
    closed = complete(api, case_id, "feedback_to_referrer", "business-support", {
        **f.feedback(sent_method="secure-email" if share_with else None),
        "feedback_summary": person.text("Feedback summary for")})
    assert closed["status"] == "closed", closed
    dispute_and_uphold(api, case_id, person)
    return case_id


def dispute_and_uphold(api, case_id: int, person: Person) -> None:
    """The referrer disputes the outcome of their closed contact, in their own words; the operations manager
    upholds it with reasons, and the contact closes again."""
    raised = api("referrer").post(f"/api/v1/cases/{case_id}/disagreements", json={
        "disputed": "outcome", "view": person.text("I disagree: the child is still at risk, says the referrer of")})
    assert raised.status_code == 201, raised.get_json()
    closed = complete(api, case_id, "resolve_professional_disagreement", "ops-manager", {
        "child_safe_meanwhile": "yes", "resolution": "decision-upheld", "disputing_party_told": "yes",
        "resolution_rationale": person.text("Upheld after speaking to the school about")})
    assert closed["status"] == "closed", closed


def break_glass(api, case_id: int, username: str, explanation: str) -> None:
    """A hub member not involved opens the case in an emergency, explaining why in their own words."""
    from app.auth.operations import user_by_username
    from app.core.clock import now
    from app.core.db import get_db
    from app.need_to_know.break_glass import open_break_glass

    reference = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()["reference"]
    with get_db().unit_of_work() as session:
        actor = user_by_username(session, username).as_actor()
        _case, access = open_break_glass(session, actor, reference, "other", explanation, now())
        assert access is not None


def walk_to_strategy_nfa(api, person: Person) -> int:
    case_id = report_about(api, person, immediate_risk=True)
    confirm_immediate_risk(api, case_id)
    complete(api, case_id, "convene_strategy_discussion", "social-worker",
             {"scheduled_on": "2027-01-04", "discussion_format": "virtual", "chair": "Team manager"})
    complete(api, case_id, "record_strategy_discussion", "social-worker",
             {**f.strategy_record("nfa"), "summary": person.text("Strategy summary for")})
    closed = complete(api, case_id, "feedback_to_referrer", "business-support", f.feedback(["none"]))
    assert closed["status"] == "closed" and closed["strategy_outcome"] == "nfa", closed
    return case_id


def mash(database_url: str, tmp_path, *args: str):
    """Run the `mash` command against the test database."""
    env = {"MASH_DATABASE_URL": database_url, "MASH_INSTANCE_PATH": str(tmp_path / "cli-instance")}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
