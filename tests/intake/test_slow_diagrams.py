"""A careless or hostile diagram cannot stall the hub or lose a contact.

A process owner deploys a diagram whose first script runs away for contacts flagged as immediate risk. Each
contact is still stored and answered 201; the runaway case gets an incident naming the script; and contacts
other people send at the same moment are stored and answered. Checked on SQLite and PostgreSQL, from the
database. How long they wait is measured in bench/sandbox_bench.py, not asserted here (the machine is shared)."""
from __future__ import annotations

import io
import threading

import pytest
from sqlalchemy import func, select

from app.auth.authorisation import INTAKE_ROLES
from app.cases.models import Case
from app.core.config import PROJECT_ROOT
from app.demo import demo_users
from app.engine.evaluator import warm_up
from app.incidents.models import Incident
from app.intake.models import Contact
from tests import factories as f

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

REFERRAL = (PROJECT_ROOT / "processes" / "referral.bpmn").read_text(encoding="utf-8")
#: The first script every contact runs; the runaway code is added to it for contacts flagged as immediate risk.
RISK_SCRIPT = "went_without = []\nreturned_checks = []"
RISKY_ELEMENT = "open_the_record"

RUNAWAY = {
    "an endless loop": "n = 0\nwhile True:\n    n += 1",
    "a huge loop": "n = 0\nfor i in range(150000000):\n    n += 1",
    "a memory bomb": "size = 10 ** 9\nfiller = 'a' * size",
    "deep recursion": "def deeper(n):\n    return deeper(n + 1)\ndepth = deeper(0)",
    "a huge number": "base = 10\nbig = base ** (base ** 7)",
}


def deploy_risk_script(api, script: str) -> None:
    owner = api("process-owner")
    assert RISK_SCRIPT in REFERRAL
    runaway = "\nif immediate_risk:\n" + "".join(f"    {line}\n" for line in script.splitlines())
    text = REFERRAL.replace(RISK_SCRIPT, RISK_SCRIPT + runaway, 1)
    response = owner.client.post(
        "/api/v1/process-models", headers=owner._headers(), content_type="multipart/form-data",
        data={"note": "Immediate-risk script", "files": [(io.BytesIO(text.encode()), "referral.bpmn")]})
    assert response.status_code == 201, [e["message"] for e in response.get_json()["errors"]]


def incidents_of(db, case_id: int) -> list[Incident]:
    with db.unit_of_work(write=False) as session:
        return list(session.scalars(select(Incident).where(Incident.case_id == case_id)))


@BOTH
@pytest.mark.parametrize("kind", sorted(RUNAWAY))
def test_a_runaway_diagram_becomes_an_incident_and_the_contact_is_kept(api, db, kind):
    deploy_risk_script(api, RUNAWAY[kind])
    warm_up(wait=True)
    response = api("referrer").post("/api/v1/contacts", json=f.contact(immediate_risk=True))
    assert response.status_code == 201, response.get_json()
    case_id = response.get_json()["case_id"]
    [incident] = incidents_of(db, case_id)
    assert incident.element_id == RISKY_ELEMENT
    assert ("RecursionError" if kind == "deep recursion" else "budget exceeded") in incident.error
    with db.unit_of_work(write=False) as session:
        assert session.get(Case, case_id).current_step == "Waiting for a process fix"
        assert session.scalar(select(func.count()).select_from(Contact).where(Contact.case_id == case_id)) == 1
    # The hub carries on: the case reads, and a contact without immediate risk starts as usual.
    assert api("mash-manager").get(f"/api/v1/cases/{case_id}").status_code == 200
    calm = api("referrer").post("/api/v1/contacts", json=f.contact(given="Noah", family="Jones"))
    assert calm.status_code == 201
    assert not incidents_of(db, calm.get_json()["case_id"])


@BOTH
def test_contacts_sent_while_runaway_cases_start_are_all_stored_and_answered(app, api, db):
    deploy_risk_script(api, RUNAWAY["an endless loop"])
    senders = [username for username, _name, roles in demo_users() if INTAKE_ROLES & set(roles)]
    senders = (senders * 11)[:11]
    clients = [api(username) for username in senders]
    warm_up(wait=True)
    start = threading.Barrier(len(clients))
    answers: list[tuple[int, int | None]] = [(0, None)] * len(clients)

    def send(index: int) -> None:
        # The first is the immediate-risk contact that runs away; of the others, every other one does too.
        body = f.contact(given=f"Child{index}", family="Sender", immediate_risk=index % 2 == 0)
        start.wait()
        response = clients[index].post("/api/v1/contacts", json=body)
        answers[index] = (response.status_code, (response.get_json() or {}).get("case_id"))

    threads = [threading.Thread(target=send, args=(index,)) for index in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [status for status, _case in answers] == [201] * len(clients), answers
    case_ids = {case_id for _status, case_id in answers}
    with db.unit_of_work(write=False) as session:
        stored = set(session.scalars(select(Contact.case_id).where(Contact.case_id.in_(case_ids))))
        assert stored == case_ids and len(case_ids) == len(clients)
        steps = {case.id: case.current_step for case in session.scalars(select(Case).where(Case.id.in_(case_ids)))}
    for index, (_status, case_id) in enumerate(answers):
        runaway = index % 2 == 0
        errors = [incident.error for incident in incidents_of(db, case_id)]
        assert (steps[case_id] == "Waiting for a process fix") is runaway, (index, errors)
        assert bool(incidents_of(db, case_id)) is runaway


def test_a_contact_is_stored_even_if_its_start_fails_outright_and_a_retry_starts_it(app, api, db, monkeypatch):
    import app.casework.starting as starting

    def crash(*_args, **_kwargs):
        raise RuntimeError("the worker died while the diagram ran")

    referrer = api("referrer")
    body = f.contact(given="Isla", family="Kept")
    retry = {"Idempotency-Key": "isla-kept-1"}
    with monkeypatch.context() as patched:
        patched.setattr(starting, "run_start", crash)
        app.config["PROPAGATE_EXCEPTIONS"] = False
        assert referrer.post("/api/v1/contacts", json=body, headers=retry).status_code == 500
    with db.unit_of_work(write=False) as session:
        [contact] = session.scalars(select(Contact)).all()
        case = session.get(Case, contact.case_id)
        assert case.status == "open" and case.current_step == "Starting the process" and case.state

    # The referrer's system sends the contact again with the same key: the same case, started now, once.
    again = referrer.post("/api/v1/contacts", json=body, headers=retry)
    assert again.status_code == 201 and again.get_json()["case_id"] == contact.case_id
    tasks = api("mash-manager").get(f"/api/v1/cases/{contact.case_id}").get_json()["open_tasks"]
    assert [task["name"] for task in tasks] == ["Screen the contact"]
    assert referrer.post("/api/v1/contacts", json=body, headers=retry).status_code == 201
    assert len(api("mash-manager").get(f"/api/v1/cases/{contact.case_id}").get_json()["open_tasks"]) == 1
    with db.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1


def test_the_web_form_keeps_a_contact_whose_diagram_runs_away(api, web, db):
    deploy_risk_script(api, RUNAWAY["an endless loop"])
    referrer = web("referrer")
    with db.unit_of_work(write=False) as session:
        before = session.scalar(select(func.count()).select_from(Contact))
    response = referrer.post_form("/contacts/new", _web_contact())
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    case_id = int(response.headers["Location"].split("/")[-2])
    with db.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == before + 1
    assert [i.element_id for i in incidents_of(db, case_id)] == [RISKY_ELEMENT]


def _web_contact() -> dict:
    return {"source": "2A", "referrer-name": "Jo Teacher", "referrer-organisation": "Hillside Primary",
            "subjects-0-role": "child", "subjects-0-given_name": "Ava", "subjects-0-family_name": "Smith",
            "subjects-0-date_of_birth-day": "1", "subjects-0-date_of_birth-month": "6",
            "subjects-0-date_of_birth-year": "2015", "concern": "Child disclosed being hit at home.",
            "immediate_risk": "true", "consent-status": "given"}


def test_a_contact_left_between_its_two_commits_is_started_by_the_scheduler_once_it_is_clearly_stranded(
        app, api, db, monkeypatch):
    """The request that stored it stopped before starting it and the sender never retried: the scheduler's
    sweep starts it, but not while a request might still be starting it."""
    from datetime import timedelta

    import app.casework.starting as starting
    from app.core.clock import clock, now

    def crash(*_args, **_kwargs):
        raise RuntimeError("the worker died while the diagram ran")

    with monkeypatch.context() as patched:
        patched.setattr(starting, "run_start", crash)
        app.config["PROPAGATE_EXCEPTIONS"] = False
        assert api("referrer").post("/api/v1/contacts", json=f.contact(given="Iona", family="Left")).status_code == 500
    with db.unit_of_work(write=False) as session:
        [contact] = session.scalars(select(Contact)).all()
    clock.freeze(now() + timedelta(seconds=30))
    assert starting.start_stranded(now()) == 0  # too soon: its own request may still be starting it
    clock.advance(starting.STRANDED_AFTER)
    assert starting.start_stranded(now()) == 1
    assert starting.start_stranded(now()) == 0
    tasks = api("mash-manager").get(f"/api/v1/cases/{contact.case_id}").get_json()["open_tasks"]
    assert [task["name"] for task in tasks] == ["Screen the contact"]
