"""The map shows the decision table behind a business rule task as a table anyone can read without script."""
from __future__ import annotations

import html
import re

from app.core.actor import Actor
from app.core.config import PROJECT_ROOT
from app.process_models.deploy import UploadedFile, deploy
from tests.dmn_tables import process

OWNER = Actor(user_id=None, username="process-owner", roles=frozenset({"process-owner"}))


def test_a_business_rule_tasks_step_shows_its_table_rule_by_rule(web, db):
    threshold = (PROJECT_ROOT / "processes" / "threshold.dmn").read_bytes()
    with db.unit_of_work() as session:
        deploy(session, [UploadedFile("decide.bpmn", process("threshold")), UploadedFile("threshold.dmn", threshold)],
               OWNER, process_id="decide", note="the threshold as a table")
    page = web("trainer").get("/maps/decide/steps/decide_it")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    table = re.search(r'<table class="govuk-table[^"]*maps-decision" id="maps-decision-threshold">(.*?)</table>',
                      text, re.S)
    assert table, text
    rows = re.findall(r'<tr class="govuk-table__row" data-rule="(\d+)">(.*?)</tr>', table.group(1), re.S)
    assert [number for number, _row in rows] == ["1", "2", "3", "4", "5", "6"]
    words = html.unescape(" ".join(re.sub(r"<[^>]+>", " ", rows[2][1]).split()))
    assert words.startswith("3 Abuse, neglect or domestic abuse and a baby under one.")
    assert '< 1 any "Red" "abuse or neglect, baby under one"' in words
    assert "one rule fits each case (UNIQUE)" in html.unescape(text)
    assert "Decision table (automatic)" in text
