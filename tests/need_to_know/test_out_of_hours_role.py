"""The emergency duty team (role ``out-of-hours``, lane "Out of hours") decides urgent contacts while the hub is
closed: it works the MASH manager's case-work routes (its inbox and tasks, the whole case, the person index,
re-rating) and sees whole cases as the MASH manager does, but not the manager's oversight of the hub (the SLA
wall, reports, incidents, the sharing report)."""
from __future__ import annotations

import pytest

from app.auth.authorisation import CASE_RULES, ROUTE_ROLES, WHOLE_CASE
from app.core.roles import LANE_NAMES, role_for_lane
from tests.api.test_referral_walks import report, screen_and_check

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

#: The MASH manager's routes that oversee the hub rather than work a case: not the duty team's.
HUB_OVERSIGHT = {"dashboard.index", "dashboard.retry", "dashboard.give_back", "reports.index", "reports.table_csv",
                 "reports.mi_dataset_csv", "reports.annex_a_csv", "api.mi_dataset", "api.list_incidents",
                 "api.retry_incident_now", "api.give_back_task", "sharing.index", "sharing.export_csv",
                 "api.list_sharing_decisions",
                 # the duty rota (#19): the MASH manager keeps who is on duty
                 "rota.index", "rota.add", "rota.edit", "rota.change", "rota.remove"}


def test_out_of_hours_is_a_lane_and_a_decision_maker():
    assert "Out of hours" in LANE_NAMES and role_for_lane("Out of hours") == "out-of-hours"
    assert CASE_RULES["out-of-hours"] == WHOLE_CASE
    managers = {endpoint for endpoint, roles in ROUTE_ROLES.items() if "mash-manager" in roles}
    duty = {endpoint for endpoint, roles in ROUTE_ROLES.items() if "out-of-hours" in roles}
    assert managers - duty == HUB_OVERSIGHT
    assert duty - managers == set()


@BOTH
def test_the_duty_team_reads_the_whole_case_re_rates_it_and_works_its_inbox(api, web):
    case_id = report(api)
    screen_and_check(api, case_id, "amber", ["police"])
    duty = api("out-of-hours")
    case = duty.get(f"/api/v1/cases/{case_id}").get_json()
    assert case["referrer"]["email"] == "jo@hillside.example.org"
    assert [r["agency"] for r in case["agency_returns"]] == ["police"]
    assert case["rag_history"][0]["to"] == "amber"
    assert duty.get("/api/v1/tasks").status_code == 200

    moved = duty.post(f"/api/v1/cases/{case_id}/rag",
                      json={"rag": "red", "rag_rationale": "Police called overnight: the father is back home."})
    assert moved.status_code == 200, moved.get_json()
    assert [(h["to"], h["by"]) for h in moved.get_json()["rag_history"]][-1] == ("red", "out-of-hours")

    page = web("out-of-hours").get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert "Change the RAG rating" in page.get_data(as_text=True)
    assert web("out-of-hours").get(f"/cases/{case_id}/people").status_code == 200
    assert web("out-of-hours").get("/dashboard").status_code == 403
