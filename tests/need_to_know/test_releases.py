"""The owner of agency information releases it inside the hub: police release their return to health, health
then reads it; a release can be withdrawn until it is read, never after; only the owning agency releases."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from tests.need_to_know.walks import HEALTH_FINDING, POLICE_FINDING, walked_case

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


def releases_url(case_id: int, agency: str = "police") -> str:
    return f"/api/v1/cases/{case_id}/agency-returns/{agency}/releases"


@BOTH
def test_police_release_their_return_to_health_who_then_read_it_on_the_page_and_in_the_api(api, web, db):
    case = walked_case(api)
    assert POLICE_FINDING not in api("health").get(f"/api/v1/cases/{case.case_id}").get_data(as_text=True)

    response = api("police").post(releases_url(case.case_id), json={"to": ["health"]})
    assert response.status_code == 201, response.get_json()
    [release] = response.get_json()["releases"]
    assert (release["agency"], release["to"], release["released_by"], release["read_at"]) == \
        ("police", "health", "police", None)

    answer = api("health").get(f"/api/v1/cases/{case.case_id}").get_json()
    assert {r["agency"]: r["findings"] for r in answer["agency_returns"]} == \
        {"police": POLICE_FINDING, "health": HEALTH_FINDING}
    assert POLICE_FINDING in web("health").get(f"/cases/{case.case_id}").get_data(as_text=True)
    # Education attended the strategy discussion but nothing was released to it.
    assert POLICE_FINDING not in web("education").get(f"/cases/{case.case_id}").get_data(as_text=True)

    police_page = web("police").get(f"/cases/{case.case_id}").get_data(as_text=True)
    assert "Released to Health by Police (demo)" in police_page and "· read " in police_page
    with db.unit_of_work(write=False) as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "agency-return.released"))
        assert (event.case_id, event.username, event.details["to"]) == (case.case_id, "police", ["health"])


def test_a_release_can_be_withdrawn_until_it_is_read_and_not_after(api):
    case = walked_case(api)
    assert api("police").post(releases_url(case.case_id), json={"to": ["education"]}).status_code == 201
    withdrawn = api("police").client.delete(f"{releases_url(case.case_id)}/education",
                                            headers=api("police")._headers())
    assert withdrawn.status_code == 200, withdrawn.get_json()
    assert withdrawn.get_json()["releases"][0]["withdrawn_at"] is not None
    assert POLICE_FINDING not in api("education").get(f"/api/v1/cases/{case.case_id}").get_data(as_text=True)

    assert api("police").post(releases_url(case.case_id), json={"to": ["education"]}).status_code == 201
    assert POLICE_FINDING in api("education").get(f"/api/v1/cases/{case.case_id}").get_data(as_text=True)
    refused = api("police").client.delete(f"{releases_url(case.case_id)}/education", headers=api("police")._headers())
    assert refused.status_code == 409
    assert "already read" in refused.get_json()["errors"][0]["message"]
    assert POLICE_FINDING in api("education").get(f"/api/v1/cases/{case.case_id}").get_data(as_text=True)


def test_only_the_owning_agency_releases_and_only_to_agencies_involved_in_the_case(api):
    case = walked_case(api)
    assert api("health").post(releases_url(case.case_id), json={"to": ["education"]}).status_code == 403
    assert api("mash-manager").post(releases_url(case.case_id), json={"to": ["health"]}).status_code == 403
    assert api("housing").post(releases_url(case.case_id), json={"to": ["health"]}).status_code == 404
    not_involved = api("police").post(releases_url(case.case_id), json={"to": ["housing"]})
    assert not_involved.status_code == 422
    assert not_involved.get_json()["errors"][0]["message"] == "Housing is not involved in this case"
    assert api("police").post(releases_url(case.case_id), json={"to": []}).status_code == 422
    assert api("police").post(releases_url(case.case_id), json={"to": "health"}).status_code == 422
    assert POLICE_FINDING not in api("housing").get(f"/api/v1/cases/{case.case_id}").get_data(as_text=True)


def test_police_release_from_the_case_page_and_withdraw_before_health_has_looked(api, web):
    case = walked_case(api)
    police = web("police")
    page = police.get(f"/cases/{case.case_id}").get_data(as_text=True)
    assert 'id="release-police"' in page and 'value="health"' in page and 'value="housing"' not in page
    done = police.post_form(f"/cases/{case.case_id}/agency-returns/police/releases", {"to": ["health"]},
                            csrf_from=f"/cases/{case.case_id}")
    assert done.status_code == 302
    page = police.get(f"/cases/{case.case_id}").get_data(as_text=True)
    assert "Your return is now released to Health" in page and "not read yet" in page
    withdrawn = police.post_form(f"/cases/{case.case_id}/agency-returns/police/releases/health/withdraw", {},
                                 csrf_from=f"/cases/{case.case_id}")
    assert withdrawn.status_code == 302
    assert POLICE_FINDING not in web("health").get(f"/cases/{case.case_id}").get_data(as_text=True)
    nothing = police.post_form(f"/cases/{case.case_id}/agency-returns/police/releases", {},
                               csrf_from=f"/cases/{case.case_id}")
    assert nothing.status_code == 302
    assert "Select the agencies to release this return to." in police.get(f"/cases/{case.case_id}").get_data(
        as_text=True)
