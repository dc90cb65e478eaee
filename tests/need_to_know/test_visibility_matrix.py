"""Need to know, tried as every role on one case the whole hub has touched: what each person *sees*, in the
bytes of every page and answer that can show the case, not only whether a route answers.

The expectations are written out here, role by role, apart from CASE_RULES: loosening any one rule of the
table (an agency seeing cases it is not involved in, another agency's return, the referrer's details; business
support seeing findings...) makes this test fail."""
from __future__ import annotations

import pytest

from app.auth.authorisation import may_use
from app.core.roles import ALL_ROLES
from tests import factories as f
from tests.adults.walks import ADULT_ADDRESS, ADULT_CONCERN, ADULT_NHS_NUMBER, S42_RATIONALE, WISHES, adult_walk
from tests.adults.walks import REFERRER_EMAIL as ADULT_REFERRER_EMAIL
from tests.need_to_know.walks import (
    ADDRESS,
    CONCERN,
    HEALTH_FINDING,
    NHS_NUMBER,
    POLICE_FINDING,
    QUESTIONS,
    RATIONALE,
    REFERRER_EMAIL,
    walked_case,
)

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

#: The information on the walked case, by what the need-to-know rule calls it.
MARKERS = {"police finding": POLICE_FINDING, "health finding": HEALTH_FINDING, "address": ADDRESS,
           "NHS number": NHS_NUMBER, "concern": CONCERN, "referrer's e-mail": REFERRER_EMAIL,
           "decision rationale": RATIONALE, "screener's questions": QUESTIONS}
EVERYTHING = frozenset(MARKERS)
#: An involved agency: the contact, the child's identifiers, the screener's questions, its own return.
AGENCY = frozenset({"address", "NHS number", "concern", "screener's questions"})

#: role -> what that person sees of the walked case; None: the case is not theirs to see at all.
SEES: dict[str, frozenset[str] | None] = {
    "mash-manager": EVERYTHING,
    "social-worker": EVERYTHING,
    "out-of-hours": EVERYTHING,                 # the emergency duty team decides urgent contacts out of hours
    "ops-manager": EVERYTHING,
    "police": AGENCY | {"police finding"},      # its check was requested; its own hub-only return
    "health": AGENCY | {"health finding"},      # its own return, not the police's
    "education": AGENCY,                        # attended the strategy discussion; returned nothing
    "housing": None, "probation": None, "youth-justice": None, "adult-social-care": None,  # never involved
    "business-support": frozenset({"referrer's e-mail", "decision rationale"}),
    "marac-coordinator": None,                  # never referred to MARAC (tests/marac: one that was)
    "lado": None,                               # no allegation on it (tests/lado: one that has)
    "missing-children": None,                   # no missing episode (tests/missing: one that is)
    "auditor": None, "admin": None, "process-owner": None, "trainer": None, "referrer": None,
}


def case_urls(case) -> list[tuple[str, str]]:
    """(endpoint, url) of every page and answer that shows this case or its people."""
    urls = [("cases.show", f"/cases/{case.case_id}"), ("api.get_case", f"/api/v1/cases/{case.case_id}"),
            ("maps.case_map", f"/cases/{case.case_id}/map"), ("api.case_trail", f"/api/v1/cases/{case.case_id}/trail"),
            ("people.case_page", f"/cases/{case.case_id}/people"),
            ("information_product.show", f"/cases/{case.case_id}/information-product")]
    if case.person_id is not None:
        urls += [("concerns.person_chronology", f"/people/{case.person_id}/chronology"),
                 ("concerns.person_chronology", f"/people/{case.person_id}/chronology?format=csv"),
                 ("concerns.household_chronology", f"/people/{case.person_id}/household"),
                 ("api.get_person", f"/api/v1/people/{case.person_id}")]
    return urls


def test_the_walk_gives_every_marker_somewhere(api):
    case = walked_case(api)
    assert case.person_id is not None
    page = api("mash-manager").get(f"/api/v1/cases/{case.case_id}").get_data(as_text=True)
    for name in ("police finding", "health finding", "address", "NHS number", "concern", "decision rationale",
                 "screener's questions"):
        assert MARKERS[name] in page, name


@BOTH
def test_each_role_sees_exactly_what_it_needs_on_every_page_and_answer(api, web):
    case = walked_case(api)
    for role in ALL_ROLES:
        sees = SEES[role]
        roles = frozenset({role})
        shown: dict[str, str] = {}
        for endpoint, url in case_urls(case):
            if not may_use(endpoint, roles):
                continue
            response = api(role).get(url) if url.startswith("/api/") else web(role).get(url)
            where = f"{role} on {url}"
            if sees is None:
                assert response.status_code in (403, 404), where
                continue
            if endpoint in ("cases.show", "api.get_case", "maps.case_map", "api.case_trail"):
                assert response.status_code == 200, where
            if response.status_code == 200:
                shown[url] = response.get_data(as_text=True)
            for name in EVERYTHING - sees:
                assert MARKERS[name] not in response.get_data(as_text=True), f"{where} shows the {name}"
        if sees is not None:
            everything_shown = "".join(shown.values())
            for name in sees:
                assert MARKERS[name] in everything_shown, f"{role} cannot see the {name}"
        # The list of cases names the case exactly when the case is the person's to see.
        if may_use("cases.index", roles):
            listed = web(role).get("/cases?status=all").get_data(as_text=True)
            assert (case.reference in listed) == (sees is not None), role


@BOTH
def test_a_case_an_agency_is_not_involved_in_is_not_found_and_its_contacts_are_its_own(api, web):
    case = walked_case(api)
    housing_case = api("housing").post("/api/v1/contacts", json=f.contact(given="Ben", family="Hart")).get_json()
    for url in (f"/cases/{case.case_id}", f"/cases/{case.case_id}/map"):
        assert web("housing").get(url).status_code == 404
    for url in (f"/api/v1/cases/{case.case_id}", f"/api/v1/cases/{case.case_id}/trail"):
        answer = api("housing").get(url)
        assert answer.status_code == 404
        assert answer.get_json()["errors"][0]["message"] == "There is no case with this id."
    # A user of the agency made the other contact: housing is involved in that one, police is not.
    assert api("housing").get(f"/api/v1/cases/{housing_case['case_id']}").status_code == 200
    assert api("police").get(f"/api/v1/cases/{housing_case['case_id']}").status_code == 404
    listed = web("housing").get("/cases?status=all").get_data(as_text=True)
    assert housing_case["reference"] in listed and case.reference not in listed


# ----------------------------------------------------------------------------- need to know keyed by pathway
#: Adults at risk (issue 22): adult social care decides on the adult pathway (PATHWAY_CASE_RULES) and stays an agency on
#: children's cases, seeing the children's case its adult case is linked to as an involved agency would.
ADULT_MARKERS = {"address": ADULT_ADDRESS, "NHS number": ADULT_NHS_NUMBER, "concern": ADULT_CONCERN,
                 "referrer's e-mail": ADULT_REFERRER_EMAIL, "wishes": WISHES, "s42 rationale": S42_RATIONALE}
ADULT_EVERYTHING = frozenset(ADULT_MARKERS)
#: role -> (what it sees of the adult case, of the linked children's case); None: not found.
ADULT_SEES: dict[str, tuple[frozenset[str] | None, frozenset[str] | None]] = {
    "adult-social-care": (ADULT_EVERYTHING, frozenset({"address", "NHS number", "concern"})),
    "mash-manager": (ADULT_EVERYTHING, frozenset({"address", "NHS number", "concern", "referrer's e-mail"})),
    "police": (None, None),  # never involved in either
    "business-support": (frozenset({"referrer's e-mail", "s42 rationale"}), frozenset({"referrer's e-mail"})),
}


@BOTH
def test_adult_social_care_decides_on_the_adult_pathway_and_is_an_agency_on_the_childrens(api, web):
    walk = adult_walk(api)
    for role, sights in ADULT_SEES.items():
        for case_id, reference, sees in ((walk.adult_case_id, walk.adult_reference, sights[0]),
                                         (walk.children_case_id, walk.children_reference, sights[1])):
            urls = [f"/cases/{case_id}", f"/api/v1/cases/{case_id}", f"/api/v1/cases/{case_id}/adult-safeguarding"]
            shown = ""
            for url in urls:
                response = api(role).get(url) if url.startswith("/api/") else web(role).get(url)
                where = f"{role} on {url}"
                if sees is None:
                    assert response.status_code == 404, where
                    continue
                assert response.status_code == 200, where
                body = response.get_data(as_text=True)
                shown += body
                for name in ADULT_EVERYTHING - sees:
                    assert ADULT_MARKERS[name] not in body, f"{where} shows the {name}"
            for name in sees or ():
                assert ADULT_MARKERS[name] in shown, f"{role} cannot see the {name} on case {case_id}"
            listed = web(role).get("/cases?status=all").get_data(as_text=True)
            assert (reference in listed) == (sees is not None), (role, reference)
    # Still an agency on a children's case it has no part in: not found, not listed.
    other = walked_case(api)
    assert api("adult-social-care").get(f"/api/v1/cases/{other.case_id}").status_code == 404
    assert other.reference not in web("adult-social-care").get("/cases?status=all").get_data(as_text=True)
