"""Moving running cases to a newer version from the version history: the preview says which can move and
why the others cannot; the move keeps every deadline's due time (engine and deadline rows), the inbox and
its claims, records one audit event per case, and the moved case finishes on the new version."""
from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.models import Case
from app.core.clock import clock
from app.deadlines.models import Deadline
from app.engine import CaseWorkflow
from app.inbox.models import OpenTask
from app.process_models import registry
from tests import factories as f
from tests.api.test_referral_walks import complete, report, task_id
from tests.versions.edits import closure_step, deploy, timer_expression, with_diagram

MONDAY_10 = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)
#: Amber: the decision is due one working day from receipt (Tuesday 17:30) plus a quarter of a working day.
AMBER_DUE = datetime(2027, 1, 6, 11, 7, 30, tzinfo=UTC)
MIGRATIONS = "/process-models/referral/migrations"


def new_timescale_and_closure_step(bundle):
    """Version 2: the RAG timescale at the review counted differently, and a new step before closing."""
    return closure_step(with_diagram(bundle, timer_expression(
        "review_decision_deadline", "decision_due(rag, received_at, checks_requested_at)",
        "add_working_days(received_at, 3)")))


def renamed_police_check(bundle):
    raw = bundle.bpmn["referral.bpmn"]
    raw = raw.replace(b'"police_check"', b'"police_records_check"')
    raw = raw.replace(b">police_check<", b">police_records_check<")
    raw = raw.replace(b'camunda:formKey="police_records_check"', b'camunda:formKey="agency_check"')
    return type(bundle)(bpmn={**bundle.bpmn, "referral.bpmn": raw}, forms=bundle.forms, policies=bundle.policies,
                      dmn=bundle.dmn)


def tokens(page: str) -> dict[int, str]:
    """The preview's checkboxes: case id -> the value posted for it."""
    return {int(case_id): f"{case_id}:{lock}"
            for case_id, lock in re.findall(r'name="cases" type="checkbox" value="(\d+):(\d+)"', page)}


def row(page: str, table: str, case_id: int) -> str:
    body = page[page.index(f'id="{table}"'):]
    body = body[:body.index("</table>")]
    match = re.search(rf'<tr class="govuk-table__row" data-case-id="{case_id}">(.*?)</tr>', body, re.S)
    assert match, f"case {case_id} is not in {table}"
    return html.unescape(" ".join(match.group(1).split()))


def audit(db, action: str, case_id: int | None = None) -> list[AuditEvent]:
    with db.unit_of_work(write=False) as session:
        query = select(AuditEvent).where(AuditEvent.action == action)
        if case_id is not None:
            query = query.where(AuditEvent.case_id == case_id)
        return list(session.scalars(query.order_by(AuditEvent.id)))


def case_row(db, case_id: int) -> Case:
    with db.unit_of_work(write=False) as session:
        return session.get(Case, case_id)


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_a_case_on_its_rag_timescale_moves_keeps_its_due_time_and_finishes_on_the_new_version(api, web, db, app):
    clock.freeze(MONDAY_10)
    case_id = report(api)
    complete(api, case_id, "screening", "mash-manager", f.screening("amber", ["police"]))
    complete(api, case_id, "police_check", "police", f.agency_return())
    review = task_id(api, case_id, "mash_review", "mash-manager")
    assert web("mash-manager").post_form(f"/tasks/{review}/claim", {}, csrf_from="/inbox").status_code == 302
    with db.unit_of_work(write=False) as session:
        [rag] = session.scalars(select(Deadline).where(Deadline.case_id == case_id, Deadline.name == "Decision due"))
        assert rag.due_at == AMBER_DUE
        was = (rag.id, rag.armed_at, rag.at_risk_at, rag.due_at, rag.timer_task_id)
    clock.advance(timedelta(hours=2))
    v2 = deploy(db, new_timescale_and_closure_step, note="RAG at review counted in working days; closure check")

    owner = web("process-owner")
    preview = owner.get(MIGRATIONS).get_data(as_text=True)
    assert "Move running cases to version 2" in preview
    assert "Review agency returns" in row(preview, "movable-cases", case_id)
    chosen = tokens(preview)[case_id]
    response = owner.post_form(MIGRATIONS, {"to": str(v2), "cases": chosen})
    assert response.status_code == 200
    result = response.get_data(as_text=True)
    assert "1 case moved to version 2" in result and 'id="refused-cases"' not in result

    case = case_row(db, case_id)
    with db.unit_of_work(write=False) as session:
        assert registry.version_by_id(session, case.process_version_id).version == v2
        definition = registry.compiled_by_id(session, case.process_version_id)
        [rag] = session.scalars(select(Deadline).where(Deadline.case_id == case_id, Deadline.name == "Decision due"))
        assert (rag.id, rag.armed_at, rag.at_risk_at, rag.due_at, rag.timer_task_id) == was
        [inbox_row] = session.scalars(select(OpenTask).where(OpenTask.case_id == case_id))
        assert (inbox_row.task_id, inbox_row.claimed_by, inbox_row.due_at) == (review, "mash-manager", AMBER_DUE)
    # The engine kept the due time too, although version 2 would count it three working days from receipt.
    engine_dues = {t.bpmn_id: t.due_at for t in CaseWorkflow.restore(definition, case.state).waiting_timers()}
    assert engine_dues["review_decision_deadline"] == AMBER_DUE and case.next_timer_due == AMBER_DUE
    [moved] = audit(db, "case.migrated", case_id)
    assert moved.details == {"process_id": "referral", "from_version": 1, "to_version": v2}
    assert moved.username == "process-owner"
    assert "Moved to a new version" in web("mash-manager").get(f"/cases/{case_id}").get_data(as_text=True)
    [batch] = audit(db, "process.cases-migrated")
    assert batch.details == {"process_id": "referral", "to_version": v2, "moved": 1, "refused": 0}

    # It carries on from where it was and reaches the step new in version 2.
    complete(api, case_id, "mash_review", "mash-manager", f.review())
    complete(api, case_id, "decision", "mash-manager", f.decision("nfa"))
    after = complete(api, case_id, "feedback_to_referrer", "business-support", f.feedback())
    assert [t["name"] for t in after["open_tasks"]] == ["Confirm the contact can close"]
    assert after["process"] == {"id": "referral", "version": v2}
    closed = complete(api, case_id, "confirm_closure", "business-support", {"confirmed": "yes"})
    assert (closed["status"], closed["closure"]) == ("closed", "end_closed")
    rag = next(d for d in closed["deadlines"] if d["name"] == "Decision due")
    assert (rag["due_at"], rag["state"]) == (AMBER_DUE.isoformat(), "met")


def test_the_preview_says_why_a_case_cannot_move_and_the_move_refuses_it_too(api, web, db):
    clock.freeze(MONDAY_10)
    at_police_check = report(api)
    complete(api, at_police_check, "screening", "mash-manager", f.screening("red", ["police"]))
    not_screened = report(api, given="Ben")
    deploy(db, renamed_police_check, note="Police check has a new id")

    owner = web("process-owner")
    preview = owner.get(MIGRATIONS).get_data(as_text=True)
    blocked = row(preview, "blocked-cases", at_police_check)
    assert "Its active step 'Check police records' does not exist in version 2." in blocked
    assert "Check police records" in blocked  # where it is (its current step)
    assert "Screen the contact" in row(preview, "movable-cases", not_screened)
    assert set(tokens(preview)) == {not_screened}  # only movable cases get a checkbox
    [looked] = audit(db, "process.migration-previewed")
    assert looked.details == {"process_id": "referral", "to_version": 2, "cases": 2, "movable": 1}

    # Posting the blocked case anyway (a crafted form) moves nothing and says why.
    lock = case_row(db, at_police_check).version
    result = owner.post_form(MIGRATIONS,
                             {"to": "2", "cases": [f"{at_police_check}:{lock}", tokens(preview)[not_screened]]})
    page = result.get_data(as_text=True)
    assert "1 case moved to version 2" in page
    assert "Its active step 'Check police records' does not exist in version 2." in row(page, "refused-cases",
                                                                                         at_police_check)
    assert registry_version(db, at_police_check) == 1 and registry_version(db, not_screened) == 2
    assert audit(db, "case.migrated", at_police_check) == []


def registry_version(db, case_id: int) -> int:
    with db.unit_of_work(write=False) as session:
        return registry.version_by_id(session, case_row(db, case_id).process_version_id).version


def test_a_case_worked_on_since_the_preview_is_reported_not_moved(api, web, db):
    clock.freeze(MONDAY_10)
    case_id = report(api)
    deploy(db, closure_step, note="closure check")
    owner = web("process-owner")
    chosen = tokens(owner.get(MIGRATIONS).get_data(as_text=True))[case_id]
    complete(api, case_id, "screening", "mash-manager", f.screening("amber", ["police"]))  # meanwhile, screened
    page = owner.post_form(MIGRATIONS, {"to": "2", "cases": chosen}).get_data(as_text=True)
    assert "No case moved to version 2" in page
    assert "It changed since the preview (someone worked on it): preview again." in row(page, "refused-cases", case_id)
    assert registry_version(db, case_id) == 1
    # Previewed again, it moves.
    again = tokens(owner.get(MIGRATIONS).get_data(as_text=True))[case_id]
    assert "1 case moved" in owner.post_form(MIGRATIONS, {"to": "2", "cases": again}).get_data(as_text=True)
    assert registry_version(db, case_id) == 2


def test_choosing_no_case_is_an_error_and_nothing_moves(api, web, db):
    case_id = report(api)
    deploy(db, closure_step)
    response = web("process-owner").post_form(MIGRATIONS, {"to": "2"})
    assert response.status_code == 400
    assert "Select at least one case to move" in response.get_data(as_text=True)
    assert registry_version(db, case_id) == 1


def test_only_process_owners_and_admins_move_cases(api, web, db):
    report(api)
    deploy(db, closure_step)
    police = web("police")
    assert police.get(MIGRATIONS).status_code == 403
    assert police.post_form(MIGRATIONS, {"to": "2", "cases": "1:1"}, csrf_from="/inbox").status_code == 403
    assert web("admin").get(MIGRATIONS).status_code == 200
    assert web("process-owner").get("/process-models/nope/migrations").status_code == 404
    assert web("process-owner").get(MIGRATIONS + "?to=9").status_code == 404


def test_with_nothing_to_move_the_preview_says_so(web):
    page = web("process-owner").get(MIGRATIONS).get_data(as_text=True)
    assert "No open case is on a version older than version 1." in page


def test_a_renamed_step_and_deadline_keep_their_inbox_row_claim_and_deadline_row(api, web, db):
    clock.freeze(MONDAY_10)
    case_id = report(api)
    screening = task_id(api, case_id, "screening", "mash-manager")
    assert web("mash-manager").post_form(f"/tasks/{screening}/claim", {}, csrf_from="/inbox").status_code == 302
    with db.unit_of_work(write=False) as session:
        [due] = session.scalars(select(Deadline).where(Deadline.case_id == case_id))
        was = (due.id, due.due_at, due.kind)
    deploy(db, lambda bundle: with_diagram(
        bundle, (b'name="Screen the contact"', b'name="Screen and rate the contact"'),
        (b'name="Screening due: 1 working day from receipt"', b'name="Screening due"')))
    owner = web("process-owner")
    chosen = tokens(owner.get(MIGRATIONS).get_data(as_text=True))[case_id]
    assert "1 case moved" in owner.post_form(MIGRATIONS, {"to": "2", "cases": chosen}).get_data(as_text=True)
    with db.unit_of_work(write=False) as session:
        [row] = session.scalars(select(OpenTask).where(OpenTask.case_id == case_id))
        assert (row.task_id, row.name, row.claimed_by) == (screening, "Screen and rate the contact", "mash-manager")
        [due] = session.scalars(select(Deadline).where(Deadline.case_id == case_id))
        assert (due.id, due.due_at, due.kind, due.name, due.cancelled_at) == (*was, "Screening due", None)
    assert case_row(db, case_id).current_step == "Screen and rate the contact"
