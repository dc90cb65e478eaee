"""A police domestic abuse notification walks its pathway: sent through the API, decided by the domestic abuse
table, triaged at the daily meeting in one pass (each decision its own audited action), then screened, referred
to MARAC beside screening, or closed with its reason."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.domestic_abuse.models import DomesticAbuseChild, DomesticAbuseNotification
from app.intake.models import Contact
from tests import factories as f
from tests.domestic_abuse.notifications import notification

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
TRIAGE = "/triage/domestic-abuse"


def notify(api, **kwargs) -> int:
    response = api("police").post("/api/v1/contacts", json=notification(**kwargs))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["reference"].startswith("MASH-")
    return response.get_json()["case_id"]


def case_json(api, case_id: int) -> dict:
    return api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()


def step_names(api, case_id: int) -> set[str]:
    return {task["name"] for task in case_json(api, case_id)["open_tasks"]}


@BOTH
def test_notifications_are_triaged_in_one_pass_and_each_goes_its_way(api, web, db):
    high = notify(api, risk_level="high", yes=15, victim="Maria Lopez")
    medium = notify(api, risk_level="medium", yes=6, victim="Anna Berg",
                    children=[{"given_name": "Mia", "family_name": "Berg", "present": False}])
    standard = notify(api, risk_level="standard", yes=2, victim="Rose Dunn", children=[])
    # The table ran at once: Leo's school is known, so Operation Encompass tells it beside the triage.
    assert step_names(api, high) == {"Decide at the daily domestic abuse triage",
                                     "Tell the school's designated safeguarding lead"}
    for case_id in (medium, standard):
        assert step_names(api, case_id) == {"Decide at the daily domestic abuse triage"}

    with db.unit_of_work() as session:
        rows = {n.case_id: n for n in session.scalars(select(DomesticAbuseNotification))}
        contacts = {c.case_id: c.type for c in session.scalars(select(Contact))}
        children = session.scalars(select(DomesticAbuseChild).where(DomesticAbuseChild.case_id == high)).all()
    assert (rows[high].risk_level, rows[high].dash_ticks, rows[high].escalation) == ("high", 15, True)
    assert (rows[standard].dash_ticks, rows[standard].escalation, rows[standard].pregnancy) == (2, False, False)
    assert set(contacts.values()) == {"domestic-abuse-notification"}
    assert [(c.given_name, c.school, c.present) for c in children] == [("Leo", "oakfield-primary", True)]

    page = web("mash-manager").get(TRIAGE).get_data(as_text=True)
    assert page.index('id="risk-high"') < page.index('id="risk-medium"') < page.index('id="risk-standard"')
    assert "Refer to MARAC (and screen)" in page  # the table's decision for the high-risk notification

    # Differing from the table without a reason, and no further action without one, are refused: nothing recorded.
    refused = web("mash-manager").post_form(TRIAGE, {f"decision-{high}": "screen",
                                                     f"decision-{standard}": "no-further-action"})
    body = refused.get_data(as_text=True)
    assert "There is a problem" in body
    assert "enter why the meeting decided otherwise than the table" in body
    assert "enter the reason for no further action" in body
    assert "Decide at the daily domestic abuse triage" in step_names(api, high)

    done = web("mash-manager").post_form(TRIAGE, {
        f"decision-{high}": "marac", f"decision-{medium}": "screen",
        f"decision-{standard}": "no-further-action", f"reason-{standard}": "No children in the household."})
    assert done.status_code == 302
    assert "Screen the contact" in step_names(api, medium)
    # MARAC opens beside (never instead of) the children's pathway.
    assert {"Refer to MARAC", "Screen the contact"} <= step_names(api, high)
    assert case_json(api, standard)["status"] == "closed"

    with db.unit_of_work() as session:
        triaged = session.scalars(select(AuditEvent).where(AuditEvent.action == "domestic-abuse.triaged")
                                  .order_by(AuditEvent.id)).all()
        rows = {n.case_id: n for n in session.scalars(select(DomesticAbuseNotification))}
    assert [(e.case_id, e.details["decision"]) for e in triaged] == [
        (high, "marac"), (medium, "screen"), (standard, "no-further-action")]
    assert (rows[standard].triage_decision, rows[standard].triage_reason) == ("no-further-action",
                                                                              "No children in the household.")
    assert rows[high].triaged_by == "mash-manager"

    # A decision already recorded cannot be recorded again: the page lists it as decided, without radios.
    again = web("mash-manager").get(TRIAGE).get_data(as_text=True)
    assert f'name="decision-{high}"' not in again and "No children in the household." in again


def test_a_plain_contact_keeps_its_type_and_an_unknown_type_is_refused(api, db):
    plain = api("referrer").post("/api/v1/contacts", json=f.contact())
    assert plain.status_code == 201
    unknown = api("police").post("/api/v1/contacts", json=notification(type="ppn"))
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"][0]["field"] == "type"
    with db.unit_of_work() as session:
        assert session.scalars(select(Contact.type)).all() == ["contact"]


def test_a_notification_is_validated_like_any_contact(api):
    bad = notification(risk_level="severe", incident={"date": "2027-02-30", "time": "25:00", "location": "",
                                                       "officer_name": "PC Ellis", "officer_number": "4471"})
    bad["dash"].pop("q27")
    response = api("police").post("/api/v1/contacts", json=bad)
    assert response.status_code == 422
    fields = {error["field"] for error in response.get_json()["errors"]}
    assert {"incident.date", "incident.time", "incident.location", "dash.q27", "risk_level"} <= fields
    tomorrow = notification()
    tomorrow["incident"]["date"] = "2999-01-01"
    refused = api("police").post("/api/v1/contacts", json=tomorrow)
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "incident.date"


def test_a_police_officer_sends_a_notification_through_the_page(web, db):
    police = web("police")
    page = police.get("/contacts/new/domestic-abuse").get_data(as_text=True)
    assert "Notify the MASH of a domestic abuse incident" in page and 'name="dash-q27"' in page
    empty = police.post_form("/contacts/new/domestic-abuse", {"submission_key": "k1"})
    body = empty.get_data(as_text=True)
    assert "There is a problem" in body and 'href="#incident-date-day"' in body
    assert "Answer question 1 of the DASH risk assessment" in body
    form = {"submission_key": "k2", "incident-date-day": "1", "incident-date-month": "1", "incident-date-year": "2026",
            "incident-time": "22:15", "incident-location": "Flat 2, Mill Street", "incident-officer_name": "PC Jo Hart",
            "incident-officer_number": "1234", "victim-given_name": "Nia", "victim-family_name": "Vale",
            "perpetrator-given_name": "Rob", "perpetrator-family_name": "Vale",
            "children-0-given_name": "Kit", "children-0-family_name": "Vale", "children-0-present": "true",
            **{f"dash-q{n}": "no" for n in range(1, 28)}, "risk_level": "standard",
            "circumstances": "A row overheard by neighbours.", "immediate_risk": "false"}
    sent = police.post_form("/contacts/new/domestic-abuse", form)
    assert sent.status_code == 302 and "/received" in sent.headers["Location"]
    with db.unit_of_work() as session:
        assert session.scalars(select(Contact.type)).all() == ["domestic-abuse-notification"]
        assert session.scalar(select(DomesticAbuseChild.given_name)) == "Kit"


def test_only_the_daily_meetings_partners_see_the_triage_and_only_the_manager_records(api, web):
    notify(api, risk_level="high", yes=15)
    for role in ("police", "mash-manager", "social-worker", "out-of-hours", "health", "education"):
        page = web(role).get(TRIAGE)
        assert page.status_code == 200, role
        body = page.get_data(as_text=True)
        assert "Daily domestic abuse triage" in body
        assert "Maria" not in body and "Lopez" not in body  # references only: names stay behind need to know
        assert ('name="decision-' in body) == (role == "mash-manager"), role
    for role in ("referrer", "probation", "housing", "business-support", "admin"):
        assert web(role).get(TRIAGE).status_code == 403, role
    assert web("police").post_form(TRIAGE, {}, csrf_from="/contacts/new/domestic-abuse").status_code == 403


def test_a_child_in_immediate_danger_does_not_wait_for_the_daily_meeting(api, web):
    case_id = notify(api, risk_level="high", yes=16, immediate_risk=True, children=[])
    steps = step_names(api, case_id)
    assert steps & {"Confirm immediate risk", "Confirm immediate risk out of hours"}, steps
    assert "Decide at the daily domestic abuse triage" not in steps
    assert f'name="decision-{case_id}"' not in web("mash-manager").get(TRIAGE).get_data(as_text=True)
