"""A contact walked to dissemination: each sharing decision is recorded, and what leaves the hub leaves out
restricted findings and hides protected identities, while hub members still read everything."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.core.protected_identities import REDACTED
from app.sharing.product import HELD_IN_HUB
from tests.sharing.walks import POLICE_FINDINGS, WITHOUT_CONSENT, decisions, disseminated, screened_without_consent

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

SHARED_WITHOUT_CONSENT = {"sharing_consent": "refused",
                          "sharing_consent_reason": "Mother refused; the child is at risk.",
                          "sharing_lawful_basis": "uk-gdpr-6-1-e",
                          "sharing_special_category_condition": "dpa-sch1-para18",
                          "subject_informed": False,
                          "subject_informed_reason": "Telling the father would put Ava at risk."}


def product_link(html: str) -> dict[str, str]:
    """Recipient → product URL, from the case page's sharing section."""
    return {m.group(2): m.group(1) for m in re.finditer(
        r'href="(/cases/\d+/information-product/\d+)">Information product sent to ([^<]+)</a>', html)}


@BOTH
def test_screening_and_dissemination_store_a_decision_per_recipient(api, db):
    case_id = disseminated(api, ["early-help", "assessment-team"], **SHARED_WITHOUT_CONSENT)

    rows = decisions(db, case_id)
    screening = [r for r in rows if r.stage == "screening"]
    assert [(r.recipient, r.decision) for r in screening] == [("police", "share"), ("health", "share")]
    for row in screening:
        assert (row.consent_status, row.reason_without_consent) == ("not-sought", WITHOUT_CONSENT["consent_reason"])
        assert (row.lawful_basis_art6, row.condition_art9, row.law_enforcement_part3) == \
            ("uk-gdpr-6-1-e", "dpa-sch1-para18", False)
        assert row.what_shared == ["contact-summary", "subjects"] and row.product is None
        assert row.decided_by == "mash-manager" and row.subject_informed is None

    out = [r for r in rows if r.stage == "dissemination"]
    assert [(r.recipient, r.decision, r.purpose) for r in out] == [("early-help", "share", "assessment"),
                                                                  ("assessment-team", "share", "assessment")]
    for row in out:
        assert row.consent_status == "refused"
        assert row.reason_without_consent == SHARED_WITHOUT_CONSENT["sharing_consent_reason"]
        assert (row.lawful_basis_art6, row.condition_art9) == ("uk-gdpr-6-1-e", "dpa-sch1-para18")
        assert (row.subject_informed, row.subject_informed_reason) == (
            False, SHARED_WITHOUT_CONSENT["subject_informed_reason"])
        assert [(w["agency"], w["reason"]) for w in row.withheld] == [("police", "hub-only")]
        assert row.identities_protected == 2
        # The MASH manager decided it at the decision; business support sent it (#18).
        assert (row.decided_by, row.sent_by, row.sent_method) == ("mash-manager", "business-support", "secure-email")
        assert row.sent_at >= row.decided_at
        assert POLICE_FINDINGS not in str(row.product)
    assert out[0].task_id == out[1].task_id

    with db.unit_of_work(write=False) as session:
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id,
                                                               AuditEvent.action == "sharing.decided")))
    assert len(events) == 4
    assert "Mary" not in str([(e.summary, e.details) for e in events])
    assert "alleged" not in str([(e.summary, e.details) for e in events])


def test_a_decision_not_to_share_is_recorded_too(api, db):
    case_id = disseminated(api, ["none"], sharing_consent="refused")

    out = [r for r in decisions(db, case_id) if r.stage == "dissemination"]
    assert [(r.recipient, r.decision, r.consent_status, r.product) for r in out] == [
        (None, "not-share", "refused", None)]
    assert out[0].reason_without_consent is None  # nothing went out without consent


def test_a_blue_screening_records_that_nothing_was_shared(api, db):
    from tests import factories as f
    from tests.api.test_referral_walks import complete, report

    case_id = report(api)
    complete(api, case_id, "screening", "mash-manager", f.screening("blue", [], consent="refused"))

    assert [(r.stage, r.recipient, r.decision, r.consent_status) for r in decisions(db, case_id)] == \
        [("screening", None, "not-share", "refused")]


def test_police_law_enforcement_processing_is_flagged_as_part_3(api, db):
    from tests import factories as f
    from tests.api.test_referral_walks import complete, report

    case_id = report(api)
    complete(api, case_id, "screening", "mash-manager", f.screening(
        "red", ["police"], consent="not-sought", consent_reason="Risk of alerting the suspect.",
        lawful_basis="dpa-part3-sch8", special_category_condition="dpa-part3-sch8"))

    [row] = decisions(db, case_id)
    assert (row.lawful_basis_art6, row.law_enforcement_part3) == ("dpa-part3-sch8", True)


def test_restricted_findings_are_absent_from_the_product_and_identities_hidden_but_the_hub_reads_them(api, web, db):
    case_id = disseminated(api, ["early-help", "assessment-team"], **SHARED_WITHOUT_CONSENT)

    manager = web("mash-manager")
    case_page = manager.get(f"/cases/{case_id}").get_data(as_text=True)
    # Inside the hub: the police intelligence and the names are on the case record.
    assert POLICE_FINDINGS in case_page
    assert "mary jones" in case_page and "Tom O’Neill" in case_page
    assert 'id="sharing"' in case_page
    links = product_link(case_page)
    assert set(links) == {"Early help", "Assessment team"}

    response = manager.get(links["Early help"])
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    product = page[page.index('id="information-product"'):page.index('id="dissemination-record"')]
    assert "Covert intelligence" not in product and "Covert intelligence" not in page
    assert "jones" not in product.lower() and "neill" not in product.lower()
    assert "bruising to the arm noted" in product
    assert product.count(REDACTED) == 2
    assert HELD_IN_HUB in product
    findings = product[product.index('id="product-findings"'):]
    assert "Health" in findings and "Police" not in findings
    # The dissemination record itself: recipient, consent position, basis, what was left out.
    record = page[page.index('id="dissemination-record"'):]
    assert "Early help" in record and "Refused" in record
    assert "UK GDPR Article 6(1)(e): public task" in record
    assert "Police (marked for the hub only)" in record

    # Business support, who sends it, may read it; an agency reads only a product sent to it (need to know).
    # Each render is audited with codes only.
    assert web("business-support").get(links["Assessment team"]).status_code == 200
    assert web("health").get(links["Assessment team"]).status_code == 404
    with db.unit_of_work(write=False) as session:
        views = list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id,
                                                              AuditEvent.action == "information-product.viewed")))
    assert [e.username for e in views] == ["mash-manager", "business-support"]
    assert {e.details["recipient"] for e in views} == {"early-help", "assessment-team"}
    assert "Ava" not in str([(e.summary, e.details) for e in views])


def test_only_dissemination_shares_of_this_case_have_a_product_page(api, web, db):
    case_id = disseminated(api, ["early-help"])
    other = screened_without_consent(api, given="Noah", family="Brown")
    rows = decisions(db, case_id)
    share = next(r for r in rows if r.stage == "dissemination")
    screening = next(r for r in rows if r.stage == "screening")
    manager = web("mash-manager")

    assert manager.get(f"/cases/{case_id}/information-product/{share.id}").status_code == 200
    assert manager.get(f"/cases/{case_id}/information-product/{screening.id}").status_code == 404
    assert manager.get(f"/cases/{other}/information-product/{share.id}").status_code == 404
    assert web("referrer").get(f"/cases/{case_id}/information-product/{share.id}").status_code == 403
    assert web("auditor").get(f"/cases/{case_id}/information-product/{share.id}").status_code == 403
