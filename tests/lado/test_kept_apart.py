"""A MASH decision refers an allegation to the LADO: referral.bpmn's `refer_lado` runs the LADO's process inside the
child's case, and the LADO's "Record the allegation" answers name the person who works with children. Once the LADO's
record holds them, the child's case keeps only the allegation's id: not in its serialized workflow (`mash_case.state`),
not in the completed step's answers, not on the child's case page, API answer or subject access export; and when the
LADO's retention ends, `mash retention` leaves no trace of the person anywhere."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.cases.models import Case, CompletedTask
from app.core.clock import clock
from app.core.db import get_db
from app.lado.models import LadoAllegation
from tests import factories as f
from tests.api.test_referral_walks import complete as complete_step
from tests.api.test_referral_walks import report, screen_and_check
from tests.lado.walk import LADO, PRIVATE, complete, details, evaluation
from tests.retention.test_anonymise import database_text, survivors
from tests.retention.walks import mash

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
MONDAY = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)
CHILD = {"given": "Marisol", "family": "Trevanion", "dob": "2014-02-17"}


def _state_and_answers(case_id: int) -> str:
    """The child's case's serialized workflow and every completed step's answers, as one text."""
    with get_db().unit_of_work(write=False) as session:
        state = session.get_one(Case, case_id).state or ""
        answers = [json.dumps(t.data) for t in session.scalars(select(CompletedTask)
                                                               .where(CompletedTask.case_id == case_id))]
    return "\n".join([state, *answers]).lower()


@BOTH
def test_the_persons_details_leave_the_childs_case_once_the_lado_holds_them(api, web, database_url, tmp_path):
    clock.freeze(MONDAY)
    case_id = report(api, **CHILD)
    screen_and_check(api, case_id)
    complete_step(api, case_id, "mash_review", "mash-manager", f.review())
    complete_step(api, case_id, "decision", "mash-manager", f.decision("lado"))
    complete_step(api, case_id, "feedback_to_referrer", "business-support", f.feedback())
    complete(api, LADO, case_id, "Record the allegation", details(noticed="2027-01-11"))

    with get_db().unit_of_work(write=False) as session:
        [allegation] = session.scalars(select(LadoAllegation).where(LadoAllegation.case_id == case_id)).all()
        assert (allegation.family_name, allegation.lead_name) == ("Ravensworth", "Priya Osei")
        recorded = session.scalar(select(CompletedTask).where(CompletedTask.case_id == case_id,
                                                              CompletedTask.form_key == "lado_allegation_details"))
        assert recorded.data == {"lado_allegation_id": allegation.id}  # only the id: the LADO's record has the rest
    kept = _state_and_answers(case_id)
    assert [s for s in PRIVATE if s.lower() in kept] == []
    assert f'"lado_allegation_id": {allegation.id}' in kept or f'"lado_allegation_id":{allegation.id}' in kept

    # The child's readers: the case page and answer, and the child's own subject access export.
    page = web("mash-manager").get(f"/cases/{case_id}").get_data(as_text=True)
    answer = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_data(as_text=True)
    export = api("admin").post("/api/v1/subject-access-exports", json={
        "given_name": CHILD["given"], "family_name": CHILD["family"], "date_of_birth": CHILD["dob"]})
    assert CHILD["family"] in page and CHILD["family"] in answer and export.status_code == 200
    for text in (page, answer, export.get_data(as_text=True)):
        assert [s for s in PRIVATE if s in text] == []

    # The LADO's own record still has everything, and its retention then removes every trace.
    [record] = api(LADO).get(f"/api/v1/cases/{case_id}/allegation").get_json()
    assert (record["person"]["family_name"], record["person"]["employer"]) == ("Ravensworth", "Northtown Leisure Trust")
    closed = complete(api, LADO, case_id, "Make the initial evaluation", evaluation("not-met", meeting=False))
    assert closed["status"] == "closed"
    # The LADO's words at the later steps go the same way: in the LADO's record, not in the child's case.
    note = evaluation()["lado_evaluation_note"]
    assert api(LADO).get(f"/api/v1/cases/{case_id}/allegation").get_json()[0]["evaluation"]["note"] == note
    kept = _state_and_answers(case_id)
    assert note.lower() not in kept and '"lado_threshold": "not-met"' in kept
    clock.freeze(datetime(2028, 1, 12, 10, 0, tzinfo=UTC))  # 12 months after the evaluation closed it
    result = mash(database_url, tmp_path, "retention")
    assert result.exit_code == 0 and "from 1 LADO allegation(s)" in result.output, result.output
    assert survivors([*PRIVATE, note], database_text(skip=("audit_event",))) == []
    assert survivors(list(PRIVATE), {"audit_event": database_text()["audit_event"]}) == []
    assert survivors([CHILD["family"]], database_text())  # the child's case keeps its own schedule
