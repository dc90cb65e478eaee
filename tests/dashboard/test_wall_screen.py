"""The SLA wall on a wall screen (?wall=1): the same wall for the same people, without the navigation and with
bigger type, refreshing itself even where the screen runs no JavaScript, and audited as every view of the wall."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.core.db import get_db
from tests.api.test_referral_walks import report
from tests.dashboard.test_sla_wall import signed_in, text, wall_page, wall_rows


def test_the_manager_finds_the_wall_screen_mode_from_the_wall(app):
    page = wall_page(signed_in(app, "mash-manager"), "?rag=red&refresh=5")
    link = re.search(r'<a class="govuk-link" id="wall-screen-link" href="([^"]+)">', page)
    assert link and link.group(1).replace("&amp;", "&") == "/dashboard?wall=1&rag=red&refresh=5"


def test_the_wall_screen_has_no_navigation_and_large_type(app, api):
    case_id = report(api, given="Wren", family="Wall")
    page = wall_page(signed_in(app, "mash-manager"), "?wall=1")
    assert 'class="govuk-template__body mash-wall mash-wall--screen"' in page
    assert "govuk-service-navigation" not in page and "govuk-footer" not in page and "mash-footer" not in page
    assert 'class="mash-wall__filters"' not in page  # nothing to operate on a screen across the room
    assert [row for row, _words in wall_rows(page)] == [case_id]
    assert "Wren Wall" in dict(wall_rows(page))[case_id]
    leave = re.search(r'<a class="govuk-link" href="([^"]+)">Leave wall screen mode</a>', page)
    assert leave and leave.group(1) == "/dashboard"


def test_the_wall_screen_refreshes_itself_without_javascript(app):
    page = wall_page(signed_in(app, "mash-manager"), "?wall=1&refresh=30")
    assert re.search(r'<noscript><meta http-equiv="refresh" content="30"></noscript>', page)
    assert 'id="sla-wall" data-refresh="30"' in page  # and dashboard.js refreshes it in place where it can
    ordinary = wall_page(signed_in(app, "mash-manager"))
    assert 'http-equiv="refresh"' not in ordinary  # a manager at a desk is not reloaded under their filters


def test_the_wall_screen_is_the_wall_for_the_same_people_and_audited(app):
    assert signed_in(app, "police").get("/dashboard?wall=1").status_code == 403
    assert app.test_client().get("/dashboard?wall=1").status_code == 302
    client = signed_in(app, "ops-manager")
    wall_page(client, "?wall=1")
    wall_page(client, "?wall=1&fragment=1")
    with get_db().unit_of_work(write=False) as session:
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "dashboard.viewed")
                                      .order_by(AuditEvent.id)))
    assert [(e.username, e.details["screen"], e.details["fragment"]) for e in events] == [
        ("ops-manager", True, False), ("ops-manager", True, True)]


def test_the_wall_table_scrolls_inside_a_labelled_region(app, api):
    report(api, given="Wren", family="Wall")
    page = wall_page(signed_in(app, "mash-manager"))
    region = re.search(r'<div class="mash-scroll-region" role="region" aria-label="([^"]+)" tabindex="0">\s*'
                       r'<table class="govuk-table mash-wall__table" id="wall">', page)
    assert region and text(region.group(1)) == "Open cases, nearest deadline first"
