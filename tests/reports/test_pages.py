"""The /reports page, its CSVs, the MI dataset (page and API) and the presenting factors recorded at screening."""
from __future__ import annotations

import csv
import io
import re

from jsonschema import Draft202012Validator
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.models import Case
from app.core.clock import clock
from app.reports.dataset import COLUMNS
from tests import factories as f
from tests.api.test_referral_walks import complete, report, task_id
from tests.reports import hand_counted
from tests.reports.hand_counted import AT
from tests.sharing.test_sharing_forms import summary_links

QUERY = "from=2026-11-01&to=2027-02-28"


def fixture(db) -> dict[str, int]:
    clock.freeze(AT)
    with db.unit_of_work() as session:
        return hand_counted.build(session)


def audit(db, action: str) -> list[dict]:
    with db.unit_of_work(write=False) as session:
        return [e.details for e in session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                                   .order_by(AuditEvent.seq))]


def rows_of(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_page_shows_every_section_with_its_csv_link_and_is_audited(db, web):
    fixture(db)
    page = web("mash-manager").get(f"/reports?{QUERY}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for table in ("contacts-by-source", "conversion-by-source", "time-to-decision", "rag-movement",
                  "rag-movement-rates", "agency-responses", "re-referrals", "conversions", "volume"):
        assert f'id="table-{table}"' in html, table
        assert f"/reports/{table}.csv?from=2026-11-01&amp;to=2027-02-28" in html, table
    # Headlines: 12 contacts; red 75.0% within timescale; 9.1% escalated; 60.0% re-referrals.
    headlines = html[html.index('id="reports-headlines"'):html.index("</dl>")]
    assert [re.sub(r"\s+", " ", h) for h in re.findall(r'<dd class="govuk-heading-l">([^<]+)</dd>', headlines)] == \
        ["12", "75.0%", "9.1%", "60.0%"]
    # Charts are inline SVG with a title and description, drawn with classes (no style attributes).
    assert html.count("<svg class=\"reports-chart\"") == 5
    assert 'aria-labelledby="chart-timeliness-title" aria-describedby="chart-timeliness-desc"' in html
    assert "style=" not in html[html.index("<main"):]
    assert "/reports/mi-dataset.csv?from=2026-11-01&amp;to=2027-02-28" in html
    assert audit(db, "reports.viewed")[-1] == {"from": "2026-11-01", "to": "2027-02-28", "contacts": 12}


def test_each_table_downloads_as_csv_with_the_same_rows(db, web):
    fixture(db)
    manager = web("mash-manager")
    response = manager.get(f"/reports/agency-responses.csv?{QUERY}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="mash-agency-responses-2027-03-15.csv"' in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.splitlines()[0] == ("agency,requests,returned,median_hours,p90_hours,returned_by_due,late_returns,"
                                    "returned_by_due_percent,outstanding,outstanding_overdue")
    assert text.splitlines()[1] == "Police,4,3,24.0,24.0,3,0,75.0,1,1"
    assert text.splitlines()[2] == "Health,2,2,14.5,24.0,1,1,50.0,0,0"
    timeliness = rows_of(manager.get(f"/reports/time-to-decision.csv?{QUERY}").get_data(as_text=True))
    assert [r["rag"] for r in timeliness] == ["Red", "Amber", "Green", "Blue", "All rated"]
    assert timeliness[0]["within_timescale_percent"] == "75.0" and timeliness[3]["within_timescale_percent"] == ""
    police = rows_of(manager.get(f"/reports/conversion-by-source.csv?{QUERY}&source=police").get_data(as_text=True))
    assert police == [{"source_agency": "Police", "contacts": "5", "nfa_percent": "20.0", "early-help_percent": "0.0",
                       "s17-assessment_percent": "40.0", "strategy-discussion_percent": "20.0"}]
    assert audit(db, "reports.exported")[-1] == {"table": "conversion-by-source", "from": "2026-11-01",
                                                 "to": "2027-02-28", "source": "police", "rows": 1}
    assert manager.get(f"/reports/no-such-table.csv?{QUERY}").status_code == 404


def test_bad_periods_and_filters_show_the_error_summary(db, web):
    manager = web("mash-manager")
    html = manager.get("/reports?from=2027-02-30&to=2027-01-01&source=aliens&rag=purple&channel=fax"
                       ).get_data(as_text=True)
    assert "<title>Error:" in html
    assert summary_links(html) == [("from", "The start date must be a real date, like 2027-01-31"),
                                   ("source", "Select a source agency from the list"),
                                   ("rag", "Select a RAG rating from the list"),
                                   ("channel", "Select a channel from the list")]
    assert 'id="table-' not in html
    html = manager.get("/reports?from=2027-02-01&to=2027-01-01").get_data(as_text=True)
    assert summary_links(html) == [("to", "The end date must be the same as or after the start date")]
    # A download with a bad filter goes back to the page, where the errors show.
    refused = manager.get("/reports/volume.csv?from=nonsense")
    assert refused.status_code == 302 and "/reports?from=nonsense" in refused.headers["Location"]


def test_the_mi_dataset_csv_has_the_camden_fields_and_no_names(db, web):
    names = fixture(db)
    response = web("ops-manager").get(f"/reports/mi-dataset.csv?{QUERY}")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and text.splitlines()[0] == ",".join(COLUMNS)
    rows = {r["contact_id"]: r for r in rows_of(text)}
    assert len(rows) == 12
    c11 = rows[str(names["C11"])]
    assert c11 == {
        "contact_id": str(names["C11"]), "reference": "MASH-TEST-C11", "received_at": "2027-02-09T10:00:00+00:00",
        "source_code": "6", "source_label": "Police", "source_agency": "police", "channel": "api",
        "presenting_factors": "3B;18C", "rag_before": "red", "rag_after": "red", "rag_movement": "unchanged",
        "outcome": "s17-assessment", "outcome_label": "Child and family (section 17) assessment",
        "ssd_outcome_flag": "NEW_REFERRAL_FLAG", "decided_at": "2027-02-09T13:00:00+00:00",
        "hours_to_decision": "3.0", "working_hours_to_decision": "3.0", "within_timescale": "yes", "referral": "yes",
        # Decided before referral dates were recorded: dated by the decision.
        "referral_date": "2027-02-09T13:00:00+00:00", "re_referral_within_12_months": "yes",
        "referrals_in_last_12_months": "2", "strategy_discussion": "no",
        "section_47": "no", "child_age_at_contact": "11", "child_gender": "2"}  # born 10 Feb 2015: 11 on 9 Feb 2027
    c10 = rows[str(names["C10"])]
    assert (c10["outcome"], c10["ssd_outcome_flag"], c10["referral"], c10["re_referral_within_12_months"]) == \
        ("existing-open-case", "EXISTING_REFERRAL_FLAG", "no", "")
    c1 = rows[str(names["C1"])]
    assert (c1["strategy_discussion"], c1["section_47"], c1["ssd_outcome_flag"]) == ("yes", "yes", "CP_ENQUIRY_FLAG")
    assert "Fictional" not in text and "Concern." not in text and "2015-02-10" not in text
    assert audit(db, "reports.exported")[-1] == {"table": "mi-dataset", "from": "2026-11-01", "to": "2027-02-28",
                                                 "rows": 12}


def test_the_mi_dataset_api_answers_json_or_csv_and_matches_the_openapi_document(db, api):
    names = fixture(db)
    manager = api("mash-manager")
    body = manager.get(f"/api/v1/reports/mi-dataset?{QUERY}").get_json()
    document = manager.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/reports/mi-dataset"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert [e.message for e in Draft202012Validator(schema).iter_errors(body)] == []
    assert "text/csv" in operation["responses"]["200"]["content"]
    by_id = {row["contact_id"]: row for row in body}
    assert by_id[names["C11"]]["presenting_factors"] == ["3B", "18C"]
    assert by_id[names["C11"]]["referrals_in_last_12_months"] == 2
    assert by_id[names["C9"]]["within_timescale"] is None and by_id[names["C2"]]["within_timescale"] is False
    assert by_id[names["C6"]]["rag_movement"] == "de-escalated"
    assert by_id[names["C1"]]["working_hours_to_decision"] == 2.0

    as_csv = manager.get(f"/api/v1/reports/mi-dataset?{QUERY}&rag=red", headers={"Accept": "text/csv"})
    assert as_csv.mimetype == "text/csv"
    assert len(rows_of(as_csv.get_data(as_text=True))) == 4  # C1, C2, C4, C11
    assert audit(db, "reports.exported")[-2:] == [
        {"via": "api", "table": "mi-dataset", "format": "json", "from": "2026-11-01", "to": "2027-02-28", "rows": 12},
        {"via": "api", "table": "mi-dataset", "format": "csv", "from": "2026-11-01", "to": "2027-02-28", "rag": "red",
         "rows": 4}]

    refused = manager.get("/api/v1/reports/mi-dataset?from=2027-13-01&channel=pigeon")
    assert refused.status_code == 422
    assert refused.get_json() == {"errors": [
        {"field": "from", "message": "The start date must be a real date, like 2027-01-31"},
        {"field": "channel", "message": "Select a channel from the list"}]}
    assert api("police").get(f"/api/v1/reports/mi-dataset?{QUERY}").status_code == 403


def test_screening_requires_presenting_factors_and_records_them(db, api, web):
    case_id = report(api)
    task = task_id(api, case_id, "screening", "mash-manager")
    missing = api("mash-manager").post(f"/api/v1/tasks/{task}/complete",
                                       json={k: v for k, v in f.screening().items() if k != "presenting_factors"})
    assert missing.status_code == 422
    assert missing.get_json()["errors"] == [
        {"field": "presenting_factors", "message": "Select the presenting factors, or “No factors identified”"}]
    mixed = web("mash-manager").post_form(f"/tasks/{task}", {**f.screening(factors=["21", "16A"])})
    assert summary_links(mixed.get_data(as_text=True)) == [
        ("presenting_factors", "“No factors identified” cannot be selected with other factors")]
    after = complete(api, case_id, "screening", "mash-manager", f.screening(factors=["16A", "4B"]))
    with db.unit_of_work(write=False) as session:
        assert session.get(Case, case_id).presenting_factors == ["16A", "4B"]
    assert after["presenting_factors"] == ["16A", "4B"]  # the case API shows the coding


def test_annex_a_lists_1_and_3_have_the_template_columns_and_the_hand_counted_rows(db, web):
    fixture(db)
    manager = web("mash-manager")
    page = manager.get(f"/reports?{QUERY}").get_data(as_text=True)
    assert "/reports/annex-a/list-1.csv?from=2026-11-01&amp;to=2027-02-28" in page
    contacts = manager.get(f"/reports/annex-a/list-1.csv?{QUERY}")
    assert contacts.status_code == 200
    header = contacts.get_data(as_text=True).splitlines()[0]
    assert header == ("Child Unique ID,Gender,Ethnicity,Date of Birth,Age of Child (Years),Date of Contact,"
                      "Contact Source")
    list_1 = rows_of(contacts.get_data(as_text=True))
    # One child on each of the 12 contacts (parents are not listed), oldest contact first: C12 on 23 Nov.
    assert len(list_1) == 12
    assert [r["Date of Contact"] for r in list_1][:2] == ["23/11/2026", "11/01/2027"]
    assert {r["Contact Source"] for r in list_1} == {"q) 6: Police", "e) 2A: Schools", "g) 3A: Health services",
                                                    "a) 1A: Individual"}
    assert {r["Ethnicity"] for r in list_1} == {"s) NOBT"}  # not asked at the front door

    referrals = rows_of(manager.get(f"/reports/annex-a/list-3.csv?{QUERY}").get_data(as_text=True))
    # Referrals: C12, C1, C2, C4, C11. Previous referrals in the 12 months before, per child (hand count):
    # C12 (child X): E0 on 2 Mar 2026 (E_old, 1 Oct 2025, is too early) = 1; C1 (child Y) = 0;
    # C2 (P2): E2 on 1 Jun 2026 (E1, 1 Dec 2025, is too early) = 1; C4 (no person record) = 0;
    # C11 (P11, merged into P2b, merged into P2): E2 and C2 = 2.
    by_date = {r["Date of referral"]: r for r in referrals}
    assert {day: int(r["Number of Referrals in Last 12 Months"]) for day, r in by_date.items()} == {
        "24/11/2026": 1, "11/01/2027": 0, "13/01/2027": 1, "20/01/2027": 0, "09/02/2027": 2}
    assert by_date["13/01/2027"]["Child Unique ID"] == by_date["09/02/2027"]["Child Unique ID"]  # one child
    assert by_date["20/01/2027"]["Child Unique ID"].startswith("S")  # no person record: the subject itself
    # C4's strategy discussion ended in no further action: the census's ReferralNFA; the others went on.
    assert {day: r["Referral NFA?"] for day, r in by_date.items()} == {
        "24/11/2026": "b) No", "11/01/2027": "b) No", "13/01/2027": "b) No", "20/01/2027": "a) Yes",
        "09/02/2027": "b) No"}
    assert by_date["11/01/2027"]["Referral Source"] == "q) 6: Police"
    exported = [d for d in audit(db, "reports.exported") if d["table"].startswith("annex-a")]
    assert [(d["table"], d["rows"]) for d in exported] == [("annex-a-list-1", 12), ("annex-a-list-3", 5)]
    assert manager.get(f"/reports/annex-a/list-2.csv?{QUERY}").status_code == 404
