"""The case list's filters and pages, as a MASH manager narrows the hub's cases: by rating, status, step, an
agency still to return, the days received; 50 to a page with GOV.UK pagination; ``?q=`` goes to the search."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from app.cases import views
from app.cases.queries import CASES_PER_PAGE
from app.core.clock import clock
from tests import factories as f
from tests.api.test_referral_walks import complete, report

MONDAY_10 = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)


def listed(page: str) -> list[str]:
    return re.findall(r'href="/cases/\d+">(MASH-\d{4}-\d{6})</a>', page)


def hub_week(api) -> dict[str, str]:
    """Monday an Amber contact with a police check; Tuesday a Red one with health; Wednesday one unscreened."""
    clock.freeze(MONDAY_10)
    refs = {}
    for name, rag, agencies in (("monday", "amber", ["police"]), ("tuesday", "red", ["health"]),
                                ("wednesday", None, None)):
        case_id = report(api, given=name.title(), dob=None)
        if rag:
            complete(api, case_id, "screening", "mash-manager", f.screening(rag, agencies))
        refs[name] = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()["reference"]
        clock.advance(timedelta(days=1))
    return refs


def test_the_manager_filters_the_cases(api, web):
    refs = hub_week(api)
    manager = web("mash-manager")

    def cases(query: str) -> list[str]:
        return listed(manager.get(f"/cases?{query}").get_data(as_text=True))

    assert cases("") == [refs["wednesday"], refs["tuesday"], refs["monday"]]  # newest first
    assert cases("rag=red") == [refs["tuesday"]]
    assert cases("waiting=police") == [refs["monday"]]
    assert cases("step=Screen+the+contact") == [refs["wednesday"]]
    assert cases("from=2027-01-05&to=2027-01-05") == [refs["tuesday"]]
    assert cases("from=2027-01-05") == [refs["wednesday"], refs["tuesday"]]
    assert cases("status=closed") == [] and cases("status=all&rag=amber") == [refs["monday"]]
    assert cases("status=sideways") == cases("status=open")  # an unknown status is still the open cases
    bad = manager.get("/cases?from=05/01/2027&waiting=nobody").get_data(as_text=True)
    assert "There is a problem" in bad and "The start date must be a real date" in bad
    assert "Choose an agency from the list" in bad


def test_an_agency_filters_only_among_the_cases_it_is_involved_in(api, web):
    refs = hub_week(api)
    assert listed(web("police").get("/cases").get_data(as_text=True)) == [refs["monday"]]
    assert listed(web("police").get("/cases?waiting=health").get_data(as_text=True)) == []
    assert listed(web("health").get("/cases?rag=red").get_data(as_text=True)) == [refs["tuesday"]]


def test_the_list_pages_with_the_govuk_pagination(api, web, monkeypatch):
    assert CASES_PER_PAGE == 50
    refs = hub_week(api)
    monkeypatch.setattr(views, "CASES_PER_PAGE", 2)
    manager = web("mash-manager")
    first = manager.get("/cases?rag=&status=open").get_data(as_text=True)
    assert listed(first) == [refs["wednesday"], refs["tuesday"]]
    assert 'class="govuk-pagination"' in first and "3 cases, page 1 of 2" in first
    assert 'href="/cases?status=open&amp;page=2"' in first
    second = manager.get("/cases?status=open&page=2").get_data(as_text=True)
    assert listed(second) == [refs["monday"]] and "page 2 of 2" in second
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_a_search_on_the_case_list_goes_to_the_search(web):
    response = web("mash-manager").get("/cases?q=MASH-2027-000001")
    assert response.status_code == 302 and response.headers["Location"] == "/search?q=MASH-2027-000001"
