"""The LADO's records keep their own retention, apart from the child's: the rule (Keeping Children Safe in
Education: pension age or 10 years, whichever is longer, on the person's file for substantiated and unsubstantiated
allegations; never on it for unfounded, false or malicious ones), the person's own subject access request, and
`mash retention` erasing the person's details when the time is up, with no personal string of theirs left in any
table while the child's case stays as it was."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.core.clock import clock
from app.lado.models import LadoAllegation
from app.lado.retention import retention_of
from tests.lado.walk import LADO, PRIVATE, allegation, complete, evaluation
from tests.retention.test_anonymise import database_text, survivors
from tests.retention.walks import mash

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


def _row(outcome: str | None, born: date | None, noticed: date = date(2027, 1, 8)) -> LadoAllegation:
    return LadoAllegation(outcome=outcome, date_of_birth=born, came_to_notice_on=noticed,
                          outcome_on=date(2027, 3, 1) if outcome else None)


@pytest.mark.parametrize(("outcome", "born", "kept"), [
    ("substantiated", date(1980, 4, 2), (True, date(2047, 4, 2))),     # pension age (67) is later than 10 years
    ("unsubstantiated", date(1965, 1, 1), (True, date(2037, 1, 8))),   # 10 years from the allegation is later
    ("substantiated", None, (True, date(2037, 1, 8))),                 # 10 years; held for review when due
    ("unfounded", date(1980, 4, 2), (False, date(2028, 3, 1))),        # not on the file: 12 months from the outcome
    ("false", None, (False, date(2028, 3, 1))),
    ("malicious", date(1980, 4, 2), (False, date(2028, 3, 1))),
    (None, date(1980, 4, 2), (False, date(2028, 1, 11))),              # closed at the evaluation: from the closure
])
def test_how_long_the_lado_keeps_an_allegation(outcome, born, kept):
    assert retention_of(_row(outcome, born), date(2027, 1, 11)) == kept


@BOTH
def test_the_persons_details_are_erased_when_their_retention_ends_and_the_childs_case_keeps_its_own(
        api, database_url, tmp_path):
    clock.freeze(datetime(2027, 1, 11, 10, 0, tzinfo=UTC))
    response = api("referrer").post("/api/v1/contacts", json=allegation(noticed="2027-01-08"))
    case_id = response.get_json()["case_id"]
    complete(api, LADO, case_id, "Make the initial evaluation", evaluation("no-further-action", meeting=False))
    # The person asks what the hub holds about them: the LADO's record, the safeguarding lead withheld.
    export = api("admin").post("/api/v1/subject-access-exports", json={
        "given_name": "Quentin", "family_name": "Ravensworth", "date_of_birth": "1980-04-02"}).get_json()
    [held] = export["lado_allegations"]
    assert (held["employer"], held["outcome"], held["threshold"]) == ("Northtown Leisure Trust", None,
                                                                      "no-further-action")
    assert "lead_name" not in held and export["cases"] == []  # they are no subject of the child's case
    assert survivors(list(PRIVATE), database_text()), "the scan must see the person's details before erasure"

    clock.freeze(datetime(2028, 1, 10, 10, 0, tzinfo=UTC))  # a day before the retention ends: nothing goes
    assert "from 0 LADO allegation(s)" in mash(database_url, tmp_path, "retention").output
    clock.freeze(datetime(2028, 1, 12, 10, 0, tzinfo=UTC))
    result = mash(database_url, tmp_path, "retention")
    assert result.exit_code == 0 and "from 1 LADO allegation(s)" in result.output, result.output
    assert survivors(list(PRIVATE), database_text(skip=("audit_event",))) == []
    [record] = api(LADO).get(f"/api/v1/cases/{case_id}/allegation").get_json()
    assert (record["person"]["family_name"], record["person"]["sector"], record["evaluation"]["threshold"]) == (
        None, "sport", "no-further-action")  # the codes stay for the annual return
    child = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()
    assert child["subjects"][0]["given_name"] == "Tilly" and child["anonymised_at"] is None
