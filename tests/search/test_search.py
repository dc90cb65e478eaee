"""The hub's one search box, tried as the hub uses it: a case by reference, a child by name (mistyped too), date
of birth in the ways people type it, NHS number with or without spaces, postcode; and need to know in the bytes
of the page and the answer (an agency not involved finds nothing, business support cannot find a child by an
identifier it does not see, a referrer has no search). Every search is audited with its kind, never its text."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.core.db import get_db
from app.search.reading import read_query
from tests import factories as f
from tests.api.test_referral_walks import complete

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
NHS = "9434765919"
BORN = "2015-04-03"


def screened_case(api, given: str = "Rosalind", family: str = "Featherstone", *, dob: str = BORN,
                  nhs_number: str = NHS, address: str = "7 Marker Road, London E1 7AA") -> tuple[int, str]:
    """A Red contact screened with police and health checks: police and health are involved, housing is not."""
    body = f.contact(given=given, family=family, dob=dob, nhs_number=nhs_number)
    body["subjects"][0]["address"] = address
    response = api("referrer").post("/api/v1/contacts", json=body)
    assert response.status_code == 201, response.get_json()
    case_id = response.get_json()["case_id"]
    complete(api, case_id, "screening", "mash-manager", f.screening("red", ["police", "health"]))
    return case_id, response.get_json()["reference"]


def found(api, role: str, q: str) -> dict:
    response = api(role).get("/api/v1/search", query_string={"q": q})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_query_is_read_as_the_kind_people_type():
    assert read_query("mash-2026-12").reference == "MASH-2026-000012"
    assert read_query("MASH-2026-000012").kind == "reference"
    for typed in ("3/4/2015", "03/04/2015", "3.4.2015", "2015-04-03", "3 April 2015", "3 Apr 2015"):
        query = read_query(typed)
        assert (query.kind, query.born) == ("dob", date(2015, 4, 3)), typed
    assert read_query("31/02/2015").problem and read_query("31/02/2015").kind == "dob"
    assert read_query("943 476 5919").nhs_number == NHS
    assert read_query("943-476-5919").nhs_number == NHS
    wrong = read_query("943 476 5918")  # the check digit does not match
    assert wrong.kind == "nhs-number" and wrong.nhs_number is None and "not a valid NHS number" in wrong.problem
    assert read_query("e1 7aa").postcode == "E17AA"
    assert read_query("  Ruby   O'Brien ").words == ("ruby", "o", "brien")
    assert read_query("   ") is None


@BOTH
def test_the_hub_finds_a_case_by_each_kind_of_query(api):
    case_id, reference = screened_case(api)
    screened_case(api, given="Barnaby", family="Quill", dob="2012-09-30", nhs_number="4010232137",
                  address="2 Other Lane, Leeds LS1 4AP")  # another child, never found by the first's name
    for q in (reference, reference.lower(), "Rosalind Featherstone", "featherstone", "Rosalyn Fetherstone",
              "Featherstone Rosalind", "3/4/2015", "2015-04-03", "943 476 5919", NHS, "E1 7AA", "e17aa"):
        answer = found(api, "mash-manager", q)
        assert [c["case_id"] for c in answer["cases"]] == [case_id], q
    by_name = found(api, "mash-manager", "Rosalyn Fetherstone")
    assert by_name["kind"] == "name" and by_name["people"][0]["name"] == "Rosalind Featherstone"
    assert by_name["cases"][0]["subjects"][0]["date_of_birth"] == BORN
    assert found(api, "mash-manager", "Barnaby Quill")["cases"][0]["case_id"] != case_id
    assert found(api, "mash-manager", "Zebedee Nobody") == {"kind": "name", "more": False, "cases": [], "people": []}


def test_the_results_page_lists_the_case_and_the_person_and_works_without_javascript(api, web):
    case_id, reference = screened_case(api)
    page = web("mash-manager").get("/search?q=Rosalyn+Fetherstone").get_data(as_text=True)
    assert f'href="/cases/{case_id}"' in page and reference in page
    assert "Searched by name." in page and "People in the person index (1)" in page
    assert "born 3 April 2015" in page
    assert 'value="Rosalyn Fetherstone"' in page  # the box keeps what was typed
    assert "<script" not in page.split('id="main-content"')[1].split("</main>")[0]


def test_a_query_that_cannot_be_searched_shows_the_error_summary(api, web):
    manager = web("mash-manager")
    page = manager.get("/search?q=943+476+5918").get_data(as_text=True)
    assert "There is a problem" in page and 'href="#q"' in page and "not a valid NHS number" in page
    empty = manager.get("/search?q=").get_data(as_text=True)
    assert "There is a problem" in empty and "Enter a case reference, name" in empty
    assert manager.get("/search").get_data(as_text=True).count("There is a problem") == 0
    assert api("mash-manager").get("/api/v1/search?q=31/02/2015").status_code == 422
    assert api("mash-manager").get("/api/v1/search").status_code == 422


@BOTH
def test_need_to_know_an_agency_finds_only_cases_it_is_involved_in(api, web):
    case_id, reference = screened_case(api)
    for q in (reference, "Rosalind Featherstone", "3/4/2015", NHS, "E1 7AA"):
        assert [c["case_id"] for c in found(api, "police", q)["cases"]] == [case_id], q
        assert found(api, "police", q)["people"] == []  # agencies do not read the person index
        assert found(api, "housing", q)["cases"] == [], q
    for q in (reference, "Rosalind Featherstone", "3/4/2015"):
        answer = api("housing").get("/api/v1/search", query_string={"q": q}).get_data(as_text=True)
        page = web("housing").get("/search", query_string={"q": q}).get_data(as_text=True)
        assert f'value="{q}"' in page  # the box keeps what was typed: nothing else may name the case
        for shown in (answer, page.replace(f'value="{q}"', "")):
            assert reference not in shown and "Featherstone" not in shown and "Rosalind" not in shown \
                and f"/cases/{case_id}" not in shown and "April 2015" not in shown and BORN not in shown, q
    police_page = web("police").get("/search?q=Rosalind+Featherstone").get_data(as_text=True)
    assert reference in police_page and "People in the person index" not in police_page


def test_business_support_finds_by_name_but_not_by_identifiers_it_does_not_see(api, web):
    case_id, reference = screened_case(api)
    by_name = found(api, "business-support", "Rosalind Featherstone")
    assert [c["case_id"] for c in by_name["cases"]] == [case_id]
    assert "date_of_birth" not in by_name["cases"][0]["subjects"][0] and by_name["people"] == []
    for q in ("3/4/2015", NHS, "E1 7AA"):
        assert found(api, "business-support", q)["cases"] == [], q
    page = web("business-support").get("/search?q=Rosalind+Featherstone").get_data(as_text=True)
    assert reference in page and "born 3 April 2015" not in page and "2015" not in page.split("<tbody")[1]


def test_a_referrer_and_others_outside_the_hub_have_no_search(api, web):
    for role in ("referrer", "auditor", "admin", "trainer", "process-owner"):
        assert api(role).get("/api/v1/search?q=Featherstone").status_code == 403, role
    referrer = web("referrer")
    assert referrer.get("/search?q=Featherstone").status_code == 403
    assert 'id="header-search"' not in referrer.get("/contacts/new").get_data(as_text=True)
    assert 'id="header-search"' in web("police").get("/inbox").get_data(as_text=True)


def test_every_search_is_audited_with_its_kind_and_never_its_text(api, web):
    screened_case(api)
    web("police").get("/search?q=Rosalind+Featherstone")
    found(api, "mash-manager", "943 476 5919")
    found(api, "mash-manager", "3/4/2015")
    with get_db().unit_of_work(write=False) as session:
        rows = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "search.made")
                                    .order_by(AuditEvent.seq)))
        seen = [(r.username, r.details["kind"], r.details["via"], r.details["cases"]) for r in rows]
        stored = " ".join(f"{r.summary} {r.details}" for r in rows)
    assert seen == [("police", "name", "page", 1), ("mash-manager", "nhs-number", "api", 1),
                    ("mash-manager", "dob", "api", 1)]
    for text in ("Rosalind", "Featherstone", "rosalind", NHS, "943 476", "3/4/2015", "2015-04-03"):
        assert text not in stored
