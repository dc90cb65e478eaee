"""Every look and every refusal is on the record, and a hub member not involved can still open a case in an
emergency by breaking glass: exceptional, audited, reviewed the next day."""
from __future__ import annotations

import json

from sqlalchemy import select

from app.audit.models import AuditEvent
from tests.need_to_know.walks import CONCERN, POLICE_FINDING, walked_case


def events(db, action: str) -> list[AuditEvent]:
    with db.unit_of_work(write=False) as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_a_refused_look_is_recorded_with_the_route_the_user_and_the_case(api, web, db):
    case = walked_case(api)
    assert web("housing").get(f"/cases/{case.case_id}").status_code == 404
    assert api("housing").get(f"/api/v1/cases/{case.case_id}").status_code == 404
    assert web("referrer").get(f"/cases/{case.case_id}").status_code == 403
    assert web("housing").get("/cases/999999").status_code == 404  # no such case: not a refused look
    refused = [(e.username, e.case_id, e.details["route"], e.details["status"]) for e in events(db, "access.refused")]
    assert refused == [("housing", case.case_id, "cases.show", 404), ("housing", case.case_id, "api.get_case", 404),
                       ("referrer", case.case_id, "cases.show", 403)]

    oversight = web("ops-manager").get("/oversight").get_data(as_text=True)
    assert "Refused looks in the last 7 days" in oversight
    row = oversight.split('id="refusals"')[1]
    assert row.index("housing") < row.index("referrer")  # most refusals first
    assert web("auditor").get("/oversight").status_code == 200
    assert web("mash-manager").get("/oversight").status_code == 403


def test_listing_cases_and_searching_people_are_recorded_without_names(api, web, db):
    walked_case(api)
    web("mash-manager").get("/cases?status=closed")
    [listed] = events(db, "case.listed")
    assert (listed.username, listed.details["status"]) == ("mash-manager", "closed")
    web("mash-manager").get("/people?given_name=Ava&family_name=Smith")
    [searched] = events(db, "people.searched")
    assert searched.details["by_name"] is True and searched.details["results"] >= 1
    assert "Ava" not in json.dumps(searched.details) + searched.summary
    assert "Smith" not in json.dumps(searched.details) + searched.summary


def test_housing_breaks_glass_to_open_a_case_and_the_operations_manager_reviews_it(api, web, db):
    case = walked_case(api)
    housing = web("housing")
    assert case.reference not in housing.get("/cases?status=all").get_data(as_text=True)
    assert "open another case by giving a reason" in housing.get("/cases").get_data(as_text=True)

    missing = housing.post_form("/cases/break-glass", {"reference": case.reference, "reason": ""})
    page = missing.get_data(as_text=True)
    assert "There is a problem" in page and "Select why you need to open this case" in page
    opened = housing.post_form("/cases/break-glass", {"reference": case.reference, "reason": "out-of-hours",
                                                      "explanation": "Family presenting as homeless at 23:00"})
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/cases/{case.case_id}")
    page = housing.get(f"/cases/{case.case_id}").get_data(as_text=True)
    assert "this access is exceptional" in page and CONCERN in page
    assert POLICE_FINDING not in page  # breaking glass opens the case, not other agencies' returns
    assert case.reference in housing.get("/cases?status=all").get_data(as_text=True)
    [glass] = events(db, "access.break-glass")
    assert (glass.username, glass.case_id, glass.details["reason"]) == ("housing", case.case_id, "out-of-hours")
    assert "homeless" not in json.dumps(glass.details) + glass.summary  # the person's words stay off the trail

    ops = web("ops-manager")
    oversight = ops.get("/oversight").get_data(as_text=True)
    assert "housing opened" in oversight and "Family presenting as homeless at 23:00" in oversight
    assert "Record the review" not in web("auditor").get("/oversight").get_data(as_text=True)
    access_id = int(oversight.split("/oversight/break-glass/")[1].split("/")[0])
    reviewed = ops.post_form(f"/oversight/break-glass/{access_id}/review", {"outcome": "appropriate"},
                             csrf_from="/oversight")
    assert reviewed.status_code == 302
    assert "No exceptional access waits for review" in ops.get("/oversight").get_data(as_text=True)
    [review] = events(db, "access.break-glass-reviewed")
    assert review.details == {"break_glass": access_id, "outcome": "appropriate", "user": "housing"}


def test_an_involved_agency_is_not_asked_to_break_glass_and_other_roles_cannot(api, web):
    case = walked_case(api)
    police = web("police")
    opened = police.post_form("/cases/break-glass", {"reference": case.reference, "reason": "immediate-risk"})
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith(f"/cases/{case.case_id}")
    assert "so it opened without breaking glass" in police.get(f"/cases/{case.case_id}").get_data(as_text=True)
    assert web("business-support").get("/cases/break-glass").status_code == 403
    unknown = web("housing").post_form("/cases/break-glass", {"reference": "MASH-2026-999999", "reason": "other",
                                                              "explanation": "Asked by police"})
    assert "There is no case with this reference" in unknown.get_data(as_text=True)
