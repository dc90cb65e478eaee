"""A case on its own map: steps done and open, arrows taken, runs, deadline badges, and the replay."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.core.clock import clock
from app.maps.diagram import Step
from app.maps.trail import TrailEvent, replay_frames
from tests import factories as f
from tests.api.test_referral_walks import complete, report
from tests.maps.walks import MONDAY_10, at, frame_at, map_data, table_rows, walk_to_feedback


def screened_and_checked(api) -> int:
    """Amber, police and health asked; police has answered, health has not."""
    at(0)
    case_id = report(api)
    at(5)
    complete(api, case_id, "screening", "mash-manager", f.screening("amber", ["police", "health"]))
    at(30)
    complete(api, case_id, "police_check", "police", f.agency_return())
    return case_id


def test_the_case_map_shows_done_and_open_steps_the_arrows_taken_and_deadline_states(api, web):
    case_id = screened_and_checked(api)
    clock.freeze(MONDAY_10 + timedelta(hours=29))  # Tuesday 15:00: amber is due at 17:30, at risk after 75%
    page = web("health").get(f"/cases/{case_id}/map")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    data = map_data(html)
    assert data["diagram_url"] == "/process-models/referral/versions/1/files/referral.bpmn"
    frame = frame_at(data, data["at"])
    assert data["at"] == len(data["events"]) == len(data["frames"]) - 1  # the latest frame: where it is now
    elements = frame["elements"]
    assert elements["screening"] == {"status": "completed", "detail": "completed", "runs": 1, "words": "Done"}
    assert elements["police_check"]["status"] == "completed"
    assert elements["health_check"] == {"status": "active", "detail": "ready", "runs": 0,
                                        "words": "Waiting for a person"}
    assert elements["health_check_deadline"]["words"] == "Timer running"
    assert elements["agency_checks_back"]["status"] == "active"  # waiting for the health branch
    assert elements["police_check_deadline"]["status"] == "cancelled"
    assert "mash_review" not in elements and "education_check" not in elements
    flows = set(frame["flows"])
    assert {"Flow_not_immediate", "Flow_screening_to_rag", "Flow_police_check_yes", "Flow_police_check_returned",
            "Flow_health_check_yes", "Flow_education_check_skipped", "Flow_police_check_done"} <= flows
    assert not {"Flow_police_check_skipped", "Flow_education_check_yes", "Flow_rag_blue", "Flow_health_check_to_merge",
                "Flow_checks_to_review", "Flow_open_case_yes"} & flows
    badges = {d["element_id"]: (d["name"], d["state"]) for d in frame["deadlines"]}
    assert badges == {"screening_deadline": ("Screening due: 1 working day from receipt", "met"),
                      "police_check_deadline": ("Police check due", "met"),
                      "health_check_deadline": ("Health check due", "at-risk"),
                      # The decision's deadline, armed at screening, rides on the open health check.
                      "health_decision_deadline": ("Decision due", "on-track")}
    assert data["calls"] == {"strategy_discussion": f"/cases/{case_id}/map?process=strategy_discussion",
                             "refer_marac": f"/cases/{case_id}/map?process=marac_referral",  # issue 21
                             "refer_lado": f"/cases/{case_id}/map?process=lado_allegation",  # issue 22
                             "refer_adult_safeguarding": f"/cases/{case_id}/map?process=adult_at_risk"}

    # Without JavaScript the same, as tables.
    steps = {row[0]: row[1:] for row in table_rows(html, "maps-case-steps")}
    assert steps["Check health records"] == ["Waiting for a person", "0"]
    assert steps["Check police records"] == ["Done", "1"]
    assert steps["Police check due"] == ["Not needed (cancelled)", "0"]
    deadlines = {row[0]: row[3] for row in table_rows(html, "maps-case-deadlines")}
    assert deadlines == {"Screening due: 1 working day from receipt": "Met", "Police check due": "Met",
                         "Health check due": "At risk", "Decision due": "On track"}
    # The trail opens on the case's work (app/maps/trail.py WORK_KINDS); every event is one link away.
    trail = table_rows(html, "maps-trail")
    assert [row[2:] for row in trail] == [
        ["Contact received", "completed", "referrer"], ["Screen the contact", "ready", "referrer"],
        ["Screen the contact", "completed", "mash-manager"], ["Check police records", "ready", "mash-manager"],
        ["Check health records", "ready", "mash-manager"], ["Check police records", "completed", "police"]]
    assert [int(row[0].split()[0]) for row in trail] == data["shown"]
    everything = web("health").get(f"/cases/{case_id}/map?show=all").get_data(as_text=True)
    assert len(table_rows(everything, "maps-trail")) == len(data["events"])


def test_replay_at_k_shows_the_map_as_it_was_just_after_event_k(api, web):
    case_id = screened_and_checked(api)
    events = api("mash-manager").get(f"/api/v1/cases/{case_id}/trail").get_json()
    k = next(n for n, e in enumerate(events, start=1) if (e["element_id"], e["state"]) == ("screening", "completed"))
    html = web("mash-manager").get(f"/cases/{case_id}/map?at={k}&show=all").get_data(as_text=True)
    data = map_data(html)
    assert data["at"] == k
    frame = frame_at(data, k)
    assert frame["elements"]["screening"]["status"] == "completed"
    assert "police_check" not in frame["elements"]  # reached by the next events of the same step
    assert "Flow_screening_to_rag" in frame["flows"]
    assert "Flow_police_check_yes" not in frame["flows"]
    assert data["frames"][k]["elements"] == {"screening": frame["elements"]["screening"]}  # only what changed
    assert f"Event {k} of {len(events)}: <strong>Screen the contact</strong> completed at" in html
    assert "by mash-manager" in html
    steps = {row[0]: row[1] for row in table_rows(html, "maps-case-steps")}
    assert steps["Screen the contact"] == "Done" and "Check police records" not in steps
    # the next event through a plain link, and the deadlines as they stood then
    assert f'href="/cases/{case_id}/map?at={k + 1}&amp;show=all" data-replay="next"' in html
    assert f'href="/cases/{case_id}/map?at={k - 1}&amp;show=all" data-replay="previous"' in html
    assert {row[0]: row[3] for row in table_rows(html, "maps-case-deadlines")} == {
        "Screening due: 1 working day from receipt": "Met"}

    start = web("mash-manager").get(f"/cases/{case_id}/map?at=0").get_data(as_text=True)
    assert "Before the first event" in start
    assert table_rows(start, "maps-case-steps") == [["Nothing had happened on this map yet."]]
    beyond = web("mash-manager").get(f"/cases/{case_id}/map?at=9999").get_data(as_text=True)
    assert map_data(beyond)["at"] == len(events)
    assert web("mash-manager").get(f"/cases/{case_id}/map?at=next").status_code == 404


def test_a_called_process_is_drawn_for_the_case_and_a_closed_case_shows_how_it_ended(api, web):
    at(0)
    case_id = report(api, immediate_risk=True)
    complete(api, case_id, "confirm_immediate_risk", "mash-manager", f.confirm_immediate_risk())  # to a discussion
    complete(api, case_id, "convene_strategy_discussion", "social-worker",
             {"scheduled_on": "2027-01-04", "discussion_format": "virtual", "chair": "Team manager"})
    root = map_data(web("social-worker").get(f"/cases/{case_id}/map").get_data(as_text=True))
    now = frame_at(root, root["at"])
    assert now["elements"]["strategy_discussion"]["words"] == "In progress"
    assert "Flow_immediate_risk_yes" in now["flows"]
    assert "Flow_strategy_discussion_done" not in now["flows"]  # the engine predicts it; nothing went there yet
    html = web("social-worker").get(f"/cases/{case_id}/map?process=strategy_discussion").get_data(as_text=True)
    inner = map_data(html)
    assert inner["diagram_url"] == "/process-models/referral/versions/1/files/strategy_discussion.bpmn"
    inside = frame_at(inner, inner["at"])
    assert inside["elements"]["convene_strategy_discussion"]["status"] == "completed"
    assert inside["elements"]["record_strategy_discussion"]["status"] == "active"
    # Through the script that starts the strategy discussion's clock, then convening.
    assert sorted(inside["flows"]) == ["Flow_convene_to_record", "Flow_requested_to_clock", "Flow_requested_to_convene"]
    assert "MASH contact to decision" in html and "Strategy discussion and section 47 enquiry" in html
    assert web("social-worker").get(f"/cases/{case_id}/map?process=nope").status_code == 404

    closed_id, _times = walk_to_feedback(api, given="Noah", family="Jones")
    closed = map_data(web("mash-manager").get(f"/cases/{closed_id}/map").get_data(as_text=True))
    done = frame_at(closed, closed["at"])
    assert done["elements"]["end_closed"]["status"] == "completed"
    assert not [e for e, s in done["elements"].items() if s["status"] == "active"]
    assert {"Flow_rerate_no", "Flow_settled_to_decision", "Flow_decision_to_referrals"} <= set(done["flows"])


def test_runs_count_each_time_a_step_was_done_and_the_last_state_wins():
    """A step drawn in a loop runs again under a new task id: each completed run counts."""
    step = Step(id="review", name="Review", kind="userTask", lane=None, documentation=None)
    when = datetime(2027, 1, 4, 10, tzinfo=UTC)
    trail = [TrailEvent(n, "review", "Review", state, when + timedelta(minutes=n), "mash-manager", "p", task)
             for n, (state, task) in enumerate([("ready", "a"), ("completed", "a"), ("ready", "b"),
                                                ("completed", "b"), ("ready", "c")], start=1)]
    frames = replay_frames({"review": step}, "p", trail)
    assert [(f.elements["review"].status, f.elements["review"].runs) for f in frames[1:]] == [
        ("active", 0), ("completed", 1), ("active", 1), ("completed", 2), ("active", 2)]
    assert frames[4].elements["review"].words == "Done, ran 2 times"
    assert frames[5].elements["review"].words == "Waiting for a person, ran 2 times"


def test_the_case_map_is_for_the_hub_only_and_each_view_is_audited(api, web, db):
    case_id = report(api)
    assert web("referrer").get(f"/cases/{case_id}/map").status_code == 403
    assert web("process-owner").get(f"/cases/{case_id}/map").status_code == 403
    assert web("mash-manager").get("/cases/999999/map").status_code == 404
    assert web("police").get(f"/cases/{case_id}/map").status_code == 404  # police are not involved (need to know)
    web("social-worker").get(f"/cases/{case_id}/map?at=2")
    with db.unit_of_work(write=False) as session:
        views = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id,
                                                         AuditEvent.action == "case.map-viewed")).all()
    assert [(v.username, v.details) for v in views] == [("social-worker", {"process_id": "referral", "at": 2})]
    show = web("mash-manager").get(f"/cases/{case_id}").get_data(as_text=True)
    assert f'href="/cases/{case_id}/map"' in show and "View on the process map" in show
