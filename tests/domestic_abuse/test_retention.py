"""A domestic abuse notification closed by the daily triage with no further action joins the personal data life
cycle: the subject access export holds it, and `mash retention` leaves none of its people, places or words anywhere
in the database (the audit trail aside, which never held them), while the risk level, DASH answers and decisions stay
for the MI."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.core.clock import clock
from app.core.db import get_db
from app.domestic_abuse.models import DomesticAbuseChild, DomesticAbuseNotification
from tests.domestic_abuse.notifications import notification
from tests.retention.test_anonymise import database_text, survivors
from tests.retention.walks import mash

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
T0 = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)
#: Every personal string of the notification, each found nowhere else.
PERSONAL = ["Ysolde", "Marchbanks", "Tybalt", "Grimshaw", "Perpetua", "1991-04-03", "1985-09-09", "2016-02-29",
            "99 Wisteria Crescent", "PC Ottoline Vance", "collar 8812", "Tybalt hit Ysolde in the kitchen",
            "Known to the family support worker already"]


def closed_notification(api, web) -> int:
    body = notification(victim="Ysolde Marchbanks", perpetrator="Tybalt Grimshaw", risk_level="standard", yes=1,
                        circumstances="Tybalt hit Ysolde in the kitchen; Perpetua was at her grandmother's.",
                        children=[{"given_name": "Perpetua", "family_name": "Marchbanks", "date_of_birth": "2016-02-29",
                                   "present": False}])
    body["victim"]["date_of_birth"], body["perpetrator"]["date_of_birth"] = "1991-04-03", "1985-09-09"
    body["incident"].update(location="99 Wisteria Crescent", officer_name="PC Ottoline Vance",
                            officer_number="collar 8812")
    case_id = api("police").post("/api/v1/contacts", json=body).get_json()["case_id"]
    done = web("mash-manager").post_form("/triage/domestic-abuse", {
        f"decision-{case_id}": "no-further-action", f"reason-{case_id}": "Known to the family support worker already"})
    assert done.status_code == 302
    return case_id


@BOTH
def test_a_triaged_notification_is_exported_then_anonymised_with_nothing_personal_left(api, web, database_url,
                                                                                     tmp_path):
    clock.freeze(T0)
    case_id = closed_notification(api, web)
    case = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()
    assert (case["status"], case["outcome"]) == ("closed", "nfa")  # the meeting's decision, recorded as theirs
    assert survivors(PERSONAL, database_text()), "the scan must see the notification before anonymisation"

    clock.freeze(T0 + timedelta(days=365 * 3 + 30))
    result = mash(database_url, tmp_path, "retention")
    assert result.exit_code == 0, result.output
    assert "Anonymised 1 contact(s)" in result.output
    assert survivors(PERSONAL, database_text(skip=("audit_event",))) == []
    assert survivors(PERSONAL, {"audit_event": database_text()["audit_event"]}) == []
    with get_db().unit_of_work(write=False) as session:
        kept = session.scalar(select(DomesticAbuseNotification).where(DomesticAbuseNotification.case_id == case_id))
        # A child in the household: the table said tell the school; the meeting, with its reason, decided otherwise.
        assert (kept.risk_level, kept.dash_ticks, kept.triage_decision, kept.table_decision) == (
            "standard", 1, "no-further-action", "encompass-only")
        assert session.scalar(select(DomesticAbuseChild.present).where(DomesticAbuseChild.case_id == case_id)) is False


def test_the_subject_access_export_holds_the_notification(api, web, database_url, tmp_path):
    closed_notification(api, web)
    result = mash(database_url, tmp_path, "subject-access", "--given-name", "Perpetua", "--family-name", "Marchbanks",
                  "--date-of-birth", "2016-02-29")
    assert result.exit_code == 0, result.output
    export = json.loads(result.output)
    [case] = export["cases"]
    [held] = case["domestic_abuse_notifications"]
    assert (held["risk_level"], held["incident_location"], held["triage_decision"]) == (
        "standard", "99 Wisteria Crescent", "no-further-action")
    assert [child["given_name"] for child in case["domestic_abuse_children"]] == ["Perpetua"]
