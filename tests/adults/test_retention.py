"""Adult safeguarding records join the personal-data life cycle: the subject access export holds the adult's record,
and `mash retention` anonymises a concern that needed no section 42 enquiry once its own period has passed
(MASH_RETENTION_ADULT_MONTHS, default 72), leaving no personal string anywhere in the database (a full scan) while
the codes stay for the Safeguarding Adults Collection; a concern that went to an enquiry is kept."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.adults.models import AdultSafeguarding
from app.core.clock import clock
from app.core.db import get_db
from tests.adults.concerns import OUTCOME, adult_concern, consent_capacity, s42_decision
from tests.api.test_referral_walks import complete
from tests.retention.test_anonymise import database_text, survivors
from tests.retention.walks import T0, mash

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
TAG = "AQX909"


def _concern(api, given: str, family: str, decision: str) -> int:
    """Every free text names the adult (``given``), so a scan finds what is left of each."""
    tag = f"{given} {TAG}"
    body = adult_concern(adult=f"{given} {family}", consents="no",
                         referrer={"name": f"Dr Pemberton for {given}", "organisation": f"Surgery {tag}",
                                   "role": "GP"},
                         care_needs=f"Needs noted {tag}", concern=f"Concern about {tag}")
    body["adult"].update(date_of_birth="1939-12-01", address=f"5 Quince Walk {tag}")
    body["adult"].pop("nhs_number")
    body["consent_reason"] = f"Reason without consent {tag}"
    case_id = api("referrer").post("/api/v1/contacts", json=body).get_json()["case_id"]
    complete(api, case_id, "record_adult_consent_capacity", "adult-social-care", consent_capacity(
        adult_consent="refused", adult_override_reason=f"Override {tag}", adult_capacity_note=f"Capacity {tag}",
        adult_desired_outcomes=f"Wishes {tag}"))
    complete(api, case_id, "s42_decision", "adult-social-care",
             {**s42_decision(decision, duty=decision == "enquiry"), "adult_decision_rationale": f"Reasons {tag}"})
    if decision == "enquiry":
        complete(api, case_id, "record_enquiry_outcome", "adult-social-care",
                 {**OUTCOME, "adult_actions_taken": f"Actions {tag}"})
    return case_id


@BOTH
def test_a_concern_without_an_enquiry_is_anonymised_after_its_period_and_its_codes_stay(api, database_url, tmp_path):
    clock.freeze(T0)
    gone = _concern(api, "Philomena", "Ravenscroft", "no-enquiry")
    kept = _concern(api, "Leopold", "Ravenscroft", "enquiry")
    out = tmp_path / "sar.json"
    result = mash(database_url, tmp_path, "subject-access", "--given-name", "Philomena", "--family-name",
                  "Ravenscroft", "--date-of-birth", "1939-12-01", "--out", str(out))
    assert result.exit_code == 0, result.output
    exported = json.dumps(json.loads(out.read_text()))
    assert "Wishes Philomena" in exported and "Leopold" not in exported  # her own record, no one else's
    assert survivors(["Philomena"], database_text()), "the scan must see the personal data before anonymisation"

    clock.freeze(T0 + timedelta(days=365 * 6 + 40))  # past 72 months
    result = mash(database_url, tmp_path, "retention")
    assert result.exit_code == 0, result.output
    assert "Anonymised 1 contact(s)" in result.output
    with get_db().unit_of_work(write=False) as session:
        rows = {r.case_id: r for r in session.scalars(select(AdultSafeguarding))}
        assert (rows[gone].s42_decision, rows[gone].abuse_kinds, rows[gone].capacity_note) == (
            "no-enquiry", ["financial", "psychological"], None)
        assert rows[kept].capacity_note == f"Capacity Leopold {TAG}"  # an enquiry's record: the longer schedule
    # Everything naming the anonymised adult is gone; the other adult keeps theirs.
    after = database_text(skip=("audit_event",))
    assert survivors(["Philomena"], after) == []
    assert survivors(["Leopold"], after)
    assert survivors(["Philomena"], {"audit_event": database_text()["audit_event"]}) == []
