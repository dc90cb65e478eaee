"""A contact taken by phone or e-mail and typed in later records its true receipt time (business support or the
MASH manager, with a reason, audited), and every clock runs from that: its deadlines are exactly those of a
contact reported online at the time the call came in."""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.cases.models import Case
from app.core.clock import clock
from tests import factories as f
from tests.api.test_referral_walks import complete

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

#: Monday 4 January 2027, 17:45: a health visitor rings the hub's duty line as it closes.
CALLED = datetime(2027, 1, 4, 17, 45, tzinfo=UTC)
#: Tuesday 09:30: business support types the call in.
TYPED_IN = datetime(2027, 1, 5, 9, 30, tzinfo=UTC)
REASON = "Taken by phone on the duty line at 17:45; typed in the next morning."


def case_json(api, case_id: int) -> dict:
    return api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()


def clocks(api, case_id: int) -> list[tuple[str, str]]:
    return sorted((d["name"], d["due_at"]) for d in case_json(api, case_id)["deadlines"])


def typed_in(api, as_user: str = "business-support", **receipt):
    body = f.contact(source="3B", given="Noah", family="Clarke", dob="2019-03-03", **receipt)
    return api(as_user).post("/api/v1/contacts", json=body)


def events(db, action: str) -> list[AuditEvent]:
    with db.unit_of_work() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def count_cases(db) -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count(Case.id)))


@BOTH
def test_a_contact_typed_in_the_next_morning_keeps_the_clocks_of_the_call(api, db):
    clock.freeze(CALLED)
    online = api("referrer").post("/api/v1/contacts", json=f.contact()).get_json()["case_id"]
    clock.freeze(TYPED_IN)
    response = typed_in(api, received_at=CALLED.isoformat(), received_at_reason=REASON)
    assert response.status_code == 201, response.get_json()
    phoned = response.get_json()["case_id"]
    today = api("referrer").post("/api/v1/contacts", json=f.contact(given="Isla", family="Reid")).get_json()["case_id"]

    case = case_json(api, phoned)
    assert datetime.fromisoformat(case["received_at"]) == CALLED
    assert datetime.fromisoformat(case["typed_in_at"]) == TYPED_IN
    assert case["received_at_reason"] == REASON
    # The screening and decision deadlines run from the call, as if it had been reported online then.
    assert clocks(api, phoned) == clocks(api, online) != clocks(api, today)
    assert min(due for _name, due in clocks(api, phoned)) < min(due for _name, due in clocks(api, today))
    # And so does the RAG timescale armed at screening.
    for case_id in (phoned, online, today):
        complete(api, case_id, "screening", "mash-manager", f.screening("amber", ["police"]))
    assert clocks(api, phoned) == clocks(api, online) != clocks(api, today)

    [stated] = events(db, "contact.received-at-stated")
    assert (stated.username, stated.case_id) == ("business-support", phoned)
    assert stated.details == {"received_at": CALLED.isoformat(), "typed_in_at": TYPED_IN.isoformat()}
    assert REASON not in str(stated.details) + stated.summary  # free text stays on the contact, which is anonymised


@BOTH
@pytest.mark.parametrize(("as_user", "receipt", "field", "words"), [
    ("police", {"received_at": CALLED.isoformat(), "received_at_reason": REASON}, "received_at",
     "Only business support or the MASH manager"),
    ("referrer", {"received_at": CALLED.isoformat(), "received_at_reason": REASON}, "received_at",
     "Only business support or the MASH manager"),
    ("business-support", {"received_at": CALLED.isoformat()}, "received_at_reason", "Say why"),
    ("mash-manager", {"received_at": CALLED.isoformat(), "received_at_reason": "  "}, "received_at_reason",
     "Say why"),
    ("business-support", {"received_at": "2027-01-05T11:00:00+00:00", "received_at_reason": REASON}, "received_at",
     "now or in the past"),
    ("business-support", {"received_at": "2026-12-28T09:29:00+00:00", "received_at_reason": REASON},
     "received_at", "within the last 7 days"),
    ("business-support", {"received_at": "2027-01-04T17:45:00", "received_at_reason": REASON}, "received_at",
     "offset from UTC"),
    ("business-support", {"received_at_reason": REASON}, "received_at", "or leave the reason empty"),
])
def test_a_stated_receipt_time_is_refused_and_nothing_is_stored(api, db, as_user, receipt, field, words):
    clock.freeze(TYPED_IN)
    response = typed_in(api, as_user, **receipt)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert [e["field"] for e in errors] == [field]
    assert words in errors[0]["message"]
    assert count_cases(db) == 0
    assert events(db, "contact.received-at-stated") == []
    tried = events(db, "contact.received-at-refused")
    assert [e.username for e in tried] == ([as_user] if words.startswith("Only") else [])


def test_a_stated_time_a_week_back_is_accepted_and_the_missed_deadlines_show_at_once(api):
    clock.freeze(TYPED_IN)
    response = typed_in(api, "mash-manager", received_at="2026-12-29T09:31:00+00:00", received_at_reason=REASON)
    assert response.status_code == 201, response.get_json()
    case = case_json(api, response.get_json()["case_id"])
    assert case["received_at"].startswith("2026-12-29T09:31")
    assert case["open_tasks"][0]["due_at"] < TYPED_IN.isoformat()


def test_business_support_types_in_a_call_on_the_page_in_uk_time(web, api, db):
    clock.freeze(datetime(2027, 6, 8, 8, 30, tzinfo=UTC))  # 09:30 British Summer Time
    referrer_page = web("referrer").get("/contacts/new").get_data(as_text=True)
    assert "received_at_reason" not in referrer_page
    support = web("business-support")
    page = support.get("/contacts/new").get_data(as_text=True)
    assert 'name="received_on-day"' in page and 'name="received_time"' in page

    form = {"source": "3B", "referrer-name": "Pat Visitor", "subjects-0-role": "child",
            "subjects-0-given_name": "Ava", "subjects-0-family_name": "Smith", "concern": "Bruising seen on a visit.",
            "immediate_risk": "false", "consent-status": "given",
            "received_on-day": "7", "received_on-month": "6", "received_on-year": "2027", "received_time": "17:45"}
    refused = support.post_form("/contacts/new", form)
    assert refused.status_code == 200
    body = refused.get_data(as_text=True)
    assert 'href="#received_at_reason"' in body and "Say why" in body
    assert re.search(r'name="received_time"[^>]*value="17:45"', body)
    assert count_cases(db) == 0

    sent = support.post_form("/contacts/new", {**form, "received_at_reason": REASON})
    assert sent.status_code == 302
    with db.unit_of_work() as session:
        case = session.scalars(select(Case)).one()
        assert case.received_at == datetime(2027, 6, 7, 16, 45, tzinfo=UTC)  # 17:45 in London, summer time
    shown = web("mash-manager").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Typed in" in shown and REASON in shown

    wrong = support.post_form("/contacts/new", {**form, "received_on-day": "31", "received_on-month": "2",
                                                "received_time": "25:00", "received_at_reason": REASON})
    body = wrong.get_data(as_text=True)
    assert 'href="#received_on-day"' in body and 'href="#received_time"' in body
