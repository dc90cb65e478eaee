"""`mash retention` anonymises due contacts: no personal string survives anywhere outside the audit trail,
the facts reports need stay, the audit trail only grows, and a second run changes nothing."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, text

import app.models  # noqa: F401  (every table)
from app.audit.models import AuditEvent
from app.cases.models import AgencyReturn, Case, CompletedTask, RagChange, ReferrerFeedback
from app.core.clock import clock
from app.core.db import Base, get_db
from app.deadlines.models import Deadline
from app.disagreements.models import ProfessionalDisagreement
from app.intake.models import Contact
from app.sharing.models import SharingDecision
from tests.retention.walks import BARNABY, T0, ZEPHYRINE, mash, walk_to_decision

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


def database_text(*, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Every value of every table, as text (dates and JSON included), one lower-cased blob per table."""
    blobs = {}
    with get_db().unit_of_work(write=False) as session:
        for table in Base.metadata.sorted_tables:
            if table.name in skip:
                continue
            values = []
            for row in session.execute(table.select()):
                for value in row:
                    if isinstance(value, (dict, list)):
                        value = json.dumps(value, ensure_ascii=False)
                    elif isinstance(value, (date, datetime)):
                        value = value.isoformat()
                    values.append(str(value))
            blobs[table.name] = "\n".join(values).lower()
    return blobs


def survivors(strings: list[str], blobs: dict[str, str]) -> list[tuple[str, str]]:
    return [(table, s) for s in strings for table, blob in blobs.items() if s.lower() in blob]


def audit_rows() -> list[dict]:
    with get_db().unit_of_work(write=False) as session:
        return [dict(row._mapping) for row in session.execute(AuditEvent.__table__.select().order_by(AuditEvent.id))]


@BOTH
def test_anonymising_removes_every_personal_string_and_keeps_the_facts(api, web, database_url, tmp_path):
    clock.freeze(T0)
    old = walk_to_decision(api, ZEPHYRINE, "nfa", share_with=["early-help"])
    clock.advance(timedelta(days=500))
    walk_to_decision(api, BARNABY, "nfa")  # closed too recently: must keep every detail
    gone = ZEPHYRINE.personal_strings()
    before = database_text()
    assert survivors(gone, before), "the scan must see the personal data before anonymisation"
    with get_db().unit_of_work(write=False) as session:
        case = session.get(Case, old)
        facts = {name: getattr(case, name) for name in (
            "reference", "status", "closure", "rag", "rag_initial", "consent", "outcome", "received_at",
            "decided_at", "decided_by", "closed_at", "immediate_risk")}
        returns = [(r.agency, r.nothing_known, r.handling_restriction, r.requested_at, r.due_at, r.returned_at)
                   for r in session.scalars(select(AgencyReturn).where(AgencyReturn.case_id == old)
                                            .order_by(AgencyReturn.id))]
        rag_changes = [(r.from_rag, r.to_rag, r.changed_at) for r in session.scalars(
            select(RagChange).where(RagChange.case_id == old).order_by(RagChange.id))]
        deadlines = [(d.name, d.due_at, d.met_at) for d in session.scalars(
            select(Deadline).where(Deadline.case_id == old).order_by(Deadline.id))]
        source = session.scalar(select(Contact.source).where(Contact.case_id == old))
    audit_before = audit_rows()

    clock.freeze(T0 + timedelta(days=365 * 3 + 30))
    result = mash(database_url, tmp_path, "retention")
    assert result.exit_code == 0, result.output
    assert "Anonymised 1 contact(s)" in result.output and facts["reference"] in result.output
    assert not survivors(gone, {"output": result.output.lower()})

    after = database_text(skip=("audit_event",))
    assert survivors(gone, after) == []
    assert survivors(BARNABY.personal_strings(), after), "the contact not yet due keeps its details"
    # The audit trail held no personal data to begin with (by design), so none survives there either.
    assert survivors(gone, {"audit_event": database_text()["audit_event"]}) == []

    with get_db().unit_of_work(write=False) as session:
        case = session.get(Case, old)
        assert {name: getattr(case, name) for name in facts} == facts
        assert case.anonymised_at == T0 + timedelta(days=365 * 3 + 30)
        assert case.state == "" and case.outcome_rationale is None
        assert [s.role for s in case.subjects] == ["child"]
        assert [(r.agency, r.nothing_known, r.handling_restriction, r.requested_at, r.due_at, r.returned_at)
                for r in session.scalars(select(AgencyReturn).where(AgencyReturn.case_id == old)
                                         .order_by(AgencyReturn.id))] == returns
        assert [(r.from_rag, r.to_rag, r.changed_at) for r in session.scalars(
            select(RagChange).where(RagChange.case_id == old).order_by(RagChange.id))] == rag_changes
        assert [(d.name, d.due_at, d.met_at) for d in session.scalars(
            select(Deadline).where(Deadline.case_id == old).order_by(Deadline.id))] == deadlines
        assert session.scalar(select(Contact.source).where(Contact.case_id == old)) == source
        forms = {t.form_key: t.data for t in session.scalars(select(CompletedTask).where(CompletedTask.case_id == old))}
        assert forms["screening"] == {"rag": "amber", "presenting_factors": ["16A"], "consent": "given",
                                      "agencies": ["police", "health"]}
        # Since #18 the decision holds the sharing decision and the feedback how it was sent: codes stay.
        assert forms["decision"] == {"outcome": "nfa", "additional_referrals": [],
                                     "information_product_recipients": ["early-help"],
                                     "sharing_purpose": "early-help", "sharing_consent": "given",
                                     "sharing_lawful_basis": "uk-gdpr-6-1-e",
                                     "sharing_special_category_condition": "dpa-sch1-para6",
                                     "subject_informed": False}
        assert forms["feedback"] == {"feedback_method": "email", "product_sent_method": "secure-email"}
        assert forms["resolve_disagreement"] == {"child_safe_meanwhile": "yes", "resolution": "decision-upheld",
                                                 "disputing_party_told": "yes"}
        dispute = session.scalar(select(ProfessionalDisagreement).where(ProfessionalDisagreement.case_id == old))
        assert (dispute.disputed, dispute.resolution, dispute.view, dispute.resolution_rationale) == (
            "outcome", "decision-upheld", "", None)
        feedback = session.scalar(select(ReferrerFeedback).where(ReferrerFeedback.case_id == old))
        assert (feedback.method, feedback.recipients, feedback.summary) == ("email", ["early-help"], "")
        shared = session.scalar(select(SharingDecision).where(SharingDecision.case_id == old,
                                                             SharingDecision.stage == "dissemination"))
        assert (shared.recipient, shared.purpose, shared.consent_status, shared.product) == (
            "early-help", "early-help", "given", None)

    # The audit trail only grew, by one coded event for the anonymised contact.
    audit_after = audit_rows()
    assert audit_after[:len(audit_before)] == audit_before
    added = audit_after[len(audit_before):]
    assert [(row["action"], row["case_id"], row["username"]) for row in added] == [
        ("retention.anonymised", old, "system")]
    details = added[0]["details"]
    assert details["removed"]["subjects"] == 1 and details["removed"]["agency_returns"] == 2
    assert details["removed"]["professional_disagreements"] == 1
    assert details["policy"]["period_months"] == 36 and details["policy"]["outcomes"] == ["nfa"]

    # The case still opens, and says what happened.
    case_json = api("mash-manager").get(f"/api/v1/cases/{old}").get_json()
    assert case_json["anonymised_at"].startswith("2030-")
    assert case_json["outcome"] == "nfa" and case_json["rag_initial"] == "amber"
    page = web("mash-manager").get(f"/cases/{old}").get_data(as_text=True)
    assert "anonymised on" in page and "under the retention policy" in page
    assert not survivors(gone, {"page": page.lower()})


def test_a_second_run_changes_nothing(api, database_url, tmp_path):
    clock.freeze(T0)
    case_id = walk_to_decision(api, ZEPHYRINE, "nfa")
    clock.freeze(T0 + timedelta(days=365 * 4))
    assert "Anonymised 1 contact(s)" in mash(database_url, tmp_path, "retention").output
    with get_db().unit_of_work(write=False) as session:
        version, anonymised_at = session.execute(select(Case.version, Case.anonymised_at)
                                                 .where(Case.id == case_id)).one()
    audit_count = len(audit_rows())
    snapshot = database_text(skip=("audit_event", "api_token", "user_account"))

    clock.advance(timedelta(days=30))
    again = mash(database_url, tmp_path, "retention")
    assert again.exit_code == 0 and "Anonymised 0 contact(s)" in again.output
    assert "Would anonymise 0" in mash(database_url, tmp_path, "retention", "--dry-run").output
    with get_db().unit_of_work(write=False) as session:
        assert session.execute(select(Case.version, Case.anonymised_at).where(Case.id == case_id)).one() == (
            version, anonymised_at)
    assert len(audit_rows()) == audit_count
    assert database_text(skip=("audit_event", "api_token", "user_account")) == snapshot


def test_an_anonymised_case_refuses_work_that_would_need_its_workflow(api, database_url, tmp_path):
    clock.freeze(T0)
    case_id = walk_to_decision(api, ZEPHYRINE, "nfa")
    clock.freeze(T0 + timedelta(days=365 * 4))
    mash(database_url, tmp_path, "retention")
    refused = api("mash-manager").post(f"/api/v1/cases/{case_id}/rag", json={"rag": "red", "rag_rationale": "x"})
    assert refused.status_code == 409
    with get_db().unit_of_work(write=False) as session:
        left = session.execute(text("SELECT count(*) FROM open_task WHERE case_id = :id"), {"id": case_id}).scalar()
        assert left == 0
