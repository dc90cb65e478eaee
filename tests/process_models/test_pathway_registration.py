"""A pathway's own process (a contact type's) is registered by the first contact that needs it after a deploy:
two such contacts at the same instant both start on one version, and neither is refused."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from app.intake.contact_types import DOMESTIC_ABUSE_NOTIFICATION
from app.process_models.models import ProcessVersion
from app.process_models.registry import latest_version, pathway_version
from tests.conftest import wait_until_blocked_on_a_lock

PATHWAY = DOMESTIC_ABUSE_NOTIFICATION.process_id


def test_the_first_contact_registers_the_pathway_from_the_current_files_and_the_next_reuses_it(db):
    with db.unit_of_work() as session:
        assert latest_version(session, PATHWAY) is None
        first = pathway_version(session, PATHWAY)
        entry = latest_version(session)
        assert (first.version, first.content_hash) == (1, entry.content_hash)
    with db.unit_of_work() as session:
        assert pathway_version(session, PATHWAY).id == first.id
        assert len(session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == PATHWAY)).all()) == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_first_contacts_at_once_start_on_the_one_version_the_first_stored(db):
    seen = {}

    def second():
        try:
            with db.unit_of_work() as session:
                seen["version_id"] = pathway_version(session, PATHWAY).id
        except Exception as error:  # noqa: BLE001  (the test reports it)
            seen["error"] = error

    with db.unit_of_work() as session:
        first = pathway_version(session, PATHWAY)
        racer = threading.Thread(target=second)
        racer.start()
        wait_until_blocked_on_a_lock(db, racer, seen)  # the second waits on the first's new row
        first_id = first.id
    racer.join(timeout=30)
    assert "error" not in seen, seen.get("error")
    assert seen["version_id"] == first_id
    with db.unit_of_work(write=False) as session:
        assert len(session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == PATHWAY)).all()) == 1
