"""A case's trail opens on the work: what people did and where the case went. Decision points ("Probation check
requested?"), automatic steps and the process's own events (deadlines armed and stood down) are one link away,
and the API answers as it always has unless asked for the work only (app/maps/trail.py WORK_KINDS)."""
from __future__ import annotations

import re
from html import unescape

from app.maps.diagram import Step
from app.maps.trail import WORK_KINDS, is_work
from tests.maps.walks import map_data, table_rows, walk_to_feedback

#: The walk's work: the contact, the people's five tasks (each made ready, then done) and the end: 12 of 82 events.
WORK_TRAIL = [
    ("Contact received", "completed", "referrer"),
    ("Screen the contact", "ready", "referrer"), ("Screen the contact", "completed", "mash-manager"),
    ("Check police records", "ready", "mash-manager"), ("Check police records", "completed", "police"),
    ("Review agency returns", "ready", "police"), ("Review agency returns", "completed", "mash-manager"),
    ("Decide the outcome", "ready", "mash-manager"), ("Decide the outcome", "completed", "mash-manager"),
    ("Send feedback to the referrer", "ready", "mash-manager"),
    ("Send feedback to the referrer", "completed", "business-support"),
    ("Contact closed", "completed", "business-support"),
]


def trail_of(html: str) -> list[tuple[str, str, str]]:
    return [tuple(unescape(cell) for cell in row[2:]) for row in table_rows(html, "maps-trail")]


def test_the_trail_hides_decision_points_and_internal_events_until_asked(api, web):
    case_id, _times = walk_to_feedback(api)
    manager = web("mash-manager")
    html = manager.get(f"/cases/{case_id}/map").get_data(as_text=True)
    work = trail_of(html)
    every = api("mash-manager").get(f"/api/v1/cases/{case_id}/trail").get_json()
    assert work == WORK_TRAIL
    assert len(work) < len(every) / 2  # a simple case reads in a screenful
    assert "Probation check requested?" not in {name for name, _s, _b in work}
    assert "Probation check requested?" in {e["name"] for e in every}

    toggle = re.search(r'<a class="govuk-link" href="([^"]+)" id="maps-trail-toggle">(.*?)</a>', html, re.S)
    assert toggle is not None and f"Show all {len(every)} events" in toggle.group(2)
    assert toggle.group(1) == f"/cases/{case_id}/map?show=all#maps-trail-heading"
    everything = manager.get(toggle.group(1).split("#")[0]).get_data(as_text=True)
    assert [name for name, _s, _b in trail_of(everything)] == [e["name"] for e in every]
    back = re.search(r'<a class="govuk-link" href="([^"]+)" id="maps-trail-toggle">', everything).group(1)
    assert back == f"/cases/{case_id}/map#maps-trail-heading"


def test_replay_steps_through_the_work_skipping_decision_points(api, web):
    case_id, _times = walk_to_feedback(api)
    every = api("mash-manager").get(f"/api/v1/cases/{case_id}/trail").get_json()
    index = {(e["element_id"], e["state"]): n for n, e in reversed(list(enumerate(every, start=1)))}
    screened, police = index[("screening", "completed")], index[("police_check", "ready")]
    assert police > screened + 1, "decision points lie between screening and the police check"
    html = web("mash-manager").get(f"/cases/{case_id}/map?at={screened}").get_data(as_text=True)
    assert f'href="/cases/{case_id}/map?at={police}" data-replay="next"' in html
    assert police in map_data(html)["shown"] and screened + 1 not in map_data(html)["shown"]
    toggle = re.search(r'href="([^"]+)" id="maps-trail-toggle"', html).group(1)
    assert toggle == f"/cases/{case_id}/map?at={screened}&amp;show=all#maps-trail-heading"  # the replay stays put


def test_the_api_answers_every_event_by_default_and_the_work_on_request(api):
    case_id, _times = walk_to_feedback(api)
    reader = api("mash-manager")
    every = reader.get(f"/api/v1/cases/{case_id}/trail").get_json()
    assert reader.get(f"/api/v1/cases/{case_id}/trail?show=all").get_json() == every
    assert reader.get(f"/api/v1/cases/{case_id}/trail?show=anything").get_json() == every
    assert {("rag_rating_check", "completed"), ("police_check_deadline", "waiting")} <= {
        (e["element_id"], e["state"]) for e in every}
    work = reader.get(f"/api/v1/cases/{case_id}/trail?show=work").get_json()
    assert [(e["name"], e["state"], e["by"]) for e in work] == WORK_TRAIL
    assert work == [e for e in every if e in work] and len(work) < len(every)
    assert not {e["element_id"] for e in work} & {"rag_rating_check", "police_check_deadline",
                                                  "probation_check_requested"}


def test_the_rule_is_people_s_work_called_processes_and_the_ends_of_processes():
    def step(kind: str) -> Step:
        return Step(id="x", name="x", kind=kind, lane=None, documentation=None)
    shown = {"userTask", "manualTask", "callActivity", "startEvent", "endEvent"}
    hidden = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "scriptTask", "serviceTask",
              "intermediateCatchEvent", "boundaryEvent", "sendTask", "subProcess"}
    assert shown <= WORK_KINDS and not hidden & WORK_KINDS
    assert all(is_work(step(kind)) for kind in shown) and not any(is_work(step(kind)) for kind in hidden)
    assert is_work(None)  # an element no diagram knows is shown, never hidden


def test_an_armed_event_sub_process_start_is_not_work_under_any_process_id(db):
    """The engine can record the 'new information' start under its event sub-process's own id, which no diagram
    lists: armed (waiting), it is still the process's machinery, not the case's work; once it happens it shows."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from app.maps.trail import TrailEvent, work_indexes
    from app.process_models.models import ProcessVersion

    with db.unit_of_work(write=False) as session:
        version = session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == "referral")).first()
        at = datetime(2027, 1, 4, tzinfo=UTC)
        trail = [TrailEvent(0, "contact_received", "Contact received", "completed", at, "referrer", None, None),
                 TrailEvent(1, "new_information_received", "A contact joined this enquiry", "waiting", at, "referrer",
                            "new_information", None),
                 TrailEvent(2, "new_information_received", "A contact joined this enquiry", "completed", at,
                            "referrer", "new_information", None)]
        assert work_indexes(version, trail) == {0, 2}
