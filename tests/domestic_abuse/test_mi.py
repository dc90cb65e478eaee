"""The MI counts notifications by the officer's risk level and the daily triage's overrides of the domestic abuse
table: each decision is counted beside the table's, and deciding otherwise is counted as an override."""
from __future__ import annotations

from datetime import UTC, datetime

from app.core.clock import clock
from tests.domestic_abuse.notifications import notification

QUERY = "from=2027-01-01&to=2027-01-31"


def csv_rows(web, table: str) -> list[list[str]]:
    response = web("ops-manager").get(f"/reports/{table}.csv?{QUERY}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return [line.split(",") for line in response.get_data(as_text=True).strip().splitlines()]


def test_notifications_by_risk_and_the_triages_overrides(api, web):
    clock.freeze(datetime(2027, 1, 11, 9, 0, tzinfo=UTC))
    high = api("police").post("/api/v1/contacts", json=notification(risk_level="high", yes=15)).get_json()["case_id"]
    medium = api("police").post("/api/v1/contacts", json=notification(
        risk_level="medium", yes=6, victim="Anna Berg", children=[])).get_json()["case_id"]
    api("police").post("/api/v1/contacts", json=notification(risk_level="medium", yes=7, victim="Ivy Moss",
                                                             children=[]))
    done = web("mash-manager").post_form("/triage/domestic-abuse", {
        f"decision-{high}": "marac",
        f"decision-{medium}": "marac", f"reason-{medium}": "Third call-out this month: the meeting refers to MARAC."})
    assert done.status_code == 302

    by_risk = {row[0]: row[1:] for row in csv_rows(web, "da-notifications")[1:]}
    assert by_risk["High"][:3] == ["1", "1", "0"] and by_risk["Medium"][:3] == ["2", "1", "1"]
    assert by_risk["Total"][:3] == ["3", "2", "1"]

    overrides = {row[0]: row[1:] for row in csv_rows(web, "da-triage-overrides")[1:]}
    assert overrides["Refer to MARAC (and screen)"][0] == "1" and overrides["Refer to MARAC (and screen)"][-2] == "0"
    table_for_medium = [label for label, row in overrides.items() if label != "Total" and row[0] == "1"
                        and label != "Refer to MARAC (and screen)"]
    assert len(table_for_medium) == 1 and overrides[table_for_medium[0]][-2] == "1"
    assert overrides["Total"][0] == "2" and overrides["Total"][-2:] == ["1", "50.0"]
