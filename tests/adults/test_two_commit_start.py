"""A concern about an adult at risk that names children stores three things (the contact, the adult's case and the
children's linked case) and starts both processes as every other contact starts: stored and committed first, the
diagrams run after the commit, outside the request's transaction. A crash while starting leaves both cases stored;
a retry with the same Idempotency-Key, or the scheduler's sweep of stranded contacts, starts them, once."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.cases.models import Case
from app.intake.models import Contact
from tests.adults.concerns import adult_concern

CHILDREN = [{"given_name": "Tom", "family_name": "Marsh", "date_of_birth": "2016-04-02"}]
STARTING = "Starting the process"


def _crash(*_args, **_kwargs):
    raise RuntimeError("the worker died while the diagram ran")


def _stored(db) -> dict[int, str | None]:
    """Each stored contact's case and where it stands."""
    with db.unit_of_work(write=False) as session:
        return {case_id: session.get_one(Case, case_id).current_step
                for case_id in session.scalars(select(Contact.case_id).order_by(Contact.case_id))}


def _open_tasks(api, case_id: int) -> list[str]:
    return [t["name"] for t in api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()["open_tasks"]]


def test_both_cases_are_committed_before_either_diagram_runs(api, db, monkeypatch):
    import app.casework.starting as starting

    seen: list[int] = []
    run_start = starting.run_start

    def counting(definition, data):
        with db.unit_of_work(write=False) as session:  # another connection: sees only what is committed
            seen.append(session.scalar(select(func.count()).select_from(Contact)))
        return run_start(definition, data)

    monkeypatch.setattr(starting, "run_start", counting)
    response = api("referrer").post("/api/v1/contacts", json=adult_concern(children=CHILDREN))
    assert response.status_code == 201, response.get_json()
    assert seen == [2, 2]  # the adult's contact and the children's, committed before each start
    adult_id = response.get_json()["case_id"]
    with db.unit_of_work(write=False) as session:
        children_id = session.get_one(Case, adult_id).linked_case_id
    assert _open_tasks(api, children_id) == ["Screen the contact"]
    assert _open_tasks(api, adult_id)


def test_a_crash_while_starting_keeps_both_cases_and_a_retry_starts_them_once(app, api, db, monkeypatch):
    import app.casework.starting as starting

    body, retry = adult_concern(children=CHILDREN), {"Idempotency-Key": "edith-tom-1"}
    with monkeypatch.context() as patched:
        patched.setattr(starting, "run_start", _crash)
        app.config["PROPAGATE_EXCEPTIONS"] = False
        assert api("referrer").post("/api/v1/contacts", json=body, headers=retry).status_code == 500
    stored = _stored(db)
    assert list(stored.values()) == [STARTING, STARTING]  # both contacts kept, neither started
    adult_id, children_id = stored

    again = api("referrer").post("/api/v1/contacts", json=body, headers=retry)
    assert again.status_code == 201 and again.get_json()["case_id"] == adult_id
    assert _open_tasks(api, children_id) == ["Screen the contact"]
    adult_tasks = _open_tasks(api, adult_id)
    assert adult_tasks
    assert api("referrer").post("/api/v1/contacts", json=body, headers=retry).status_code == 201
    assert (_open_tasks(api, adult_id), _open_tasks(api, children_id)) == (adult_tasks, ["Screen the contact"])
    assert list(_stored(db)) == [adult_id, children_id]  # nothing stored twice


def test_a_concern_left_between_its_commits_is_started_by_the_scheduler(app, api, db, monkeypatch):
    import app.casework.starting as starting
    from app.core.clock import clock, now

    with monkeypatch.context() as patched:
        patched.setattr(starting, "run_start", _crash)
        app.config["PROPAGATE_EXCEPTIONS"] = False
        assert api("referrer").post("/api/v1/contacts", json=adult_concern(children=CHILDREN)).status_code == 500
    adult_id, children_id = _stored(db)
    clock.freeze(now() + timedelta(seconds=30))
    assert starting.start_stranded(now()) == 0  # too soon: its own request may still be starting them
    clock.advance(starting.STRANDED_AFTER)
    assert starting.start_stranded(now()) == 2
    assert starting.start_stranded(now()) == 0
    assert _open_tasks(api, children_id) == ["Screen the contact"]
    assert _open_tasks(api, adult_id)
