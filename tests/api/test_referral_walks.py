"""Walk contacts through the hub over the JSON API, every outcome, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.core.clock import clock
from tests import factories as f
from tests.adults.concerns import consent_capacity, s42_decision

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
#: A Monday morning: the hub is open (who confirms immediate risk depends on it).
MONDAY_10 = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)


def open_tasks(api, case_id: int) -> dict[str, dict]:
    case = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()
    return {t["name"]: t for t in case["open_tasks"]}


def task_id(api, case_id: int, element_id: str, as_user: str) -> str:
    """The open task for a diagram element, found from the user's own inbox."""
    inbox = api(as_user).get("/api/v1/tasks").get_json()
    for item in inbox:
        if item["case_id"] == case_id:
            detail = api(as_user).get(f"/api/v1/tasks/{item['task_id']}").get_json()
            if detail["element_id"] == element_id:
                return item["task_id"]
    raise AssertionError(f"{as_user} has no {element_id} task on case {case_id}: {inbox}")


def complete(api, case_id: int, element_id: str, as_user: str, data: dict) -> dict:
    response = api(as_user).post(f"/api/v1/tasks/{task_id(api, case_id, element_id, as_user)}/complete", json=data)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def report(api, **kwargs) -> int:
    response = api("referrer").post("/api/v1/contacts", json=f.contact(**kwargs))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["reference"].startswith("MASH-")
    return body["case_id"]


def confirm_immediate_risk(api, case_id: int, **answers) -> dict:
    """The MASH manager confirms a referrer's immediate-risk flag; while the hub is closed, the emergency duty team."""
    names = {t["name"] for t in api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()["open_tasks"]}
    if "Confirm immediate risk out of hours" in names:
        return complete(api, case_id, "confirm_immediate_risk_out_of_hours", "out-of-hours",
                        f.confirm_immediate_risk(**answers))
    return complete(api, case_id, "confirm_immediate_risk", "mash-manager", f.confirm_immediate_risk(**answers))


def screen_and_check(api, case_id: int, rag: str = "amber", agencies=("police", "health")) -> None:
    complete(api, case_id, "screening", "mash-manager", f.screening(rag, list(agencies)))
    for agency in agencies:
        complete(api, case_id, f.AGENCY_TASKS[agency], agency, f.agency_return())


@BOTH
@pytest.mark.parametrize("outcome", ["nfa", "advice", "early-help", "s17-assessment", "marac", "lado",
                                     "adult-safeguarding"])
def test_a_screened_contact_reaches_each_outcome_and_the_referrer_is_told(api, outcome):
    case_id = report(api)
    screen_and_check(api, case_id)
    complete(api, case_id, "mash_review", "mash-manager", f.review())
    after = complete(api, case_id, "decision", "mash-manager", f.decision(outcome))
    assert after["outcome"] == outcome
    # An outcome that is itself a referral (MARAC, LADO, adult safeguarding, early help) opens its own step.
    referral = f"refer_{outcome.replace('-', '_')}"
    referred = referral in f.REFERRALS
    assert sorted(t["role"] for t in after["open_tasks"]) == sorted(
        ["business-support", *([f.REFERRAL_ROLES[referral]] if referred else [])])
    closed = complete(api, case_id, "feedback_to_referrer", "business-support", f.feedback())
    assert closed["agency_returns"] == []  # business support gave the feedback: it reads no agency's findings
    if outcome == "s17-assessment":
        # The referrer has heard; the 45 working day assessment clock keeps the contact open.
        assert closed["status"] == "open"
        assert [t["name"] for t in closed["open_tasks"]] == ["Record the assessment outcome"]
        closed = complete(api, case_id, "record_assessment", "social-worker", f.assessment())
    if referred:
        assert closed["status"] == "open"  # the contact closes once the referral is made
        # Raising an adult safeguarding concern is the adult pathway's first step (a call activity, issue 22).
        step = "raise_adult_concern" if outcome == "adult-safeguarding" else referral
        complete(api, case_id, step, f.REFERRAL_ROLES[referral], f.REFERRALS[referral])
        if outcome == "marac":  # the MARAC's actions are recorded after its meeting (issue 21)
            complete(api, case_id, "record_marac_actions", "marac-coordinator", f.MARAC_ACTIONS)
        if outcome == "lado":  # the LADO evaluates the allegation it recorded (issue 22)
            complete(api, case_id, "lado_evaluation", "lado", f.LADO_NO_FURTHER_ACTION)
        if outcome == "adult-safeguarding":  # then consent and capacity, and the section 42 decision (issue 22)
            complete(api, case_id, "record_adult_consent_capacity", "adult-social-care", consent_capacity())
            complete(api, case_id, "s42_decision", "adult-social-care", s42_decision("no-enquiry", duty=False))
        closed = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()
    assert closed["status"] == "closed"
    assert closed["closure"] == "end_closed"
    assert closed["open_tasks"] == []
    whole = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()
    assert {r["agency"] for r in whole["agency_returns"]} == {"police", "health"}


@BOTH
@pytest.mark.parametrize(("strategy_outcome", "icpc"), [("s47-single", True), ("s47-joint", True),
                                                     ("s17-assessment", False), ("nfa", False)])
def test_a_strategy_discussion_decides_section_47_and_convenes_the_conference(api, strategy_outcome, icpc):
    case_id = report(api)
    screen_and_check(api, case_id, "red", ["police"])
    complete(api, case_id, "mash_review", "mash-manager", f.review())
    after = complete(api, case_id, "decision", "mash-manager", f.decision("strategy-discussion"))
    # The referrer hears back beside the strategy discussion, not weeks later after the conference.
    assert sorted(t["name"] for t in after["open_tasks"]) == ["Convene the strategy discussion",
                                                              "Send feedback to the referrer"]
    told = complete(api, case_id, "feedback_to_referrer", "business-support", f.feedback())
    assert [t["name"] for t in told["open_tasks"]] == ["Convene the strategy discussion"]
    complete(api, case_id, "convene_strategy_discussion", "social-worker",
             {"scheduled_on": "2027-01-04", "discussion_format": "virtual", "chair": "Team manager"})
    after = complete(api, case_id, "record_strategy_discussion", "social-worker", f.strategy_record(strategy_outcome))
    assert after["strategy_outcome"] == strategy_outcome
    names = [t["name"] for t in after["open_tasks"]]
    if icpc:
        # The enquiry's outcome comes first; the conference is booked, then recorded as held.
        assert names == ["Record the section 47 enquiry outcome"]
        complete(api, case_id, "record_s47_outcome", "social-worker", f.s47_outcome("icpc-required"))
        complete(api, case_id, "convene_icpc", "social-worker", {"icpc_date": "2027-01-20"})
        complete(api, case_id, "record_icpc_held", "social-worker", f.icpc_held("2027-01-20"))
        closed = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()
    else:
        assert "Record the section 47 enquiry outcome" not in names
        assert "Convene the initial child protection conference" not in names
        closed = after
    if strategy_outcome != "nfa":
        assert [t["name"] for t in closed["open_tasks"]] == ["Record the assessment outcome"]
        closed = complete(api, case_id, "record_assessment", "social-worker", f.assessment())
    assert closed["status"] == "closed"


def test_a_strategy_discussion_without_police_is_refused_and_nothing_changes(api):
    clock.freeze(MONDAY_10)  # the hub is open: the MASH manager confirms immediate risk
    case_id = report(api, immediate_risk=True)
    complete(api, case_id, "confirm_immediate_risk", "mash-manager", f.confirm_immediate_risk())
    complete(api, case_id, "feedback_to_referrer", "business-support", f.feedback(["none"]))
    complete(api, case_id, "convene_strategy_discussion", "social-worker",
             {"scheduled_on": "2027-01-04", "discussion_format": "phone", "chair": "Team manager"})
    tid = task_id(api, case_id, "record_strategy_discussion", "social-worker")
    response = api("social-worker").post(f"/api/v1/tasks/{tid}/complete",
                                         json=f.strategy_record("s47-joint", ["childrens-social-care", "health"]))
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert errors[0]["field"] == "attendees"
    assert "children's social care, police and health" in errors[0]["message"]
    still_open = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()["open_tasks"]
    assert [t["task_id"] for t in still_open] == [tid]
    assert api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()["strategy_outcome"] is None


@BOTH
def test_confirmed_immediate_risk_goes_straight_to_a_strategy_discussion(api):
    clock.freeze(MONDAY_10)  # the hub is open: the MASH manager confirms immediate risk
    case_id = report(api, immediate_risk=True)
    complete(api, case_id, "confirm_immediate_risk", "mash-manager", f.confirm_immediate_risk())
    case = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()
    assert sorted(t["name"] for t in case["open_tasks"]) == ["Convene the strategy discussion",
                                                             "Send feedback to the referrer"]
    assert case["rag"] == "red"
    assert case["outcome"] == "strategy-discussion"


def test_blue_goes_to_feedback_with_no_agency_checks(api):
    case_id = report(api)
    after = complete(api, case_id, "screening", "mash-manager", f.screening("blue", []))
    assert [t["role"] for t in after["open_tasks"]] == ["business-support"]
    closed = complete(api, case_id, "feedback_to_referrer", "business-support", f.feedback(["none"]))
    assert closed["status"] == "closed" and closed["rag"] == "blue"
    assert "rag_history" not in closed  # the hub's reasoning is not business support's to read
    assert api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()["rag_history"][0]["to"] == "blue"


def test_a_child_whose_enquiry_is_open_is_linked_to_it_and_the_screener_confirms_the_join(api):
    first = report(api, given="Ruby", family="Green", dob="2012-02-02")
    second = report(api, given="ruby", family="GREEN", dob="2012-02-02")
    case = api("mash-manager").get(f"/api/v1/cases/{second}").get_json()
    assert case["linked_case_id"] == first
    assert [t["name"] for t in case["open_tasks"]] == ["Confirm the link to the open enquiry"]
    closed = complete(api, second, "confirm_enquiry_link", "mash-manager",
                      {"join_enquiry": "yes", "join_enquiry_reason": "The same child and the same concern."})
    assert closed["status"] == "closed"
    assert closed["closure"] == "joined-enquiry"


def test_each_agency_sees_only_its_own_check(api):
    case_id = report(api)
    complete(api, case_id, "screening", "mash-manager", f.screening("amber", ["police", "youth-justice"]))
    for agency in ("police", "youth-justice"):
        mine = [t for t in api(agency).get("/api/v1/tasks").get_json() if t["case_id"] == case_id]
        assert [t["role"] for t in mine] == [agency]
    for agency in ("health", "education", "probation", "housing", "adult-social-care"):
        assert [t for t in api(agency).get("/api/v1/tasks").get_json() if t["case_id"] == case_id] == []


def test_re_rating_at_review_keeps_the_rag_before_and_after(api):
    case_id = report(api)
    screen_and_check(api, case_id, "green", ["education"])
    after = complete(api, case_id, "mash_review", "mash-manager", f.review("yes", "red"))
    assert after["rag"] == "red"
    assert after["rag_initial"] == "green"
    assert [(h["from"], h["to"]) for h in after["rag_history"]] == [(None, "green"), ("green", "red")]
    assert after["rag_history"][1]["rationale"] == "Re-rated to red after the agency returns."


def test_the_same_nhs_number_on_an_open_case_is_passed_to_the_allocated_worker_whatever_the_name(api):
    def with_nhs(given: str, family: str, nhs_number: str) -> int:
        body = f.contact(given=given, family=family, dob=None)
        body["subjects"][0]["nhs_number"] = nhs_number
        response = api("referrer").post("/api/v1/contacts", json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["case_id"]

    first = with_nhs("Mohammed", "Rahman", "943 476 5919")
    second = with_nhs("Muhammad", "Rahmen", "9434765919")  # spelt otherwise, no date of birth: the number decides
    other = with_nhs("Mohammed", "Rahman", "401 023 2137")  # the same name with another number is someone else
    assert api("mash-manager").get(f"/api/v1/cases/{second}").get_json()["linked_case_id"] == first
    assert api("mash-manager").get(f"/api/v1/cases/{other}").get_json()["linked_case_id"] is None


def test_the_case_data_a_contact_starts_with_is_what_the_deploy_check_counts_as_known(api, db):
    from app.cases.models import Case
    from app.core.vocabulary import SET_AT_CONTACT
    from app.engine import CaseWorkflow
    from app.process_models.registry import compiled_by_id

    case_id = report(api)
    with db.unit_of_work(write=False) as session:
        case = session.get(Case, case_id)
        data = CaseWorkflow.restore(compiled_by_id(session, case.process_version_id), case.state).case_data()
    assert set(SET_AT_CONTACT) <= set(data)
