"""Users are staff, not subjects, but a user's e-mail address and name are their personal data: they are kept in
one place (the user's own row, where the administrator can correct or erase them), never in the audit trail,
the logs or any other table. The full-database scan the retention tests use finds them there and only there."""
from __future__ import annotations

import logging

from tests.retention.test_anonymise import database_text, survivors

EMAIL, NAME = "ottoline.quarrie@health.example.org", "Ottoline Quarrie"


def test_a_users_email_and_name_are_held_only_in_their_own_row_and_never_logged(app, api, web, caplog):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("app").debug("capture is on")
    added = api("admin").post("/api/v1/users", json={"username": "o.quarrie", "name": NAME, "email": EMAIL,
                                                     "agency": "Health", "roles": ["health"]})
    assert added.status_code == 201
    page = web("admin").post_form("/admin/users/new", {"username": "o.quarrie2", "name": NAME + " Two",
                                                       "email": "two." + EMAIL, "agency": "Health",
                                                       "roles": ["health"]})
    assert page.status_code == 200
    web("admin").get("/admin/users")
    api("admin").get("/api/v1/users")
    api("admin").client.patch("/api/v1/users/o.quarrie", json={"active": False}, headers=api("admin")._headers())

    held = survivors([EMAIL, NAME], database_text())
    assert held, "the scan must see the staff member's details"
    assert {table for table, _text in held} == {"user_account"}
    logged = caplog.text + "\n".join(repr(vars(record)) for record in caplog.records)
    assert "capture is on" in logged
    assert EMAIL not in logged and NAME not in logged and "Quarrie" not in logged


def test_a_leavers_email_is_removed_once_the_retention_period_has_run_from_their_leaving(app, api, database_url,
                                                                                       tmp_path):
    from datetime import timedelta

    from sqlalchemy import select

    from app.auth.models import User
    from app.core.clock import clock
    from app.core.db import get_db
    from tests.retention.walks import T0, mash

    clock.freeze(T0)
    for username, email in (("leaver", "leaver@police.example.org"), ("stayer", "stayer@police.example.org")):
        assert api("admin").post("/api/v1/users", json={"username": username, "name": username.title(),
                                                        "email": email, "agency": "Police",
                                                        "roles": ["police"]}).status_code == 201
    api("admin").client.patch("/api/v1/users/leaver", json={"active": False}, headers=api("admin")._headers())
    clock.advance(timedelta(days=30 * 36 + 40))  # past the retention period (36 months by default)
    result = mash(database_url, tmp_path, "retention")
    assert "Removed the e-mail address of 1 leaver(s)" in result.output, result.output
    with get_db().unit_of_work(write=False) as session:
        emails = dict(session.execute(select(User.username, User.email).where(
            User.username.in_(["leaver", "stayer"]))).all())
    assert emails == {"leaver": None, "stayer": "stayer@police.example.org"}
    assert survivors(["leaver@police.example.org"], database_text()) == []
