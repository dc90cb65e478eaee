"""The referrer's own list: each contact with the child they named and where it is, in plain words, newest
first; another referrer's contacts are not there."""
from __future__ import annotations

from app.auth.operations import create_user
from tests import factories as f
from tests.api.test_referral_walks import complete
from tests.conftest import PASSWORD
from tests.pages.helpers import open_task


def report(api, who: str, given: str, family: str) -> int:
    response = api(who).post("/api/v1/contacts", json=f.contact(given=given, family=family))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["case_id"]


def row_of(page: str, reference: str) -> str:
    start = page.index(f'id="contact-{reference}"')
    return page[start:page.index("</tr>", start)]


def reference_of(api, case_id: int) -> str:
    return api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()["reference"]


def decide(api, case_id: int, outcome: str) -> None:
    complete(api, case_id, "screening", "mash-manager", f.screening("amber", ["police"]))
    complete(api, case_id, "police_check", "police", f.agency_return(nothing_known=True))
    complete(api, case_id, "mash_review", "mash-manager", f.review())
    complete(api, case_id, "decision", "mash-manager", f.decision(outcome))


def test_the_referrer_sees_each_child_and_where_the_contact_is_newest_first(db, web, api):
    received = report(api, "referrer", "Rosa", "Received")
    screening = report(api, "referrer", "Sami", "Screening")
    web("mash-manager").post_form(f"/tasks/{open_task(db, screening, 'screening')}/claim", {}, csrf_from="/inbox")
    checks = report(api, "referrer", "Cara", "Checks")
    complete(api, checks, "screening", "mash-manager", f.screening("amber", ["police"]))
    decided = report(api, "referrer", "Dan", "Decided")
    decide(api, decided, "early-help")
    closed = report(api, "referrer", "Cleo", "Closed")
    decide(api, closed, "nfa")
    complete(api, closed, "feedback_to_referrer", "business-support", f.feedback())

    page = web("referrer").get("/contacts").get_data(as_text=True)
    expected = {received: ("Rosa Received", "Received"), screening: ("Sami Screening", "Being screened"),
                checks: ("Cara Checks", "Checks with agencies"),
                decided: ("Dan Decided", "Decided: Step down to early help"),
                closed: ("Cleo Closed", "Closed – decided: No further action")}
    for case_id, (child, status) in expected.items():
        row = row_of(page, reference_of(api, case_id))
        assert child in row and status in row, (row, child, status)
    order = [page.index(f'id="contact-{reference_of(api, c)}"') for c in (closed, decided, checks, screening, received)]
    assert order == sorted(order)  # newest first (received in this order, within the same second)


def test_another_referrers_contacts_are_not_in_my_list(db, web, api):
    with db.unit_of_work() as session:
        create_user(session, "referrer-two", display_name="Second referrer", agency="school", roles=["referrer"],
                    password=PASSWORD)
    mine = report(api, "referrer", "Mina", "Mine")
    theirs = report(api, "referrer-two", "Theo", "Theirs")

    page = web("referrer").get("/contacts").get_data(as_text=True)
    assert "Mina Mine" in page and reference_of(api, mine) in page
    assert "Theo Theirs" not in page and reference_of(api, theirs) not in page
    other = web("referrer-two").get("/contacts").get_data(as_text=True)
    assert "Theo Theirs" in other and "Mina Mine" not in other
