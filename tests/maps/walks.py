"""Cases walked through the hub on a frozen clock, and reading what a map page embeds for its script."""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from app.core.clock import clock
from tests import factories as f
from tests.api.test_referral_walks import complete, report

#: Monday 4 January 2027, 10:00 London (UTC in winter): a working day.
MONDAY_10 = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)


def at(minutes: int) -> str:
    """Move the frozen clock to MONDAY_10 + minutes and return that time as the trail writes it."""
    moment = MONDAY_10 + timedelta(minutes=minutes)
    clock.freeze(moment)
    return moment.isoformat()


def walk_to_feedback(api, **contact) -> tuple[int, dict[str, str]]:
    """Contact, screening (amber, police only), the police check, review, decision (NFA), feedback.
    Returns the case id and the time each step was done."""
    times = {"contact": at(0)}
    case_id = report(api, **contact)
    times["screening"] = at(5)
    complete(api, case_id, "screening", "mash-manager", f.screening("amber", ["police"]))
    times["police_check"] = at(30)
    complete(api, case_id, "police_check", "police", f.agency_return())
    times["mash_review"] = at(60)
    complete(api, case_id, "mash_review", "mash-manager", f.review())
    times["decision"] = at(75)
    complete(api, case_id, "decision", "mash-manager", f.decision("nfa"))
    times["feedback_to_referrer"] = at(90)
    complete(api, case_id, "feedback_to_referrer", "business-support", f.feedback())
    return case_id, times


def map_data(html: str) -> dict:
    """The JSON a map page embeds for its script (#maps-data)."""
    found = re.search(r'<script type="application/json" id="maps-data">(.*?)</script>', html, re.S)
    assert found, "the page embeds no map data"
    return json.loads(found.group(1))


def table_rows(html: str, table_id: str) -> list[list[str]]:
    """The text of each body row of a table, cell by cell (tags dropped, spaces collapsed)."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert table, f"no table #{table_id}"
    body = re.search(r"<tbody[^>]*>(.*?)</tbody>", table.group(0), re.S).group(1)
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rows.append([" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells])
    return rows


def frame_at(data: dict, k: int) -> dict:
    """A case map's frame k whole: the page sends each frame as what changed since the one before."""
    elements: dict = {}
    flows: list = []
    for change in data["frames"][:k + 1]:
        elements.update(change["elements"])
        flows += change["flows"]
    deadlines = [{**data["deadlines"][deadline], "element_id": element_id, "state": state}
                 for deadline, element_id, state in data["frames"][k]["deadlines"]]
    return {"elements": elements, "flows": flows, "deadlines": deadlines}
