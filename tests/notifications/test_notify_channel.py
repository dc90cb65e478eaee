"""GOV.UK Notify: the official client against a local server that implements the endpoint it calls."""
from __future__ import annotations

import pytest

from app.core.config import mail_settings
from app.notifications import catalogue, notify
from app.notifications.models import QUEUED, SENT
from app.notifications.sending import drain
from tests.notifications import notify_server
from tests.notifications.conftest import audit_events, messages

CHASE_TEMPLATE = "f33517ff-2a88-4f6e-b855-c550268ce08a"
FEEDBACK_TEMPLATE = "0b1d1a5c-9c1e-4d43-8b9e-0c8a1a7e4c11"
FEEDBACK_SECURE_TEMPLATE = "8c4b6c1e-6a55-4b7e-9d9e-2f0f8f3d0d72"
SECTIONS = f'''
[kinds.chase]
channel = "notify"
template_id = "{CHASE_TEMPLATE}"
personal = []

[kinds.feedback]
channel = "notify"
template_id = "{FEEDBACK_TEMPLATE}"
secure_template_id = "{FEEDBACK_SECURE_TEMPLATE}"
personal = ["child_name", "feedback"]
'''


@pytest.fixture
def fake_notify(tmp_path, monkeypatch):
    """The hub's words with the chase and feedback sent through Notify, and Notify itself, locally."""
    words = (catalogue.PROJECT_ROOT / "processes" / "notifications.toml").read_text()
    for kind in ("chase", "feedback"):
        start = words.index(f"[kinds.{kind}]")
        words = words[:start] + words[words.index("\n[", start + 1) + 1:]
    (tmp_path / "notifications.toml").write_text(words + SECTIONS)
    catalogue.use(catalogue.parse(tmp_path / "notifications.toml"))
    fake = notify_server.FakeNotify(templates={CHASE_TEMPLATE, FEEDBACK_TEMPLATE, FEEDBACK_SECURE_TEMPLATE})
    server = notify_server.serve(fake)
    monkeypatch.setenv("MASH_NOTIFY_API_KEY", notify_server.API_KEY)
    monkeypatch.setenv("MASH_NOTIFY_BASE_URL", fake.url)
    yield fake
    server.shutdown()


def test_a_chase_goes_to_the_agency_team_through_its_notify_template(db, staff_addresses, fake_notify):
    with db.unit_of_work() as session:
        notify(session, "chase", to_agency_team="police", case_id=4,
               facts={"rag": "Red", "step": "police check", "due": "10:00"})
    assert drain("test-sender") == 1
    [sent] = fake_notify.sent
    assert sent["template_id"] == CHASE_TEMPLATE
    assert sent["email_address"] == "mash-police@police.example"
    assert sent["personalisation"] == {"rag": "Red", "step": "police check", "due": "10:00",
                                       "link": "https://mash.council.gov.uk/cases/4"}
    [message] = messages(db)
    assert sent["reference"] == f"mash-notification-{message.id}"
    assert message.status == SENT and message.provider_ref == sent["id"]


def test_feedback_carries_the_approved_text_only_to_a_secure_referrer(db, staff_addresses, fake_notify):
    approved = {"child_name": "Ava Smith", "feedback": "A social worker will visit this week."}
    with db.unit_of_work() as session:
        notify(session, "feedback", to_address="dsl@oakfield.example.org", case_id=5, personal=approved)
        notify(session, "feedback", to_address="gp.surgery@nhs.net", case_id=5, personal=approved)
    drain("test-sender")
    by_address = {sent["email_address"]: sent for sent in fake_notify.sent}
    school, surgery = by_address["dsl@oakfield.example.org"], by_address["gp.surgery@nhs.net"]
    assert school["template_id"] == FEEDBACK_TEMPLATE
    assert school["personalisation"] == {"link": "https://mash.council.gov.uk/cases/5"}
    assert surgery["template_id"] == FEEDBACK_SECURE_TEMPLATE
    assert surgery["personalisation"] == approved | {"link": "https://mash.council.gov.uk/cases/5"}


def test_a_refused_key_is_a_failure_to_retry_not_a_send(db, staff_addresses, fake_notify, monkeypatch):
    monkeypatch.setenv("MASH_NOTIFY_API_KEY", f"mash_test-{notify_server.SERVICE_ID}-{'0' * 8}-"
                                              f"{'0' * 4}-{'0' * 4}-{'0' * 4}-{'0' * 12}")
    with db.unit_of_work() as session:
        notify(session, "chase", to_agency_team="health", case_id=4, facts={"rag": "Amber"})
    assert drain("test-sender") == 0
    assert fake_notify.sent == []
    [message] = messages(db)
    assert message.status == QUEUED and message.attempts == 1 and message.last_error == "HTTPError 403"
    [event] = audit_events(db)
    assert event.action == "notification.failed" and event.details["error"] == "HTTPError 403"
    assert mail_settings().notify_api_key not in str(event.details)
