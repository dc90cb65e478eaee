"""The token simulation page tries a process's decision tables with typed-in case data, without script: the
engine evaluates the table as it would for a case, and nothing is stored."""
from __future__ import annotations

import html
import re

from app.core.actor import Actor
from app.core.config import PROJECT_ROOT
from app.process_models.deploy import UploadedFile, deploy
from tests.dmn_tables import process

OWNER = Actor(user_id=None, username="process-owner", roles=frozenset({"process-owner"}))
PAGE = "/training/simulation/decide"


def words(response) -> str:
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split()))


def test_a_trainer_tries_the_domestic_abuse_table_and_sees_the_rule_it_meets(web, db):
    table = (PROJECT_ROOT / "processes" / "domestic-abuse.dmn").read_bytes()
    with db.unit_of_work() as session:
        deploy(session, [UploadedFile("decide.bpmn", process("domestic_abuse")),
                         UploadedFile("domestic-abuse.dmn", table)], OWNER, process_id="decide", note="DA table")
    trainer = web("trainer")
    blank = trainer.get(PAGE)
    assert blank.status_code == 200 and 'name="decide_it-dash_ticks"' in blank.get_data(as_text=True)
    tried = trainer.get(PAGE, query_string={"try": "decide_it", "decide_it-dash_risk_level": "medium",
                                            "decide_it-dash_ticks": "15", "decide_it-escalation": "False",
                                            "decide_it-children_in_household": "2", "decide_it-pregnancy": "False"})
    said = words(tried)
    assert "Rule 4 fits." in said and "marac_required True" in said and "minimum_rating Red" in said
    assert "da_rule 14 or more ticks, children in the household" in said
    missing = trainer.get(PAGE, query_string={"try": "decide_it", "decide_it-dash_risk_level": "high"})
    assert "A case with these values would stop here" in words(missing)
