"""The managers' SLA wall: who may see it, what it says about each open case, its filters, its refresh
fragment, its audit trail and the Retry button for deadline timers that failed to fire."""
from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.casework.scheduler import fire_due
from app.core.clock import clock
from app.core.db import get_db
from app.dashboard.views import countdown, refresh_seconds, wall_filters
from app.incidents.models import Incident
from tests import factories as f
from tests.api.test_referral_walks import complete, report
from tests.conftest import WebClient

#: A Wednesday in January (London is on UTC), inside working hours.
WEDNESDAY_10AM = datetime(2026, 1, 14, 10, 0, tzinfo=UTC)
CSRF = WebClient.CSRF


# ----------------------------------------------------------------------------- helpers
def signed_in(app, username: str):
    """A test client signed in through the sign-in page, as a person would."""
    return WebClient(app, username).client


def text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def wall_rows(page: str) -> list[tuple[int, str]]:
    """(case id, the row's words) for each row of the wall, top to bottom."""
    return [(int(case_id), text(row)) for case_id, row in
            re.findall(r'<tr class="[^"]*mash-wall__row[^"]*" data-case-id="(\d+)">(.*?)</tr>', page, re.S)]


def count(page: str, state: str) -> int:
    match = re.search(rf'id="count-{state}">\s*<span class="mash-wall__number">(\d+)</span>', page)
    assert match, f"no {state} count on the wall"
    return int(match.group(1))


def wall_page(client, query: str = "") -> str:
    response = client.get(f"/dashboard{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def hub(api):
    """Three contacts screened on Wednesday 10:00, seen on Thursday 14:00: red (police late, health
    returned) is breached, amber is at risk, green is on track."""
    clock.freeze(WEDNESDAY_10AM)
    red = report(api, given="Rosa", family="Reed")
    complete(api, red, "screening", "mash-manager", f.screening("red", ["police", "health"]))
    complete(api, red, "health_check", "health", f.agency_return())
    amber = report(api, given="Amir", family="Ambrose")
    complete(api, amber, "screening", "mash-manager", f.screening("amber", ["housing"]))
    green = report(api, given="Gus", family="Green")
    complete(api, green, "screening", "mash-manager", f.screening("green", ["education"]))
    clock.advance(timedelta(days=1, hours=4))
    assert fire_due() == 2  # the red police check (14:00) and the red decision (15:00) ran out on Wednesday
    return {"red": red, "amber": amber, "green": green}


# ----------------------------------------------------------------------------- who may see it
@pytest.mark.parametrize("username", ["mash-manager", "ops-manager"])
def test_managers_see_the_wall_and_find_it_in_the_menu(app, username):
    page = wall_page(signed_in(app, username))
    assert page.count("<h1") == 1 and "SLA wall</h1>" in page
    cases = signed_in(app, username).get("/cases").get_data(as_text=True)
    link = re.search(r'<a class="govuk-service-navigation__link" href="/dashboard"[^>]*>(.*?)</a>', cases, re.S)
    assert link and text(link.group(1)) == "SLA wall"


def test_other_roles_are_refused_and_not_shown_the_link(app):
    police = signed_in(app, "police")
    assert police.get("/dashboard").status_code == 403
    assert police.get("/dashboard?fragment=1").status_code == 403
    assert 'href="/dashboard"' not in police.get("/inbox").get_data(as_text=True)


def test_without_signing_in_the_wall_sends_you_to_sign_in(app):
    response = app.test_client().get("/dashboard?rag=red")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# ----------------------------------------------------------------------------- what it shows
@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_the_wall_puts_the_breached_case_first_and_counts_each_state(app, hub):
    page = wall_page(signed_in(app, "mash-manager"))
    rows = wall_rows(page)
    assert [case_id for case_id, _ in rows] == [hub["red"], hub["amber"], hub["green"]]
    red, amber, green = (words for _, words in rows)

    assert "Rosa Reed" in red and "Red" in red and "Breached" in red and "Police check due" in red
    assert "Overdue by 24 h 00 min 00 s" in red and "due 14 Jan 2026 14:00" in red
    assert "Police: late" in red and "Health: returned" in red
    assert "MASH manager, Police" in red  # the chase task and the police check itself

    assert "At risk" in amber and "3 h 30 min 00 s left" in amber and "Housing: waiting" in amber
    assert "On track" in green and "4 d 3 h left" in green and "due 19 Jan 2026 17:30" in green

    assert (count(page, "breached"), count(page, "at-risk"), count(page, "on-track")) == (1, 1, 1)
    assert f'href="/cases/{hub["red"]}"' in page
    assert 'data-due="2026-01-14T14:00:00.000+00:00"' in page
    assert 'data-server-now="2026-01-15T14:00:00.000+00:00"' in page
    assert "Updated at <time" in page and ">14:00:00</time>" in page


def test_a_returned_late_agency_says_so(app, api, hub):
    complete(api, hub["red"], "police_check", "police", f.agency_return())
    red = dict(wall_rows(wall_page(signed_in(app, "mash-manager"))))[hub["red"]]
    assert "Police: returned late" in red


@pytest.mark.parametrize(("query", "shown"), [
    ("?rag=green", ["green"]),
    ("?role=police", ["red"]),
    ("?role=housing&rag=amber", ["amber"]),
    ("?rag=amber&role=police", []),
    ("?rag=purple&role=admin", ["red", "amber", "green"]),  # unknown filters are ignored, not errors
])
def test_the_wall_filters_by_rag_and_by_role(app, hub, query, shown):
    page = wall_page(signed_in(app, "mash-manager"), query)
    assert [case_id for case_id, _ in wall_rows(page)] == [hub[name] for name in shown]
    if not shown:
        assert "No open cases match these filters." in page


def test_the_filter_form_keeps_what_was_chosen(app, hub):
    page = wall_page(signed_in(app, "mash-manager"), "?rag=green&role=education")
    assert '<option value="green" selected>' in page and '<option value="education" selected>' in page
    assert "Apply filters" in page and re.search(r'<a [^>]*href="/dashboard">Clear filters</a>', page)
    fast = wall_page(signed_in(app, "mash-manager"), "?rag=green&refresh=5")
    assert '<input type="hidden" name="refresh" value="5">' in fast
    assert re.search(r'<a [^>]*href="/dashboard\?refresh=5">Clear filters</a>', fast)
    assert "Clear filters" not in wall_page(signed_in(app, "mash-manager"), "?rag=nonsense")


def test_the_fragment_is_only_the_wall_for_the_refresher(app, hub):
    client = signed_in(app, "ops-manager")
    fragment = client.get("/dashboard?fragment=1&rag=red").get_data(as_text=True)
    assert "<html" not in fragment and "<h1" not in fragment and "Apply filters" not in fragment
    assert fragment.lstrip().startswith('<div class="mash-wall__snapshot" data-server-now=')
    assert [case_id for case_id, _ in wall_rows(fragment)] == [hub["red"]]
    page = wall_page(client, "?refresh=2")
    assert 'id="sla-wall" data-refresh="2"' in page
    assert re.search(r'<script type="module" nonce="[^"]+" src="/static/dashboard.js">', page)


def test_each_view_of_the_wall_is_audited_once(app, hub):
    client = signed_in(app, "mash-manager")
    wall_page(client, "?rag=green")
    wall_page(client, "?fragment=1&role=police")
    with get_db().unit_of_work(write=False) as session:
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "dashboard.viewed")
                                      .order_by(AuditEvent.id)))
    assert [(e.username, e.details["rag"], e.details["role"], e.details["fragment"]) for e in events] == [
        ("mash-manager", "green", None, False), ("mash-manager", None, "police", True)]
    assert events[0].details["cases"] == 1


# ----------------------------------------------------------------------------- failed timers
def raise_incident(case_id: int, *, resolved: bool = False) -> int:
    at = clock.now()
    with get_db().unit_of_work() as session:
        incident = Incident(case_id=case_id, kind="timer", attempts=3,
                            error="Timer expression failed: rag is not defined",
                            element_id="police_check_deadline", first_failed_at=at, last_failed_at=at,
                            raised_at=at, resolved_at=at if resolved else None)
        session.add(incident)
        session.flush()
        return incident.id


def test_a_raised_incident_shows_on_the_wall_and_retry_clears_it(app, hub):
    incident_id = raise_incident(hub["amber"])
    client = signed_in(app, "mash-manager")
    page = wall_page(client, "?rag=amber&refresh=5")
    panel = text(re.search(r'<section class="mash-wall__incidents".*?</section>', page, re.S).group(0))
    assert "Cases stopped by a fault in the process" in panel
    assert "Timer expression failed: rag is not defined" in panel and "police_check_deadline" in panel
    # the version the case runs, attempts, then when it was raised
    assert "(at police_check_deadline) referral version 1 3 15 Jan 2026 14:00" in panel
    assert "Retry Deadline timers for MASH-2026-000002" in panel
    assert "Give the task back" not in panel  # only a task's held answers can be set aside

    form = re.search(rf'<form method="post" action="/dashboard/incidents/{incident_id}/retry">(.*?)</form>',
                     page, re.S).group(1)
    data = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form))
    assert data.keys() == {"csrf_token", "rag", "refresh"}
    response = client.post(f"/dashboard/incidents/{incident_id}/retry", data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard?rag=amber&refresh=5"
    after = wall_page(client, "?rag=amber")
    assert "tried again now" in after and "mash-wall__incidents" not in after

    with get_db().unit_of_work(write=False) as session:
        incident = session.get(Incident, incident_id)
        assert (incident.raised_at, incident.attempts, incident.resolved_at) == (None, 0, None)
        retried = session.scalars(select(AuditEvent).where(AuditEvent.action == "timer.incident-retried")).all()
    assert [(e.username, e.case_id) for e in retried] == [("mash-manager", hub["amber"])]


def test_retry_refuses_unknown_and_resolved_incidents_and_other_roles(app, hub):
    resolved = raise_incident(hub["green"], resolved=True)
    client = signed_in(app, "ops-manager")
    token = CSRF.search(wall_page(client)).group(1)
    assert client.post("/dashboard/incidents/999/retry", data={"csrf_token": token}).status_code == 404
    response = client.post(f"/dashboard/incidents/{resolved}/retry", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert "This incident is already resolved." in wall_page(client)
    assert client.post(f"/dashboard/incidents/{resolved}/retry").status_code == 400  # no CSRF token

    police = signed_in(app, "police")
    police_token = CSRF.search(police.get("/inbox").get_data(as_text=True)).group(1)
    assert police.post(f"/dashboard/incidents/{resolved}/retry", data={"csrf_token": police_token}).status_code == 403


# ----------------------------------------------------------------------------- wording and query arguments
@pytest.mark.parametrize(("seconds", "words"), [
    (0, "0 s left"), (59, "59 s left"), (60, "1 min 00 s left"), (3599, "59 min 59 s left"),
    (2 * 3600 + 13 * 60 + 5, "2 h 13 min 05 s left"), (47 * 3600, "47 h 00 min 00 s left"),
    (2 * 86400 + 3 * 3600 + 59, "2 d 3 h left"), (-35 * 60, "Overdue by 35 min 00 s"),
    (-1, "Overdue by 1 s"), (-(3 * 86400), "Overdue by 3 d 0 h"),
])
def test_countdowns_are_worded_for_the_wall(seconds, words):
    assert countdown(WEDNESDAY_10AM + timedelta(seconds=seconds), WEDNESDAY_10AM) == words


def test_query_arguments_are_read_safely():
    assert wall_filters({"rag": "red", "role": "youth-justice"}) == {"rag": "red", "role": "youth-justice"}
    assert wall_filters({"rag": "RED", "role": "auditor"}) == {"rag": None, "role": None}
    # The operations manager works a lane now (Resolve professional disagreement): the wall filters by it.
    assert wall_filters({"rag": "amber", "role": "ops-manager"}) == {"rag": "amber", "role": "ops-manager"}
    assert [refresh_seconds(v) for v in (None, "", "2", "1", "-5", "abc", "30", "99999")] == [
        15, 15, 2, 2, 2, 15, 30, 3600]
