"""A missing episode joins the hub's records: the child's chronology shows every episode; the subject access export
holds the episode; anonymising the case leaves none of the child, their address, where they were found or what they
said anywhere in the database, while the dates, the risk grading and the interview's progress stay for the MI (the
MI's figures and CSV are checked here too); and the repeat rule file is refused with the line at fault."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.cases.models import Case, Subject
from app.core.actor import SYSTEM
from app.core.clock import clock
from app.core.db import get_db
from app.missing.rules import MissingRuleError, parse_rule
from app.people.models import SubjectMatch
from app.retention.anonymise import anonymise_case
from tests.missing.notifications import missing_person, offer
from tests.missing.test_pathway import COORDINATOR, complete, episode, notify
from tests.retention.test_anonymise import database_text, survivors

NOTIFIED = datetime(2027, 3, 9, 9, 0, tzinfo=UTC)
CHILD = {"given_name": "Zebedee", "family_name": "Quillfeather", "date_of_birth": "2010-10-10",
         "nhs_number": "4010232137", "address": "55 Larkspur Way, Northtown"}
PERSONAL = ["Zebedee", "Quillfeather", "2010-10-10", "4010232137", "55 Larkspur Way", "Under the Larkspur bridge",
            "MP/QX/9911", "PC Ottilie Frame", "Zebedee left after a row", "Under the old Larkspur mill"]


def test_episodes_are_in_the_chronology_the_export_and_the_mi_and_anonymised_with_nothing_left(api, web, db):
    clock.freeze(NOTIFIED - timedelta(days=40))
    earlier = notify(api, missing_person(clock.now() - timedelta(hours=6), child=CHILD, risk="low",
                                         returned=clock.now() - timedelta(hours=1)))
    clock.freeze(NOTIFIED)
    body = missing_person(NOTIFIED - timedelta(hours=10), child=CHILD, risk="high",
                          returned=NOTIFIED - timedelta(hours=2), police_reference="MP/QX/9911",
                          officer_name="PC Ottilie Frame",
                          circumstances="Zebedee left after a row at home.")
    body["found_where"] = "Under the Larkspur bridge"
    case_id = notify(api, body)
    clock.freeze(NOTIFIED + timedelta(hours=80))  # the offer comes after the 72 hours
    closed = complete(api, COORDINATOR, case_id, "offer", offer(accepted=False))
    assert closed["status"] == "closed"
    clock.freeze(NOTIFIED - timedelta(days=40) + timedelta(hours=2))
    complete(api, COORDINATOR, earlier, "offer", {
        "missing_interview_offered": False, "missing_not_offered_reason": "Under the old Larkspur mill: not reached"})

    # The MI before the match is confirmed: two episodes of two records, one offered (late), none accepted.
    csv = web("mash-manager").get("/reports/missing-episodes.csv?from=2027-01-01&to=2027-03-31").get_data(as_text=True)
    lines = csv.splitlines()
    assert lines[0].startswith("risk_grading,episodes,children,repeat_children,returned,interviews_offered,")
    assert lines[-1] == "All episodes,2,2,0,2,1,0,0.0,0,0"

    # The MASH manager confirms the person index's proposal: one child, whose chronology shows both episodes.
    with get_db().unit_of_work() as session:
        match_id = session.scalar(select(SubjectMatch.id).join(Subject, Subject.id == SubjectMatch.subject_id)
                                  .where(Subject.case_id == case_id, SubjectMatch.status == "proposed"))
    assert web("mash-manager").post_form(f"/cases/{case_id}/people/matches/{match_id}/confirm", {}).status_code == 302
    person_id = episode(db, case_id).person_id
    page = web("mash-manager").get(f"/people/{person_id}/chronology").get_data(as_text=True)
    assert "police risk grading: high" in page and "offered after 72 hours, declined" in page
    assert "police risk grading: low" in page and "return home interview not offered" in page
    assert "Under the Larkspur bridge" in page

    csv = web("mash-manager").get("/reports/missing-episodes.csv?from=2027-01-01&to=2027-03-31").get_data(as_text=True)
    assert csv.splitlines()[-1] == "All episodes,2,1,0,2,1,0,0.0,0,0"  # now one child

    # Subject access: the episode is in the child's export.
    export = api("admin").post("/api/v1/subject-access-exports", json={
        "given_name": "Zebedee", "family_name": "Quillfeather", "date_of_birth": "2010-10-10"}).get_json()
    reference = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()["reference"]
    [held] = [c for c in export["cases"] if c["reference"] == reference]
    assert held["missing_episodes"][0]["found_where"] == "Under the Larkspur bridge"

    assert survivors(PERSONAL, database_text()), "the scan must see the episode before anonymisation"
    clock.advance(timedelta(days=3000))
    with get_db().unit_of_work() as session:
        for found in (case_id, earlier):
            anonymise_case(session, session.get_one(Case, found), SYSTEM, at=clock.now(), policy={})
    assert survivors(PERSONAL, database_text(skip=("audit_event",))) == []
    assert survivors(PERSONAL, {"audit_event": database_text()["audit_event"]}) == []
    kept = episode(db, case_id)
    assert (kept.risk_grading, kept.interview_offered, kept.interview_accepted, kept.person_id) == (
        "high", True, False, None)


@pytest.mark.parametrize(("text", "line", "says"), [
    ("[repeat]\nepisodes = 3\nwindow_days = 0\n", 3, "window_days must be a whole number from 1 to 3660"),
    ("[repeat]\nepisodes = 1\nwindow_days = 90\n", 2, "episodes must be a whole number from 2 to 50"),
    ("[repeat]\nepisodes = 3\nwindow_days = 90\nwindow = 5\n", 4, "has no setting 'window'"),
    ("[repeat]\nepisodes = 3\nwindow_days = 90\n[extra]\n", 4, "unknown setting 'extra'"),
])
def test_the_repeat_rule_file_is_refused_with_the_line_at_fault(text, line, says):
    with pytest.raises(MissingRuleError) as refused:
        parse_rule(text)
    assert f"line {line}: " in str(refused.value) and says in str(refused.value)


def test_the_shipped_rule_is_three_episodes_in_90_days():
    from app.core.config import PROJECT_ROOT
    rule = parse_rule((PROJECT_ROOT / "processes" / "missing-episodes.toml").read_text(encoding="utf-8"))
    assert (rule.episodes, rule.window_days) == (3, 90)
