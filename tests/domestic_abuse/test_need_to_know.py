"""Need to know for a domestic abuse notification, role by role, in the bytes of every page and answer that can show
the case (the visibility matrix's pages): the notification's incident, DASH answers and people are shown exactly
where the contact's concern is, and nowhere else."""
from __future__ import annotations

from sqlalchemy import select

from app.auth.authorisation import may_use
from app.core.roles import ALL_ROLES
from app.people.models import Person
from tests.domestic_abuse.notifications import notification
from tests.need_to_know.test_visibility_matrix import case_urls
from tests.need_to_know.walks import WalkedCase

LOCATION = "LocationMarker: 3 Quiet Lane"
VICTIM = "Zenobia"

#: Roles that read the notification: those that see the contact's concern on a case they may open. The police
#: made the contact, and education tells Leo's school (Operation Encompass): both agencies are involved; no other.
READS = {"mash-manager", "social-worker", "out-of-hours", "ops-manager", "police", "education"}
#: Roles that may open the case but not the concern: they see the case, not the notification.
OPENS_ONLY = {"business-support"}


def test_the_notification_is_shown_exactly_where_the_contact_is(api, web, db):
    body = notification(victim=f"{VICTIM} Quill")
    body["incident"]["location"] = LOCATION
    response = api("police").post("/api/v1/contacts", json=body)
    assert response.status_code == 201, response.get_json()
    case_id = response.get_json()["case_id"]
    with db.unit_of_work() as session:
        person_id = session.scalar(select(Person.id).where(Person.given_name == "Leo"))
    case = WalkedCase(case_id, response.get_json()["reference"], person_id)
    for role in ALL_ROLES:
        roles = frozenset({role})
        page = web(role).get(f"/cases/{case_id}") if may_use("cases.show", roles) else None
        if role in READS:
            text = page.get_data(as_text=True)
            assert page.status_code == 200 and LOCATION in text and "The DASH answers" in text, role
            assert "Is the abuse getting worse?" in text, role
        elif role in OPENS_ONLY:
            assert page.status_code == 200 and LOCATION not in page.get_data(as_text=True), role
        elif page is not None:
            assert page.status_code in (403, 404), role
        for endpoint, url in case_urls(case):
            if role in READS or not may_use(endpoint, roles):
                continue
            shown = (api(role).get(url) if url.startswith("/api/") else web(role).get(url)).get_data(as_text=True)
            assert LOCATION not in shown, f"{role} on {url} shows the incident"
