"""An Idempotency-Key makes a retried contact safe, never a way to lose one: the same key with the same
contact answers with the first case; the same key with a different contact is refused (422) and nothing is
stored, so a second safeguarding concern is never silently dropped. The web form's own key behaves the
same way: a double-clicked Send reports once, an edited form sent again is stopped and explained."""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.auth.operations import user_by_username
from app.cases.models import Case
from app.core.clock import now
from app.intake.models import Contact
from app.retention.anonymise import anonymise_case
from tests import factories as f

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
KEY = {"Idempotency-Key": "partner-system-4711"}


def cases(db) -> int:
    with db.unit_of_work(write=False) as session:
        return session.scalar(select(func.count()).select_from(Case))


@BOTH
def test_the_same_key_with_a_different_contact_is_refused_and_nothing_is_stored(api, db):
    client = api("referrer")
    first = client.post("/api/v1/contacts", json=f.contact(given="Ava"), headers=KEY)
    assert first.status_code == 201
    other = client.post("/api/v1/contacts", json=f.contact(given="Noah", family="Brown"), headers=KEY)
    assert other.status_code == 422, other.get_json()
    [error] = other.get_json()["errors"]
    assert error["field"] == "Idempotency-Key"
    assert "already used for a different contact" in error["message"]
    assert cases(db) == 1


def test_the_same_key_with_the_same_contact_answers_with_the_first_case(api, db):
    client = api("referrer")
    body = f.contact()
    first = client.post("/api/v1/contacts", json=body, headers=KEY)
    # The same contact with its fields in another order is the same contact.
    again = client.post("/api/v1/contacts", json=dict(reversed(list(body.items()))), headers=KEY)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert cases(db) == 1


def test_two_contacts_racing_on_one_key_leave_one_case_and_refuse_the_other(api, app, db):
    headers = {**api("referrer")._headers(), **KEY}
    bodies = [f.contact(given=f"Child{n}") for n in range(6)]

    def send(body):
        return app.test_client().post("/api/v1/contacts", json=body, headers=headers)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        statuses = sorted(r.status_code for r in pool.map(send, bodies))
    assert statuses == [201] + [422] * (len(bodies) - 1)
    assert cases(db) == 1


def test_anonymising_a_contact_clears_its_key_and_the_digest_of_what_was_sent(api, db):
    case_id = api("referrer").post("/api/v1/contacts", json=f.contact(), headers=KEY).get_json()["case_id"]
    with db.unit_of_work() as session:
        contact = session.scalar(select(Contact).where(Contact.case_id == case_id))
        assert contact.idempotency_key and len(contact.idempotency_digest or "") == 64
        admin = user_by_username(session, "admin").as_actor()
        anonymise_case(session, session.get(Case, case_id), admin, at=now() + timedelta(days=1), policy={})
    with db.unit_of_work(write=False) as session:
        contact = session.scalar(select(Contact).where(Contact.case_id == case_id))
        assert (contact.idempotency_key, contact.idempotency_digest) == (None, None)


def contact_form(contact: dict) -> dict:
    subject = contact["subjects"][0]
    return {"source": contact["source"], "referrer-name": contact["referrer"]["name"],
            "subjects-0-role": "child", "subjects-0-given_name": subject["given_name"],
            "subjects-0-family_name": subject["family_name"], "concern": contact["concern"],
            "immediate_risk": "false", "consent-status": "given"}


def test_the_web_form_sent_twice_reports_once_and_an_edited_resend_is_explained(web, db):
    referrer = web("referrer")
    page = referrer.get("/contacts/new").get_data(as_text=True)
    key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
    sent = {**contact_form(f.contact()), "submission_key": key}
    first = referrer.post_form("/contacts/new", sent)
    again = referrer.post_form("/contacts/new", sent)
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert cases(db) == 1

    # Back, a name corrected, Send again with the same form: stopped, said why, and a fresh key offered.
    edited = referrer.post_form("/contacts/new", {**sent, "subjects-0-given_name": "Noah"})
    assert edited.status_code == 200
    body = edited.get_data(as_text=True)
    assert "already sent" in body and "Noah" in body
    fresh = re.search(r'name="submission_key" value="([^"]+)"', body).group(1)
    assert fresh != key
    assert cases(db) == 1
    resent = referrer.post_form("/contacts/new", {**sent, "subjects-0-given_name": "Noah", "submission_key": fresh})
    assert resent.status_code == 302 and resent.headers["Location"] != first.headers["Location"]
    assert cases(db) == 2
