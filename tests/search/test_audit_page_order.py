"""The audit page reads newest first, with a day picker and older pages; the API, the CSV download and the case
trail keep chain order (tests/audit/test_audit_reading.py)."""
from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from app.core.clock import clock
from tests.api.test_referral_walks import report

MONDAY_10 = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)


def seqs(page: str) -> list[int]:
    body = page.split('id="audit-entries"')[1].split("</table>")[0]
    return [int(n) for n in re.findall(r'<tr class="govuk-table__row"><td class="govuk-table__cell">(\d+)</td>', body)]


def test_the_page_is_newest_first_and_pages_back(api, web):
    clock.freeze(MONDAY_10)
    report(api)
    report(api, given="Ben")
    auditor = web("auditor")
    page = auditor.get("/audit").get_data(as_text=True)
    shown = seqs(page)
    assert shown == sorted(shown, reverse=True) and len(shown) > 4
    first = auditor.get("/audit?limit=3").get_data(as_text=True)
    assert len(seqs(first)) == 3 and seqs(first) == sorted(seqs(first), reverse=True)
    assert seqs(first)[0] > shown[0]  # reading the first page is on the trail: now the newest entry
    older = re.search(r'href="([^"]+)" rel="next">Older entries', first).group(1).replace("&amp;", "&")
    second = auditor.get(older).get_data(as_text=True)
    assert max(seqs(second)) < min(seqs(first)) and "Newest entries" in second
    api_order = [e["seq"] for e in api("auditor").get("/api/v1/audit").get_json()]
    assert api_order == sorted(api_order)
    rows = list(csv.reader(io.StringIO(auditor.get("/audit?format=csv").get_data(as_text=True))))[1:]
    assert [int(r[0]) for r in rows] == sorted(int(r[0]) for r in rows)


def test_the_day_picker_shows_that_days_entries(api, web):
    clock.freeze(MONDAY_10)
    monday_case = report(api)
    clock.advance(timedelta(days=1))
    tuesday_case = report(api, given="Ben")
    auditor = web("auditor")
    page = auditor.get("/audit?on=2027-01-04&action=contact.received").get_data(as_text=True)
    body = page.split('id="audit-entries"')[1]
    assert f'<td class="govuk-table__cell">{monday_case}</td>' in body
    assert f'<td class="govuk-table__cell">{tuesday_case}</td>' not in body
    assert 'type="date"' in page and 'value="2027-01-04"' in page
    bad = auditor.get("/audit?on=4/1/2027").get_data(as_text=True)
    assert "There is a problem" in bad and "The day must be a real date" in bad and 'href="#on"' in bad
