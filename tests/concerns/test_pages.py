"""The screening panel through real intake, the case page, the API, and the chronology pages."""
from __future__ import annotations

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.models import Case
from app.core.clock import now
from app.inbox.models import OpenTask
from tests import factories as f
from tests.concerns.builders import agency_return, contact, days, merge, person

LABEL = "3 or more contacts from 2 or more agencies in 90 days"


def known_child(db) -> tuple[int, list[str]]:
    """A child the hub already knows: a police and a health contact in the last 90 days."""
    with db.unit_of_work() as session:
        known = person(session, "Ava", "Smith")
        first = contact(session, known, now() - days(60), "6", rag="amber", outcome="nfa")
        second = contact(session, known, now() - days(20), "3A", rag="green", outcome="advice")
        return known, [first.reference, second.reference]


def task_of(db, case_id: int, element_id: str) -> str:
    with db.unit_of_work(write=False) as session:
        return session.scalar(select(OpenTask.task_id).where(OpenTask.case_id == case_id,
                                                             OpenTask.bpmn_id == element_id))


def confirm_as(db, case_id: int, known: int) -> None:
    """What confirming the proposed match does: the new record is merged into the known person."""
    with db.unit_of_work() as session:
        merge(session, session.get(Case, case_id).subjects[0].person_id, known)


def test_the_screener_sees_the_pattern_before_choosing_a_rag(db, web, api):
    known, references = known_child(db)
    response = api("referrer").post("/api/v1/contacts", json=f.contact(source="2A"))
    case_id = response.get_json()["case_id"]
    screening = task_of(db, case_id, "screening")

    before = web("mash-manager").get(f"/tasks/{screening}").get_data(as_text=True)
    assert 'id="repeat-concerns"' in before
    assert f"Warning</span> Ava Smith: {LABEL}" not in before  # not the same person until confirmed

    confirm_as(db, case_id, known)
    page = web("mash-manager").get(f"/tasks/{screening}").get_data(as_text=True)
    assert f"Warning</span> Ava Smith: {LABEL}" in page
    assert "3 contacts in the 90 days to" in page and "from 3 agencies (police, health, education)" in page
    panel = page[page.index('id="repeat-concerns"'):page.index('id="case-summary-heading"')]
    assert panel.index(references[0]) < panel.index(references[1])  # oldest first, in the last 12 months
    assert "from police" in panel and "No further action" in panel
    assert page.index('id="repeat-concerns"') < page.index('id="case-summary-heading"')  # top of the aside

    case_page = web("mash-manager").get(f"/cases/{case_id}").get_data(as_text=True)
    assert f"Warning</span> Ava Smith: {LABEL}" in case_page
    assert 'id="repeat-concerns"' not in web("police").get(f"/cases/{case_id}").get_data(as_text=True)

    body = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()
    [flag] = body["repeat_concerns"]
    assert {k: v for k, v in flag.items() if k not in ("contacts", "explanation")} == {
        "rule": "multi-agency-90-days", "label": LABEL, "person_id": known, "subject_position": 0,
        "possible": False, "proposed_person_id": None}
    assert [(c["reference"], c["agency"]) for c in flag["contacts"]] == [
        (references[0], "police"), (references[1], "health"), (body["reference"], "education")]

    # Agencies working their checks do not see the hub's view of the child's history.
    task = api("mash-manager").post(f"/api/v1/tasks/{screening}/complete", json=f.screening("amber", ["police"]))
    assert task.status_code == 200
    police_check = task_of(db, case_id, "police_check")
    police_page = web("police").get(f"/tasks/{police_check}")
    assert police_page.status_code == 200 and 'id="repeat-concerns"' not in police_page.get_data(as_text=True)


def test_a_rules_file_with_a_mistake_is_said_on_the_panel(db, web, api, tmp_path, monkeypatch):
    (tmp_path / "repeat-concerns.toml").write_text('[[rule]]\nid = "x"\nkind = "sometimes"\n')
    monkeypatch.setenv("MASH_PROCESSES_DIR", str(tmp_path))
    case_id = api("referrer").post("/api/v1/contacts", json=f.contact()).get_json()["case_id"]
    page = web("mash-manager").get(f"/tasks/{task_of(db, case_id, 'screening')}").get_data(as_text=True)
    assert "The repeat-concern rules were refused, so no pattern was checked" in page
    assert "line 3: kind must be one of contacts, re-referral" in page
    assert api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()["repeat_concerns"] == []


def test_the_chronology_pages_filter_download_and_are_audited(db, web):
    with db.unit_of_work() as session:
        ava, sam = person(session, "Ava"), person(session, "Sam")
        first = contact(session, ava, now() - days(30), "6", rag="amber")
        agency_return(session, first, "police", at=now() - days(29), restriction="hub-only",
                      findings="=HYPERLINK(\"x\") arrest at the address")
        sister = contact(session, [sam, ava], now() - days(10), "2A", organisation="Hillside Primary")
        ava_id, references = ava, (first.reference, sister.reference)
    client = web("social-worker")
    page = client.get(f"/people/{ava_id}/chronology").get_data(as_text=True)
    assert references[0] in page and references[1] in page
    assert "Not for disclosure outside the hub" in page
    filtered = client.get(f"/people/{ava_id}/chronology?agency=education").get_data(as_text=True)
    assert references[1] in filtered and references[0] not in filtered
    csv_text = client.get(f"/people/{ava_id}/chronology?kind=agency-return&format=csv").get_data(as_text=True)
    lines = csv_text.splitlines()
    assert lines[0] == "at,kind,reference,case_id,person_id,agency,restricted,summary"
    assert len(lines) == 2 and ",agency-return," in lines[1] and ",police,yes," in lines[1]
    household = client.get(f"/people/{sam}/household").get_data(as_text=True)
    assert references[0] in household  # Ava was on Sam's contact, so Ava's own contact is household history
    assert client.get("/people/999999/chronology").status_code == 404
    assert web("police").get(f"/people/{ava_id}/chronology").status_code == 403
    with db.unit_of_work(write=False) as session:
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "person.chronology-viewed")
                                      .order_by(AuditEvent.seq)))
    assert [(e.username, e.details["view"], e.details["csv"]) for e in events] == [
        ("social-worker", "person", False), ("social-worker", "person", False), ("social-worker", "person", True),
        ("social-worker", "household", False)]
    assert set(events[0].details) == {"person_id", "view", "csv", "entries"}
