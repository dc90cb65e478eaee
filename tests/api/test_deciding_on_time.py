"""Issue 18: the hub decides, on time, on what it knows. One test (or more) per fault the review reproduced, each
walked through the JSON API on SQLite and PostgreSQL.

The clock is frozen in the hub's working hours (Monday 11 January 2027, 10:00 GMT) unless a test says otherwise,
because who confirms immediate risk depends on whether the hub is open.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.casework.scheduler import fire_due
from app.core.clock import clock
from tests import factories as f
from tests.api.test_referral_walks import complete, report, screen_and_check

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
MONDAY_10 = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)


def case_of(api, case_id: int, as_user: str = "mash-manager") -> dict:
    return api(as_user).get(f"/api/v1/cases/{case_id}").get_json()


def step_names(case: dict) -> list[str]:
    return sorted(t["name"] for t in case["open_tasks"])


def deadline(case: dict, name: str) -> dict:
    found = [d for d in case["deadlines"] if d["name"] == name]
    assert found, f"no deadline '{name}' on the case: {[d['name'] for d in case['deadlines']]}"
    return found[-1]


@pytest.fixture(autouse=True)
def _in_working_hours():
    clock.freeze(MONDAY_10)


# ----------------------------------------------------------------------------- 1. who decides immediate risk
@BOTH
def test_the_referrers_immediate_risk_flag_is_confirmed_by_a_mash_manager_within_the_hour(api):
    case_id = report(api, immediate_risk=True)
    case = case_of(api, case_id)
    assert step_names(case) == ["Confirm immediate risk"]
    assert case["outcome"] is None and case["decided_by"] is None  # the referrer's flag decides nothing
    due = deadline(case, "Immediate risk to be confirmed")
    assert datetime.fromisoformat(due["due_at"]) == MONDAY_10 + timedelta(hours=1)

    after = complete(api, case_id, "confirm_immediate_risk", "mash-manager",
                     f.confirm_immediate_risk(action="police-protection"))
    assert (after["rag"], after["outcome"], after["decided_by"]) == ("red", "strategy-discussion", "mash-manager")
    assert "Convene the strategy discussion" in step_names(after)
    assert deadline(after, "Immediate risk to be confirmed")["state"] == "met"


@BOTH
def test_a_flag_the_manager_does_not_confirm_is_screened_like_any_other_contact(api):
    case_id = report(api, immediate_risk=True)
    after = complete(api, case_id, "confirm_immediate_risk", "mash-manager", f.confirm_immediate_risk(confirmed=False))
    assert step_names(after) == ["Screen the contact"]
    assert after["outcome"] is None and after["rag"] is None


@BOTH
def test_an_unconfirmed_flag_breaches_its_hour_on_the_sla_wall(api):
    case_id = report(api, immediate_risk=True)
    clock.advance(timedelta(hours=1, minutes=1))
    assert fire_due() == 1
    assert deadline(case_of(api, case_id), "Immediate risk to be confirmed")["state"] == "breached"


def test_out_of_hours_the_emergency_duty_team_confirms_and_the_hub_takes_it_on_when_it_opens(api):
    # Saturday 9 January 2027, 02:00: the hub is closed until Monday 09:00.
    clock.freeze(datetime(2027, 1, 9, 2, 0, tzinfo=UTC))
    case_id = report(api, immediate_risk=True)
    assert [t["role"] for t in case_of(api, case_id)["open_tasks"]] == ["out-of-hours"]
    after = complete(api, case_id, "confirm_immediate_risk_out_of_hours", "out-of-hours",
                     f.confirm_immediate_risk(action="police-protection"))
    assert after["decided_by"] == "out-of-hours" and after["outcome"] == "strategy-discussion"
    assert "Hand over from out of hours" not in step_names(after)
    clock.freeze(datetime(2027, 1, 11, 9, 0, 1, tzinfo=UTC))
    fire_due()
    handover = [t for t in case_of(api, case_id)["open_tasks"] if t["name"] == "Hand over from out of hours"]
    assert [t["role"] for t in handover] == ["mash-manager"]


# ----------------------------------------------------------------------------- 2. a silent agency
def _silent_police(api) -> int:
    """A Red contact; health answers, police stays silent past its four hours and is chased."""
    case_id = report(api)
    complete(api, case_id, "screening", "mash-manager", f.screening("red", ["police", "health"]))
    complete(api, case_id, "health_check", "health", f.agency_return())
    clock.advance(timedelta(hours=4, minutes=1))
    fire_due()
    assert "Chase overdue police check" in step_names(case_of(api, case_id))
    return case_id


@BOTH
def test_a_red_case_goes_on_without_a_silent_agency_and_the_decision_records_it(api):
    case_id = _silent_police(api)
    after = complete(api, case_id, "chase_police_check", "mash-manager", f.chase(go_on_without=True))
    assert "Review agency returns" in step_names(after)
    assert "Check police records" in step_names(after)  # police can still answer
    complete(api, case_id, "mash_review", "mash-manager", f.review())
    decided = complete(api, case_id, "decision", "mash-manager", f.decision("s17-assessment"))
    assert decided["outcome"] == "s17-assessment"
    assert decided["agencies_not_returned"] == ["police"]


@BOTH
def test_keeping_waiting_chases_again_and_holds_the_review(api):
    case_id = _silent_police(api)
    after = complete(api, case_id, "chase_police_check", "mash-manager", f.chase(go_on_without=False))
    assert "Review agency returns" not in step_names(after)
    assert "Chase overdue police check" not in step_names(after)
    clock.advance(timedelta(hours=1, minutes=1))
    fire_due()
    assert "Chase overdue police check" in step_names(case_of(api, case_id))


def test_a_check_returned_while_the_hub_waits_is_not_chased_again(api):
    case_id = _silent_police(api)
    complete(api, case_id, "chase_police_check", "mash-manager", f.chase(go_on_without=False))
    after = complete(api, case_id, "police_check", "police", f.agency_return())
    assert "Review agency returns" in step_names(after)
    assert "Review late information" not in step_names(after)  # the hub waited: the return is not late
    clock.advance(timedelta(hours=1, minutes=1))
    fire_due()
    assert "Chase overdue police check" not in step_names(case_of(api, case_id))


@BOTH
def test_a_return_after_the_hub_went_on_raises_review_late_information(api):
    case_id = _silent_police(api)
    complete(api, case_id, "chase_police_check", "mash-manager", f.chase(go_on_without=True))
    complete(api, case_id, "mash_review", "mash-manager", f.review())
    after = complete(api, case_id, "police_check", "police", f.agency_return())
    late = [t for t in after["open_tasks"] if t["name"] == "Review late information"]
    assert [t["role"] for t in late] == ["mash-manager"]
    assert after["status"] == "open" and "Decide the outcome" in step_names(after)
    rerated = complete(api, case_id, "review_late_information", "mash-manager",
                       {"rerate": "yes", "new_rag": "amber", "rag_rationale": "Police know nothing recent.",
                        "decision_stands": "not-decided", "late_information_note": "Nothing new of concern."})
    assert rerated["rag"] == "amber"
    assert "Review late information" not in step_names(rerated)


@BOTH
def test_a_return_on_time_raises_no_late_review_and_the_decision_went_without_nobody(api):
    case_id = report(api)
    screen_and_check(api, case_id, "amber", ["police"])
    assert step_names(case_of(api, case_id)) == ["Review agency returns"]
    complete(api, case_id, "mash_review", "mash-manager", f.review())
    assert complete(api, case_id, "decision", "mash-manager", f.decision("nfa"))["agencies_not_returned"] == []


# ----------------------------------------------------------------------------- 3. open cases, precisely
def _in_social_work(api, nhs_number: str) -> int:
    """A child whose case went to a strategy discussion: a social worker is working with the family."""
    case_id = report(api, nhs_number=nhs_number)
    screen_and_check(api, case_id, "red", ["police"])
    complete(api, case_id, "mash_review", "mash-manager", f.review())
    complete(api, case_id, "decision", "mash-manager", f.decision("strategy-discussion"))
    return case_id


@BOTH
def test_a_child_with_social_work_in_progress_goes_to_that_worker_with_a_deadline_and_feedback(api):
    _in_social_work(api, "9434765919")
    case_id = report(api, nhs_number="9434765919", given="Ava", family="Jones")
    case = case_of(api, case_id)
    assert step_names(case) == ["Pass to allocated social worker"]
    due = deadline(case, "Allocated worker to respond")
    assert datetime.fromisoformat(due["due_at"]).date().isoformat() == "2027-01-12"
    after = complete(api, case_id, "pass_to_allocated_worker", "social-worker", {"action_taken": "Added to the plan."})
    assert step_names(after) == ["Send feedback to the referrer"]
    # No MASH decision was made: business support records where the product went, as before issue 18.
    closed = complete(api, case_id, "feedback_to_referrer", "business-support", f.feedback(["none"]))
    assert closed["closure"] == "end_passed_to_allocated_worker"


@BOTH
def test_an_unrelated_child_at_immediate_risk_sharing_an_alleged_perpetrator_is_confirmed_not_passed_on(api):
    shared_adult = {"role": "alleged-perpetrator", "given_name": "Carl", "family_name": "Stone",
                    "date_of_birth": "1990-02-02", "nhs_number": "4010232137"}
    first = f.contact(given="Mia", family="Stone", dob="2016-03-03")
    first["subjects"].append(shared_adult)
    assert api("referrer").post("/api/v1/contacts", json=first).status_code == 201  # unscreened
    second = f.contact(given="Leo", family="Hart", dob="2019-07-07", immediate_risk=True)
    second["subjects"].append(shared_adult)
    response = api("referrer").post("/api/v1/contacts", json=second)
    assert response.status_code == 201
    assert step_names(case_of(api, response.get_json()["case_id"])) == ["Confirm immediate risk"]


@BOTH
def test_a_shared_adult_on_a_case_in_social_work_is_screened_not_passed_on(api):
    social = f.contact(given="Mia", family="Stone", dob="2016-03-03", nhs_number="9434765919")
    social["subjects"].append({"role": "parent", "given_name": "Jo", "family_name": "Stone",
                               "date_of_birth": "1988-01-01", "nhs_number": "4010232137"})
    case_id = api("referrer").post("/api/v1/contacts", json=social).get_json()["case_id"]
    screen_and_check(api, case_id, "red", ["police"])
    complete(api, case_id, "mash_review", "mash-manager", f.review())
    complete(api, case_id, "decision", "mash-manager", f.decision("strategy-discussion"))
    other = f.contact(given="Sam", family="Reed", dob="2018-05-05")
    other["subjects"].append({"role": "parent", "given_name": "Jo", "family_name": "Stone",
                              "date_of_birth": "1988-01-01", "nhs_number": "4010232137"})
    new = api("referrer").post("/api/v1/contacts", json=other).get_json()["case_id"]
    assert step_names(case_of(api, new)) == ["Screen the contact"]


# ----------------------------------------------------------------------------- 4. coherent clocks
@BOTH
def test_a_green_contact_is_not_breached_by_design_its_decision_is_due_after_its_checks(api):
    case_id = report(api)
    after = complete(api, case_id, "screening", "mash-manager", f.screening("green", ["police"]))
    check_due = datetime.fromisoformat(deadline(after, "Police check due")["due_at"])
    decision = deadline(after, "Decision due")  # armed at screening: the wall counts it down from the start
    assert datetime.fromisoformat(decision["due_at"]) > check_due
    assert decision["state"] == "on-track"


@BOTH
def test_a_red_contact_is_decided_the_same_day(api):
    case_id = report(api)
    after = complete(api, case_id, "screening", "mash-manager", f.screening("red", ["police"]))
    due = datetime.fromisoformat(deadline(after, "Decision due")["due_at"])
    assert due == MONDAY_10 + timedelta(hours=5)  # 4 hours and a quarter of them from receipt


@BOTH
def test_the_decision_deadline_is_met_when_the_outcome_is_decided(api):
    case_id = report(api)
    screen_and_check(api, case_id, "amber", ["police"])
    complete(api, case_id, "mash_review", "mash-manager", f.review())
    after = complete(api, case_id, "decision", "mash-manager", f.decision("nfa"))
    assert deadline(after, "Decision due")["state"] == "met"


# ----------------------------------------------------------------------------- 6. several outcomes
@BOTH
def test_marac_as_the_outcome_still_lets_a_section_47_route_run_beside_it(api):
    case_id = report(api)
    screen_and_check(api, case_id, "red", ["police"])
    complete(api, case_id, "mash_review", "mash-manager", f.review())
    after = complete(api, case_id, "decision", "mash-manager",
                     f.decision("strategy-discussion", additional_referrals=["marac", "lado"]))
    names = step_names(after)
    # The LADO's first step is its own (lado.bpmn): recording the allegation, due with the evaluation (issue 22).
    assert {"Convene the strategy discussion", "Refer to MARAC", "Record the allegation"} <= set(names)
    lado = deadline(after, "LADO notified due")
    assert datetime.fromisoformat(lado["due_at"]).date().isoformat() == "2027-01-12"  # 1 working day


@BOTH
def test_a_contact_closes_only_when_its_referrals_are_made(api):
    case_id = report(api)
    screen_and_check(api, case_id)
    complete(api, case_id, "mash_review", "mash-manager", f.review())
    after = complete(api, case_id, "decision", "mash-manager", f.decision("early-help"))
    assert step_names(after) == ["Refer to early help", "Send feedback to the referrer"]
    after = complete(api, case_id, "feedback_to_referrer", "business-support", f.feedback())
    assert after["status"] == "open"
    closed = complete(api, case_id, "refer_early_help", "mash-manager", f.REFERRALS["refer_early_help"])
    assert closed["status"] == "closed" and closed["closure"] == "end_closed"


@BOTH
def test_a_contact_joined_to_an_open_enquiry_closes_and_the_enquiry_reviews_the_new_information(api):
    first = report(api, given="Ruby", family="Green", dob="2012-02-02")
    complete(api, first, "screening", "mash-manager", f.screening("amber", ["police"]))
    second = report(api, given="Ruby", family="Green", dob="2012-02-02")
    joined = case_of(api, second)
    assert joined["linked_case_id"] == first and step_names(joined) == ["Confirm the link to the open enquiry"]
    closed = complete(api, second, "confirm_enquiry_link", "mash-manager",
                      {"join_enquiry": "yes", "join_enquiry_reason": "Same child, same weekend."})
    assert (closed["status"], closed["closure"]) == ("closed", "joined-enquiry")
    enquiry = case_of(api, first)
    assert step_names(enquiry) == ["Check police records", "Review new information"]
    assert deadline(enquiry, "New information to be reviewed")["due_at"] == "2027-01-12T17:30:00+00:00"
    reviewed = complete(api, first, "review_new_information", "mash-manager",
                        {"new_information_note": "Same incident, seen by a neighbour."})
    assert step_names(reviewed) == ["Check police records"]  # the enquiry carries on


def test_a_contact_the_screener_does_not_join_is_screened_on_its_own(api):
    first = report(api, given="Ruby", family="Green", dob="2012-02-02")
    second = report(api, given="Ruby", family="Green", dob="2012-02-02")
    after = complete(api, second, "confirm_enquiry_link", "mash-manager",
                     {"join_enquiry": "no", "join_enquiry_reason": "A different concern: school attendance."})
    assert step_names(after) == ["Screen the contact"]
    assert step_names(case_of(api, first)) == ["Screen the contact"]


@BOTH
def test_feedback_given_after_the_strategy_discussion_does_not_undo_its_outcome(api):
    """The referrer's feedback branch split off before the strategy discussion decided anything: when it joins the
    discussion's branch, its old copy of the case data must not bring ``strategy_outcome`` back to None."""
    case_id = report(api)
    screen_and_check(api, case_id, "red", ["police"])
    complete(api, case_id, "mash_review", "mash-manager", f.review())
    complete(api, case_id, "decision", "mash-manager", f.decision("strategy-discussion"))
    complete(api, case_id, "convene_strategy_discussion", "social-worker",
             {"scheduled_on": "2027-01-11", "discussion_format": "phone", "chair": "Team manager"})
    complete(api, case_id, "record_strategy_discussion", "social-worker", f.strategy_record("s17-assessment"))
    after = complete(api, case_id, "feedback_to_referrer", "business-support", f.feedback())
    whole = case_of(api, case_id)
    assert whole["strategy_outcome"] == "s17-assessment"
    assert step_names(whole) == ["Record the assessment outcome"]
    assert after["status"] == "open"
