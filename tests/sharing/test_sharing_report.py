"""The record of sharing decisions as managers, auditors and inspectors read it: counts, filters, a CSV
and the API, with case references and codes but never names or free text."""
from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.core.clock import clock
from app.sharing.report import CSV_COLUMNS
from tests import factories as f
from tests.api.test_referral_walks import complete, report
from tests.sharing.walks import WITHOUT_CONSENT

MONDAY = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def three_screenings(api) -> dict[str, int]:
    """Monday: checks with consent (police and health). Wednesday: checks without consent (police) and a blue
    contact screened with consent refused (nothing shared)."""
    clock.freeze(MONDAY)
    with_consent = report(api, given="Ava", family="Smith")
    complete(api, with_consent, "screening", "mash-manager", f.screening("amber", ["police", "health"]))
    clock.advance(timedelta(days=2))
    without = report(api, given="Noah", family="Brown")
    complete(api, without, "screening", "mash-manager",
             f.screening("red", ["police"], consent="not-sought", **WITHOUT_CONSENT))
    blue = report(api, given="Isla", family="Green")
    complete(api, blue, "screening", "mash-manager", f.screening("blue", [], consent="refused"))
    return {"with_consent": with_consent, "without": without, "blue": blue}


def counts(html: str, table: str) -> dict[str, tuple[int, int]]:
    """{code: (decisions, records)} from one of the report's count tables."""
    body = html[html.index(f'id="{table}"'):]
    body = body[:body.index("</table>")]
    return {code: (int(d), int(r)) for code, d, r in re.findall(
        r'data-code="([^"]+)">.*?numeric">(\d+)</td><td class="govuk-table__cell govuk-table__cell--numeric">(\d+)<',
        body, re.S)}


def test_the_report_counts_decisions_and_records_by_lawful_basis_and_consent(web, three_screenings):
    html = web("mash-manager").get("/sharing").get_data(as_text=True)

    assert counts(html, "counts-by-consent") == {"given": (1, 2), "not-sought": (1, 1), "refused": (1, 1)}
    assert counts(html, "counts-by-lawful-basis") == {"none": (2, 3), "uk-gdpr-6-1-e": (1, 1)}
    assert "UK GDPR Article 6(1)(e): public task" in html
    assert re.search(r"<strong>3</strong> decisions,\s*<strong>4</strong> records", html)
    for name in ("Ava", "Noah", "Isla", "Smith"):
        assert name not in html
    assert WITHOUT_CONSENT["consent_reason"] not in html


@pytest.mark.parametrize(("query", "consent_counts"), [
    ("?from=2027-01-05", {"not-sought": (1, 1), "refused": (1, 1)}),
    ("?to=2027-01-04", {"given": (1, 2)}),
    ("?from=2027-01-06&to=2027-01-06&consent=refused", {"refused": (1, 1)}),
    ("?lawful_basis=uk-gdpr-6-1-e", {"not-sought": (1, 1)}),
    ("?lawful_basis=dpa-sch1-para18", {"not-sought": (1, 1)}),
    ("?stage=dissemination", {}),
])
def test_the_report_filters_by_period_stage_consent_and_basis(web, three_screenings, query, consent_counts):
    html = web("auditor").get("/sharing" + query).get_data(as_text=True)

    assert counts(html, "counts-by-consent") == consent_counts


def test_a_filter_that_cannot_be_read_shows_the_error_summary(web, three_screenings):
    response = web("ops-manager").get("/sharing?from=2027-02-30&lawful_basis=made-up")

    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<title>Error:" in html
    assert 'href="#from">The start date must be a real date, like 2027-01-31' in html
    assert 'href="#lawful_basis">Select a lawful basis from the list' in html
    assert 'id="sharing-records"' not in html


def test_the_csv_has_case_references_and_codes_but_no_names_or_reasons(web, db, three_screenings):
    response = web("auditor").get("/sharing/decisions.csv?from=2027-01-01")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert re.match(r'attachment; filename="sharing-decisions-\d{4}-\d{2}-\d{2}\.csv"',
                    response.headers["Content-Disposition"])
    text = response.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 4
    assert all(r["case_reference"].startswith("MASH-") for r in rows)
    without = next(r for r in rows if r["consent_status"] == "not-sought")
    assert (without["stage"], without["decision"], without["recipient"]) == ("screening", "share", "police")
    assert (without["lawful_basis_art6"], without["condition_art9"]) == ("uk-gdpr-6-1-e", "dpa-sch1-para18")
    assert without["lawful_basis_label"] == "UK GDPR Article 6(1)(e): public task"
    assert without["reason_without_consent_recorded"] == "yes"
    assert next(r for r in rows if r["consent_status"] == "refused")["decision"] == "not-share"
    for words in ("Ava", "Noah", "Isla", "Smith", "High Street", WITHOUT_CONSENT["consent_reason"]):
        assert words not in text

    with db.unit_of_work(write=False) as session:
        exported = session.scalars(select(AuditEvent).where(AuditEvent.action == "sharing.report-exported")).one()
    assert (exported.username, exported.details) == ("auditor", {"from": "2027-01-01", "records": 4})


def test_the_api_lists_decisions_by_period_and_case_as_the_openapi_document_says(api, three_screenings):
    auditor = api("auditor")
    document = auditor.get("/api/v1/openapi.json").get_json()
    answer = document["paths"]["/api/v1/sharing-decisions"]["get"]["responses"]["200"]
    schema = answer["content"]["application/json"]["schema"]

    everything = auditor.get("/api/v1/sharing-decisions").get_json()
    assert list(Draft202012Validator(schema).iter_errors(everything)) == []
    assert len(everything) == 4
    assert [d["decided_at"] for d in everything] == sorted((d["decided_at"] for d in everything), reverse=True)

    wednesday = auditor.get("/api/v1/sharing-decisions?from=2027-01-06&to=2027-01-06").get_json()
    assert {d["case_id"] for d in wednesday} == {three_screenings["without"], three_screenings["blue"]}
    one = auditor.get(f"/api/v1/sharing-decisions?case_id={three_screenings['with_consent']}").get_json()
    assert sorted((d["recipient"], d["consent_status"], d["lawful_basis_art6"]) for d in one) == \
        [("health", "given", None), ("police", "given", None)]
    assert "Ava" not in str(everything) and WITHOUT_CONSENT["consent_reason"] not in str(everything)

    bad = auditor.get("/api/v1/sharing-decisions?from=yesterday")
    assert bad.status_code == 422
    assert bad.get_json()["errors"] == [
        {"field": "from", "message": "The start date must be a real date, like 2027-01-31"}]


@pytest.mark.parametrize("username", ["police", "social-worker", "referrer", "business-support"])
def test_people_outside_the_reporting_roles_are_refused(api, web, username):
    assert web(username).get("/sharing").status_code == 403
    assert web(username).get("/sharing/decisions.csv").status_code == 403
    assert api(username).get("/api/v1/sharing-decisions").status_code == 403


@pytest.mark.parametrize("username", ["mash-manager", "ops-manager", "auditor"])
def test_the_reporting_roles_see_the_report_in_their_navigation(web, username):
    html = web(username).get("/sharing").get_data(as_text=True)

    assert 'href="/sharing"' in html and "Sharing decisions" in html
