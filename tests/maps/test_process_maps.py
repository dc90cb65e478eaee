"""/maps: each deployed process as a map, every step explained on its own page (guidance, role,
deadlines, a preview of its form), read from the stored version rather than from the files on disk."""
from __future__ import annotations

import html as markup
import re

from lxml import etree

from app.core.config import PROJECT_ROOT
from app.engine import ProcessBundle
from app.engine.definitions import BPMN_NS
from app.process_models.registry import register_bundle
from tests.api.test_referral_walks import report
from tests.maps.walks import map_data, table_rows

FLOW_NODES = ("userTask", "scriptTask", "callActivity", "subProcess", "startEvent", "endEvent", "boundaryEvent",
              "exclusiveGateway", "parallelGateway", "intermediateCatchEvent")


def drawn(file: str) -> dict[str, etree._Element]:
    """The flow nodes of a shipped diagram, by id, read straight from the file."""
    tree = etree.parse(str(PROJECT_ROOT / "processes" / file))
    return {node.get("id"): node for kind in FLOW_NODES for node in tree.iter(f"{{{BPMN_NS}}}{kind}")}


def documentation(node) -> str:
    return " ".join(node.find(f"{{{BPMN_NS}}}documentation").text.split())


def text(html: str) -> str:
    return " ".join(markup.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_maps_index_lists_every_executable_process_of_the_latest_version(web):
    page = web("trainer").get("/maps")
    assert page.status_code == 200
    rows = {row[0].split(" ")[0]: row for row in table_rows(page.get_data(as_text=True), "maps-processes")}
    referral, strategy = drawn("referral.bpmn"), drawn("strategy_discussion.bpmn")
    people = lambda nodes: sum(1 for n in nodes.values() if n.tag.endswith("userTask"))  # noqa: E731
    timers = lambda nodes: sum(1 for n in nodes.values() if n.find(f"{{{BPMN_NS}}}timerEventDefinition") is not None)  # noqa: E731
    assert rows["MASH"][1:5] == ["1", str(len(referral)), str(people(referral)), str(timers(referral))]
    assert rows["MASH"][5] == ("MASH manager, Out of hours, Police, Health, Education, Probation, Housing, "
                               "Youth justice, Adult social care, Business support, Social worker, Ops manager")
    assert rows["Strategy"][1:] == ["1", str(len(strategy)), str(people(strategy)), str(timers(strategy)),
                                    "Social worker"]
    html = page.get_data(as_text=True)
    assert 'href="/maps/referral?version=1"' in html
    assert 'href="/maps/strategy_discussion?version=1&amp;root=referral"' in html
    assert web("referrer").get("/maps").status_code == 403


def test_a_process_map_lists_every_step_with_its_own_page_and_feeds_the_viewer(web):
    html = web("process-owner").get("/maps/referral").get_data(as_text=True)
    data = map_data(html)
    assert data["diagram_url"] == "/process-models/referral/versions/1/files/referral.bpmn"
    nodes = drawn("referral.bpmn")
    assert set(data["steps"]) == set(nodes)
    for step_id in nodes:
        url = f"/maps/referral/steps/{step_id}?version=1"
        assert data["steps"][step_id]["url"] == url
        assert f'id="maps-step-{step_id}"' in html and f'href="{url.replace("&", "&amp;")}"' in html
    assert data["calls"] == {"strategy_discussion": "/maps/strategy_discussion?version=1&root=referral",
                             "refer_marac": "/maps/marac_referral?version=1&root=referral",  # issue 21
                             "refer_lado": "/maps/lado_allegation?version=1&root=referral",  # issue 22
                             "refer_adult_safeguarding": "/maps/adult_at_risk?version=1&root=referral"}
    # grouped by lane, in the order the flow reaches them
    lanes = re.findall(r'<h3 class="govuk-heading-m maps-lane"[^>]*>([^<]+)</h3>', html)
    assert lanes[:3] == ["MASH manager", "Out of hours", "Police"]
    listed = re.findall(r'id="maps-step-([^"]+)"', html)
    assert listed.index("contact_received") < listed.index("screening") < listed.index("decision")
    assert listed.index("screening") + 1 == listed.index("screening_deadline")  # a task's timers follow it
    assert documentation(nodes["screening"]) in markup.unescape(html)

    called = web("trainer").get("/maps/strategy_discussion").get_data(as_text=True)
    assert ('Called from <a class="govuk-link" href="/maps/referral?version=1#maps-step-strategy_discussion">'
            'Hold strategy discussion</a> in MASH contact to decision') in called
    for missing in ("/maps/nope", "/maps/referral?version=99", "/maps/referral?version=one",
                    "/maps/referral/steps/nope", "/maps/strategy_discussion?root=nope"):
        assert web("trainer").get(missing).status_code == 404, missing


def test_a_step_page_shows_its_guidance_role_deadline_and_a_form_preview_that_cannot_be_sent(web):
    nodes = drawn("referral.bpmn")
    page = web("trainer").get("/maps/referral/steps/screening")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    words = text(html)
    assert "<h1 class=\"govuk-heading-l\">Screen the contact</h1>" in html
    assert documentation(nodes["screening"]) in words
    assert "Who does it MASH manager" in words
    assert "Statutory Screening due: 1 working day from receipt" in words
    assert "Due time worked out as add_working_days(received_at, 1)" in words
    assert "the task stays open and can still be done" in words
    preview = re.search(r'<fieldset class="maps-form-preview" disabled.*?</fieldset>\s*(?=\n|$)', html, re.S).group(0)
    assert 'name="rag"' in preview and "RAG rating" in preview
    assert "<form" not in html.split('id="main-content"')[1].split("</main>")[0]  # nothing to send it with
    assert "Leads to: RAG rating?" in words

    panel = web("trainer").get("/maps/referral/steps/screening?version=1&panel=1").get_data(as_text=True)
    assert "<html" not in panel and "<h1" not in panel
    assert '<h2 class="govuk-heading-m" id="maps-panel-heading" tabindex="-1">Screen the contact</h2>' in panel
    assert 'name="rag"' in panel and documentation(nodes["screening"]) in text(panel)

    check = text(web("trainer").get("/maps/referral/steps/police_check").get_data(as_text=True))
    assert "Who does it Police" in check
    assert "Red: 4 hours, the clock runs out of hours (at risk after 75% of the time)" in check
    assert "Amber: 1 working day (at risk after 75% of the time)" in check
    assert "Then: Chase police" in check  # the chase's way in (the first chase and every one after it)
    timer = text(web("trainer").get("/maps/referral/steps/police_check_deadline").get_data(as_text=True))
    assert "What it is Deadline on a task" in timer and "Drawn on Check police records" in timer
    gateway = text(web("trainer").get("/maps/referral/steps/rag_rating_check").get_data(as_text=True))
    assert "Nobody: the process does this by itself (drawn in the MASH manager lane)" in gateway
    assert ('Leads to: Note when the checks were requested (Red, amber or green) otherwise Ready for feedback '
            '(Blue) when rag == "blue"') in gateway
    call = web("trainer").get("/maps/referral/steps/strategy_discussion").get_data(as_text=True)
    assert ('<a class="govuk-link" href="/maps/strategy_discussion?version=1&amp;root=referral">'
            'Strategy discussion and section 47 enquiry</a>') in call


def test_each_version_keeps_its_own_map_and_a_case_is_drawn_on_the_version_it_runs_on(app, db, api, web):
    old_case = report(api)
    bundle = ProcessBundle.from_directories(PROJECT_ROOT / "processes", PROJECT_ROOT / "forms")
    old_words = documentation(drawn("referral.bpmn")["screening"])
    redrawn = bundle.bpmn["referral.bpmn"].replace(old_words[:60].encode(), b"Redrawn: screen within the hour. ")
    assert redrawn != bundle.bpmn["referral.bpmn"]
    with db.unit_of_work() as session:
        register_bundle(session, ProcessBundle(bpmn={**bundle.bpmn, "referral.bpmn": redrawn}, forms=bundle.forms,
                                               policies=bundle.policies, dmn=bundle.dmn), created_by="process-owner")
    new_case = report(api, given="Noah", family="Jones")

    index = table_rows(web("trainer").get("/maps").get_data(as_text=True), "maps-processes")
    # referral, and the processes in its bundle (strategy discussion; Encompass, MARAC and the domestic-abuse
    # pathway since issue 21; the LADO's allegations, the adult at risk and the missing episode since issue 22)
    assert [row[1] for row in index] == ["2 (of 2)"] * 8
    latest = web("trainer").get("/maps/referral/steps/screening").get_data(as_text=True)
    assert "Redrawn: screen within the hour." in latest and "maps-older-version" not in latest
    older = web("trainer").get("/maps/referral/steps/screening?version=1").get_data(as_text=True)
    assert old_words in text(older) and "Redrawn" not in older
    assert 'id="maps-older-version"' in older
    versions = web("trainer").get("/maps/referral?version=1").get_data(as_text=True)
    assert map_data(versions)["diagram_url"] == "/process-models/referral/versions/1/files/referral.bpmn"
    assert 'href="/maps/referral?version=2">Version 2</a>' in versions

    old_map = map_data(web("mash-manager").get(f"/cases/{old_case}/map").get_data(as_text=True))
    new_map = map_data(web("mash-manager").get(f"/cases/{new_case}/map").get_data(as_text=True))
    assert old_map["diagram_url"] == "/process-models/referral/versions/1/files/referral.bpmn"
    assert new_map["diagram_url"] == "/process-models/referral/versions/2/files/referral.bpmn"
    assert old_map["steps"]["screening"]["url"] == "/maps/referral/steps/screening?version=1"
