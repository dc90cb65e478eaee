"""Which agencies are involved in a case, read from the records the steps write: a check requested, a return,
a strategy discussion attended, a contact made by one of the agency's users."""
from __future__ import annotations

import pytest

from app.core.clock import now
from app.core.db import get_db
from app.core.roles import AGENCIES
from app.need_to_know.involvement import cases_involving, involved_agencies
from tests import factories as f
from tests.api.test_referral_walks import complete, report
from tests.need_to_know.walks import walked_case

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@BOTH
def test_involvement_follows_the_steps_of_the_case_and_lists_agree_with_one_case(api):
    screened = report(api, given="Cara", family="Lowe")
    complete(api, screened, "screening", "mash-manager", f.screening("amber", ["probation", "youth-justice"]))
    walked = walked_case(api)
    reported = report(api, given="Dan", family="Moss")
    made_by_housing = api("housing").post("/api/v1/contacts", json=f.contact(given="Ben", family="Hart")).get_json()
    expected = {reported: set(), screened: {"probation", "youth-justice"},
                walked.case_id: {"police", "health", "education"}, made_by_housing["case_id"]: {"housing"}}
    with get_db().unit_of_work(write=False) as session:
        assert {case_id: set(involved_agencies(session, case_id)) for case_id in expected} == expected
        for agency in AGENCIES:
            listed = set(session.scalars(cases_involving(session, [agency], user_id=None, at=now())))
            assert listed == {case_id for case_id, agencies in expected.items() if agency in agencies}, agency
