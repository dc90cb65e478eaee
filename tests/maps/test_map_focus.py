"""A process map opens on the step or lane in question (?step=, ?lane=; else the start event) instead of the whole
79-step diagram fitted too small to read, and says so in words for a page without JavaScript."""
from __future__ import annotations

from app.core.config import PROJECT_ROOT
from tests.maps.walks import map_data


def test_a_map_opens_on_the_step_asked_for(web):
    trainer = web("trainer")
    html = trainer.get("/maps/referral?step=police_check").get_data(as_text=True)
    assert map_data(html)["focus"] == {"step": "police_check", "name": "Check police records"}
    assert ('The diagram opens on the step <a class="govuk-link" href="#maps-step-police_check">Check police '
            'records</a>') in html
    assert 'id="maps-step-police_check"' in html  # where that link goes without JavaScript
    assert 'bpmn/minimap.css' in html and (PROJECT_ROOT / "app/static/bpmn/minimap.css").is_file()


def test_a_map_opens_on_a_lane_and_each_lane_links_to_its_place_on_the_diagram(web):
    html = web("trainer").get("/maps/referral?lane=Police").get_data(as_text=True)
    focus = map_data(html)["focus"]
    assert focus["lane"] == "Police" and "police_check" in focus["steps"] and "screening" not in focus["steps"]
    assert 'The diagram opens on the lane <a class="govuk-link" href="#maps-lane-' in html
    whole = web("trainer").get("/maps/referral").get_data(as_text=True)
    assert 'href="/maps/referral?version=1&amp;lane=Police#maps-focus">Show the Police lane on the diagram</a>' in whole


def test_without_a_step_or_lane_the_map_opens_at_the_start(web):
    html = web("trainer").get("/maps/referral").get_data(as_text=True)
    assert map_data(html)["focus"] == {"start": ["contact_received"]}
    assert 'id="maps-focus"' not in html


def test_a_step_not_on_the_map_is_said_and_the_map_opens_at_the_start(web):
    html = web("trainer").get("/maps/referral?step=no_such_step").get_data(as_text=True)
    assert "There is no step no_such_step on this map: it opens at the start." in html
    assert map_data(html)["focus"] == {"start": ["contact_received"]}
    lane = web("trainer").get("/maps/referral?lane=Nobody").get_data(as_text=True)
    assert "There is no lane Nobody on this map" in lane


def test_a_steps_own_page_links_to_it_on_the_map(web):
    html = web("mash-manager").get("/maps/referral/steps/police_check?version=1").get_data(as_text=True)
    assert ('<a class="govuk-link" id="maps-step-on-map" href="/maps/referral?version=1&amp;step=police_check'
            '#maps-focus">See this step on the map</a>') in html


def test_a_task_page_links_to_its_step_on_the_map_of_the_cases_version(web, api, db):
    from tests import factories as f
    from tests.api.test_referral_walks import complete, report
    from tests.pages.helpers import open_task

    case_id = report(api)
    complete(api, case_id, "screening", "mash-manager", f.screening("amber", ["police"]))
    task_id = open_task(db, case_id, "police_check")
    page = web("police").get(f"/tasks/{task_id}").get_data(as_text=True)
    link = page.split('id="step-on-the-map" href="')[1].split('"')[0].replace("&amp;", "&")
    assert link == "/maps/referral?step=police_check&version=1"
    html = web("police").get(link).get_data(as_text=True)
    assert map_data(html)["focus"] == {"step": "police_check", "name": "Check police records"}
