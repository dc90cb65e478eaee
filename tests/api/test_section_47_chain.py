"""After the strategy discussion: the strategy discussion's own deadline, the follow-up strategy meeting, the
section 47 enquiry's outcome, and the initial child protection conference, whose 15 working day target is met
when the conference is held (not when it is booked), walked over the JSON API on SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.cases.models import CompletedTask
from app.casework.scheduler import fire_due
from app.core.clock import clock
from tests import factories as f
from tests.api.test_referral_walks import complete, report, screen_and_check

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
MONDAY_10 = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)  # Monday 4 January 2027, 10:00 in London (GMT)
#: 15 working days from the strategy discussion on Monday 4 January 2027: Monday 25 January, close of business.
ICPC_DUE = "2027-01-25T17:30:00+00:00"
CONVENE = {"scheduled_on": "2027-01-04", "discussion_format": "phone", "chair": "Team manager"}
ICPC_TASKS = ("Record the section 47 enquiry outcome", "Convene the initial child protection conference",
              "Record the ICPC held", "Record why the ICPC target was missed")


def case(api, case_id: int) -> dict:
    return api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()


def deadlines(api, case_id: int, name: str) -> list[dict]:
    return [d for d in case(api, case_id)["deadlines"] if d["name"] == name]


def icpc_target(api, case_id: int) -> dict:
    [target] = deadlines(api, case_id, "ICPC target")
    return target


def open_names(api, case_id: int) -> list[str]:
    return sorted(t["name"] for t in case(api, case_id)["open_tasks"])


def decided_strategy_discussion(api, given: str = "Ellie") -> int:
    """A Red contact the MASH manager decides needs a strategy discussion, on Monday morning."""
    clock.freeze(MONDAY_10)
    case_id = report(api, given=given)
    screen_and_check(api, case_id, "red", ["police"])
    complete(api, case_id, "mash_review", "mash-manager", f.review())
    after = complete(api, case_id, "decision", "mash-manager", f.decision("strategy-discussion"))
    assert sorted(t["name"] for t in after["open_tasks"]) == ["Convene the strategy discussion",
                                                              "Send feedback to the referrer"]
    # The referrer hears back beside the strategy discussion, within the working day.
    after = complete(api, case_id, "feedback_to_referrer", "business-support", f.feedback())
    assert [t["name"] for t in after["open_tasks"]] == ["Convene the strategy discussion"]
    return case_id


def section_47_started(api, strategy_outcome: str = "s47-joint", given: str = "Ellie") -> int:
    case_id = decided_strategy_discussion(api, given)
    complete(api, case_id, "convene_strategy_discussion", "social-worker", CONVENE)
    complete(api, case_id, "record_strategy_discussion", "social-worker",
             f.strategy_record(strategy_outcome, held_on="2027-01-04"))
    return case_id


def submitted(db, case_id: int, form_key: str) -> list[dict]:
    with db.unit_of_work(write=False) as session:
        return list(session.scalars(select(CompletedTask.data).where(CompletedTask.case_id == case_id,
                                                                     CompletedTask.form_key == form_key)))


@BOTH
def test_the_strategy_discussion_is_due_a_working_day_after_the_decision_and_met_when_recorded(api):
    case_id = decided_strategy_discussion(api)
    [due] = deadlines(api, case_id, "Strategy discussion due")
    # [timescales.strategy-discussion] in sla-policies.toml: 1 working day from the decision on Monday: Tuesday 17:30.
    assert due == {"name": "Strategy discussion due", "kind": "statutory", "due_at": "2027-01-05T17:30:00+00:00",
                   "state": "on-track", "met_at": None}
    assert case(api, case_id)["open_tasks"][0]["due_at"] == "2027-01-05T17:30:00+00:00"  # it sorts in the inbox
    clock.advance(timedelta(hours=2))
    complete(api, case_id, "convene_strategy_discussion", "social-worker", CONVENE)
    [still] = deadlines(api, case_id, "Strategy discussion due")
    assert still["state"] == "on-track" and still["met_at"] is None  # convening is not holding it
    clock.advance(timedelta(hours=3))
    complete(api, case_id, "record_strategy_discussion", "social-worker",
             f.strategy_record("s17-assessment", held_on="2027-01-04"))
    [met] = deadlines(api, case_id, "Strategy discussion due")
    assert met["state"] == "met" and met["met_at"] == "2027-01-04T15:00:00+00:00"


@BOTH
def test_an_urgent_telephone_discussion_is_followed_by_a_strategy_meeting_within_5_working_days(api, db):
    case_id = decided_strategy_discussion(api)
    complete(api, case_id, "convene_strategy_discussion", "social-worker", CONVENE)
    after = complete(api, case_id, "record_strategy_discussion", "social-worker",
                     f.strategy_record("s47-joint", held_on="2027-01-04", discussion_format="phone",
                                       meeting_needed=True))
    # The meeting runs alongside the enquiry: the enquiry does not wait for it.
    assert sorted(t["name"] for t in after["open_tasks"]) == ["Hold the strategy meeting",
                                                              "Record the section 47 enquiry outcome"]
    [meeting] = deadlines(api, case_id, "Strategy meeting due")
    assert meeting["due_at"] == "2027-01-11T17:30:00+00:00"  # 5 working days from Monday 4 January
    complete(api, case_id, "hold_strategy_meeting", "social-worker",
             {"held_on": "2027-01-07", "attendees": ["childrens-social-care", "police", "health", "education"],
              "summary": "Enquiry plan agreed with all agencies."})
    assert deadlines(api, case_id, "Strategy meeting due")[0]["state"] == "met"
    # The meeting's date does not overwrite the strategy discussion's, from which the ICPC target counts.
    assert icpc_target(api, case_id)["due_at"] == ICPC_DUE
    assert submitted(db, case_id, "strategy_meeting")[0]["held_on"] == "2027-01-07"


@BOTH
def test_the_enquiry_outcome_is_recorded_and_booking_the_conference_does_not_meet_its_target(api, db):
    case_id = section_47_started(api)
    assert open_names(api, case_id) == ["Record the section 47 enquiry outcome"]
    assert icpc_target(api, case_id) == {"name": "ICPC target", "kind": "statutory", "due_at": ICPC_DUE,
                                         "state": "on-track", "met_at": None}
    clock.advance(timedelta(days=6))
    complete(api, case_id, "record_s47_outcome", "social-worker", f.s47_outcome("icpc-required", "2027-01-08"))
    assert submitted(db, case_id, "s47_outcome") == [f.s47_outcome("icpc-required", "2027-01-08")]
    assert open_names(api, case_id) == ["Convene the initial child protection conference"]
    clock.advance(timedelta(hours=1))
    complete(api, case_id, "convene_icpc", "social-worker", {"icpc_date": "2027-01-20"})
    # Booked for a date inside the target, but not held yet: the target is still running.
    assert icpc_target(api, case_id) == {"name": "ICPC target", "kind": "statutory", "due_at": ICPC_DUE,
                                         "state": "on-track", "met_at": None}
    assert open_names(api, case_id) == ["Record the ICPC held"]


@BOTH
def test_the_icpc_target_is_met_when_the_conference_is_held_on_time(api, db):
    case_id = section_47_started(api)
    complete(api, case_id, "record_s47_outcome", "social-worker", f.s47_outcome("icpc-required"))
    complete(api, case_id, "convene_icpc", "social-worker", {"icpc_date": "2027-01-20"})
    clock.freeze(datetime(2027, 1, 20, 15, 0, tzinfo=UTC))
    assert fire_due() == 0
    after = complete(api, case_id, "record_icpc_held", "social-worker", f.icpc_held("2027-01-20"))
    target = icpc_target(api, case_id)
    assert target["state"] == "met" and target["met_at"] == "2027-01-20T15:00:00+00:00"
    # The chain is done: the call activity ends (the referrer heard at the start); the assessment follows.
    assert [t["name"] for t in after["open_tasks"]] == ["Record the assessment outcome"]
    [held] = submitted(db, case_id, "icpc_held")
    assert held["plan_outcome"] == "child-protection-plan" and held["category_of_abuse"] == "PHY"


@BOTH
def test_a_conference_booked_after_the_target_is_breached_and_the_reason_recorded(api):
    case_id = section_47_started(api)
    complete(api, case_id, "record_s47_outcome", "social-worker", f.s47_outcome("icpc-required"))
    complete(api, case_id, "convene_icpc", "social-worker", {"icpc_date": "2027-03-05"})  # 60 days out
    assert icpc_target(api, case_id)["state"] == "on-track"  # booked is not held
    clock.freeze(datetime(2027, 1, 25, 17, 31, tzinfo=UTC))
    assert fire_due() == 1
    assert icpc_target(api, case_id)["state"] == "breached"
    assert open_names(api, case_id) == ["Record the ICPC held", "Record why the ICPC target was missed"]
    complete(api, case_id, "record_icpc_delay", "social-worker", {"reason": "The family's advocate was unavailable."})
    clock.freeze(datetime(2027, 3, 5, 14, 0, tzinfo=UTC))
    complete(api, case_id, "record_icpc_held", "social-worker", f.icpc_held("2027-03-05", "child-in-need-plan"))
    late = icpc_target(api, case_id)
    assert late["state"] == "breached" and late["met_at"] == "2027-03-05T14:00:00+00:00"  # held, late


@BOTH
def test_an_enquiry_still_open_at_the_target_is_breached_and_the_reason_asked_once_when_booked(api):
    case_id = section_47_started(api)
    clock.freeze(datetime(2027, 1, 26, 9, 0, tzinfo=UTC))
    assert fire_due() == 1
    assert icpc_target(api, case_id)["state"] == "breached"
    assert open_names(api, case_id) == ["Record the section 47 enquiry outcome"]
    complete(api, case_id, "record_s47_outcome", "social-worker", f.s47_outcome("icpc-required", "2027-01-26"))
    complete(api, case_id, "convene_icpc", "social-worker", {"icpc_date": "2027-02-01"})
    fire_due()
    assert open_names(api, case_id) == ["Record the ICPC held", "Record why the ICPC target was missed"]
    assert icpc_target(api, case_id)["state"] == "breached"


@BOTH
@pytest.mark.parametrize("outcome", ["no-icpc-concerns-substantiated", "no-icpc-continue-s17"])
def test_an_enquiry_that_needs_no_conference_ends_the_chain_and_the_icpc_target_no_longer_applies(api, db, outcome):
    case_id = section_47_started(api)
    after = complete(api, case_id, "record_s47_outcome", "social-worker", f.s47_outcome(outcome))
    assert [t["name"] for t in after["open_tasks"]] == ["Record the assessment outcome"]
    assert not set(ICPC_TASKS) & set(open_names(api, case_id))
    assert deadlines(api, case_id, "ICPC target") == []  # not met: there was no conference to hold
    assert submitted(db, case_id, "s47_outcome")[0]["s47_outcome"] == outcome


def rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@BOTH
def test_annex_a_lists_4_and_5_show_the_enquiries_and_only_conferences_that_were_held(api, web, db):
    held = section_47_started(api)
    complete(api, held, "record_s47_outcome", "social-worker", f.s47_outcome("icpc-required"))
    complete(api, held, "convene_icpc", "social-worker", {"icpc_date": "2027-01-20"})
    complete(api, held, "record_icpc_held", "social-worker", f.icpc_held("2027-01-20"))
    complete(api, held, "record_assessment", "social-worker", f.assessment())
    booked = section_47_started(api, "s47-single", given="Farah")
    complete(api, booked, "record_s47_outcome", "social-worker", f.s47_outcome("icpc-required"))
    complete(api, booked, "convene_icpc", "social-worker", {"icpc_date": "2027-01-21"})
    none = section_47_started(api, given="Grace")
    complete(api, none, "record_s47_outcome", "social-worker", f.s47_outcome("no-icpc-continue-s17"))
    section_17 = section_47_started(api, "s17-assessment", given="Hana")

    manager = web("mash-manager")
    page = manager.get("/reports?from=2027-01-01&to=2027-01-31").get_data(as_text=True)
    assert "/reports/annex-a/list-5.csv?from=2027-01-01&amp;to=2027-01-31" in page
    list_5 = rows(manager.get("/reports/annex-a/list-5.csv?from=2027-01-01&to=2027-01-31"))
    assert len(list_5) == 3  # one child on each of the three enquiries; the s17 strategy discussion is not one
    by_id = {r["Child Unique ID"]: r for r in list_5}
    assert len(by_id) == 3
    cells = [(r["Strategy discussion initiating Section 47 Enquiry Start Date"],
              r["Was an Initial Child Protection Conference deemed unnecessary?"],
              r["Date of Initial Child Protection Conference"],
              r["Did the Initial Child Protection Conference Result in a Child Protection Plan"]) for r in list_5]
    assert sorted(cells) == sorted([
        ("04/01/2027", "b) No", "20/01/2027", "a) Yes"),  # held: a child protection plan
        ("04/01/2027", "b) No", "", ""),  # only booked: not a conference held
        ("04/01/2027", "a) Yes", "", ""),  # no conference needed
    ])
    assert {r["Does the Child have a Disability"] for r in list_5} == {"c) Unknown"}

    list_4 = rows(manager.get("/reports/annex-a/list-4.csv?from=2027-01-01&to=2027-01-31"))
    # Every strategy discussion here but none ended in no further action: each goes on to an assessment,
    # started at the referral; only the first has concluded (a child in need plan: support needed).
    assert section_17 and len(list_4) == 4
    assert sorted((r["Continuous Assessment Start Date"], r["Continuous Assessment Date of Authorisation"],
                   r["Was the child assessed as requiring LA children's social care support?"]) for r in list_4) == [
        ("04/01/2027", "", ""), ("04/01/2027", "", ""), ("04/01/2027", "", ""), ("04/01/2027", "01/02/2027", "a) Yes")]
