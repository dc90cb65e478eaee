"""The missing children coordinator's list (/missing), in the bytes each reader gets: open episodes first, each with
the child, the police risk grading, when the child went missing and came back (or "Still missing"), the return
home interview's due time, offer and whether it was held, and the repeat flag; paged; every view audited. The hub's
decision makers read it too; an agency, business support and the LADO are refused and never see a child's name."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.core.clock import clock
from tests.api.test_referral_walks import report
from tests.missing.notifications import interview, missing_person, offer
from tests.missing.test_pathway import COORDINATOR, complete, notify

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
NOTIFIED = datetime(2027, 1, 12, 9, 0, tzinfo=UTC)
STILL = {"given_name": "Anouk", "family_name": "Wetherall", "date_of_birth": "2012-05-05"}
BACK = {"given_name": "Lorcan", "family_name": "Pendragon", "date_of_birth": "2010-08-30"}
REPEAT = {"given_name": "Saoirse", "family_name": "Blackwood", "date_of_birth": "2011-11-11"}
NAMES = ("Anouk Wetherall", "Lorcan Pendragon", "Saoirse Blackwood")


def _rows(page: str) -> list[str]:
    """The table's rows as text, tags removed and spaces squeezed."""
    body = page.split('<tbody class="govuk-table__body">', 1)[1].split("</tbody>", 1)[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in body.split("</tr>")[:-1]]


def _episodes(api) -> dict[str, int]:
    clock.freeze(NOTIFIED - timedelta(days=20))
    back = notify(api, missing_person(clock.now() - timedelta(hours=8), child=BACK, risk="low",
                                      returned=clock.now() - timedelta(hours=2)))
    complete(api, COORDINATOR, back, "offer", offer(accepted=True))
    complete(api, COORDINATOR, back, "interview", interview("2027-01-03"))
    for days in (15, 10):  # two earlier episodes of the same child: the third is a repeat
        clock.freeze(NOTIFIED - timedelta(days=days))
        notify(api, missing_person(clock.now() - timedelta(hours=5), child=REPEAT, risk="medium",
                                   returned=clock.now() - timedelta(hours=1)))
    clock.freeze(NOTIFIED - timedelta(hours=1))
    repeat = notify(api, missing_person(clock.now() - timedelta(hours=6), child=REPEAT, risk="medium",
                                        returned=clock.now() - timedelta(hours=1)))
    clock.freeze(NOTIFIED)
    still = notify(api, missing_person(NOTIFIED - timedelta(hours=3), child=STILL, risk="high"))
    report(api, given="Nobody", family="Missing")  # a plain contact: never on the list
    return {"still": still, "back": back, "repeat": repeat}


@BOTH
def test_each_reader_gets_the_list_their_role_allows(api, web, db):
    _episodes(api)
    for user in (COORDINATOR, "mash-manager", "social-worker"):
        response = web(user).get("/missing")
        assert response.status_code == 200, user
        page = response.get_data(as_text=True)
        rows = _rows(page)
        assert len(rows) == 5 and "5 episodes" in page, (user, rows)
        # Open episodes first (the oldest first), then the closed ones (the latest first).
        assert [next(n for n in NAMES if n in row) for row in rows] == [
            "Saoirse Blackwood", "Saoirse Blackwood", "Saoirse Blackwood", "Anouk Wetherall", "Lorcan Pendragon"]
        still, closed = rows[3], rows[4]
        assert "High risk" in still and "Still missing" in still and "12 Jan 2027" in still
        assert "Not yet due" in still and "Repeat" not in still
        assert "Low risk" in closed and "Offered" in closed and "Held 3 Jan 2027" in closed and "Closed" in closed
        assert "Repeat" in rows[2] and "Repeat" not in rows[0]  # the third episode in 90 days
        assert "Due 15 Jan 2027" in rows[2] and "Not yet offered" in rows[2]
        assert 'class="govuk-table"' in page and "Nobody" not in page
        assert 'href="/missing"' in page  # in the header's navigation

    for user in ("police", "health", "business-support", "lado", "referrer"):
        response = web(user).get("/missing")
        assert response.status_code in (403, 404), user
        assert not any(name.split()[1] in response.get_data(as_text=True) for name in NAMES), user
        assert 'href="/missing"' not in web(user).get("/").get_data(as_text=True), user

    with db.unit_of_work(write=False) as session:
        listed = session.scalars(select(AuditEvent).where(AuditEvent.action == "missing.listed")
                                 .order_by(AuditEvent.id)).all()
        assert [(e.username, e.details["shown"]) for e in listed] == [
            (COORDINATOR, 5), ("mash-manager", 5), ("social-worker", 5)]


def test_the_list_is_paged(api, web, monkeypatch):
    import app.missing.queries as queries

    _episodes(api)
    monkeypatch.setattr(queries, "EPISODES_PER_PAGE", 2)
    first = web(COORDINATOR).get("/missing").get_data(as_text=True)
    assert "5 episodes, page 1 of 3" in first and "govuk-pagination" in first and 'href="/missing?page=2"' in first
    last = web(COORDINATOR).get("/missing?page=3").get_data(as_text=True)
    [only] = _rows(last)
    assert "Lorcan Pendragon" in only and 'href="/missing?page=2"' in last
    assert web(COORDINATOR).get("/missing?page=9").status_code == 404
    assert web(COORDINATOR).get("/missing?page=x").status_code == 404
