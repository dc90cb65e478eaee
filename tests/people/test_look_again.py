"""A subject matched only against the people on file when its contact arrived: the screener can look again
once the index has changed, and a person already decided about is not proposed twice."""
from __future__ import annotations

from sqlalchemy import select

from app.audit.models import AuditEvent
from tests.people.flows import LATER, report, subject
from tests.people.test_intake_and_decisions import matches_of, subjects_of


def test_looking_again_finds_a_person_added_after_the_contact_arrived(api, db, web):
    first = report(api, LATER)  # nobody on file yet: a new person, no proposals
    first_subject = subjects_of(db, first)[0]
    assert matches_of(db, first_subject.id) == []
    later = report(api, subject("child", "Jayden", "Okoro", "2016-04-12", address="3 Canal Walk, London N1 9GU"))
    newcomer = subjects_of(db, later)[0].person_id

    manager = web("mash-manager")
    page = f"/cases/{first}/people"
    assert f'id="look-again-{first_subject.id}"' in manager.get(page).get_data(as_text=True)
    done = manager.post_form(f"/cases/{first}/people/subjects/{first_subject.id}/look-again", {}, csrf_from=page)
    assert done.status_code == 302
    shown = manager.get(page).get_data(as_text=True)
    assert "1 new possible match in the person index." in shown
    assert [(m.person_id, m.status) for m in matches_of(db, first_subject.id)] == [(newcomer, "proposed")]

    # Looking again proposes no one twice, and says so.
    manager.post_form(f"/cases/{first}/people/subjects/{first_subject.id}/look-again", {}, csrf_from=page)
    assert "No one new in the person index matches closely enough." in manager.get(page).get_data(as_text=True)
    assert len(matches_of(db, first_subject.id)) == 1
    with db.unit_of_work(write=False) as session:
        details = [e.details for e in session.scalars(select(AuditEvent)
                                                      .where(AuditEvent.action == "person.matched-again"))]
    assert details == [{"person_id": first_subject.person_id, "proposed": 1},
                       {"person_id": first_subject.person_id, "proposed": 0}]

    # Agencies cannot; a subject of another contact is not found through this one.
    assert web("police").post_form(f"/cases/{first}/people/subjects/{first_subject.id}/look-again", {},
                                   csrf_from="/inbox").status_code == 403
    assert manager.post_form(f"/cases/{later}/people/subjects/{first_subject.id}/look-again", {},
                             csrf_from=page).status_code == 404
