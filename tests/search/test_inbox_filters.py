"""The inbox's filters and sort, as a police officer on a busy morning uses them: only Red, only breached, only
what I claimed, by step; most urgent or longest waiting first. GET parameters, no JavaScript, still only the
reader's own role's tasks."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from app.core.clock import clock
from tests import factories as f
from tests.api.test_referral_walks import complete, report, task_id

MONDAY_10 = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)


def references(page: str) -> list[str]:
    """The case references of the inbox's rows, top to bottom."""
    body = page.split('<tbody class="govuk-table__body">')[1].split("</tbody>")[0] if "<tbody" in page else ""
    return re.findall(r'<td class="govuk-table__cell mash-nowrap">(MASH-\d{4}-\d{6})</td>', body)


def police_morning(api) -> dict[str, tuple[int, str]]:
    """An Amber check requested first, then a Red one, then a Green one: rating -> (case id, reference)."""
    clock.freeze(MONDAY_10)
    cases = {}
    for rag, given in (("amber", "Alfie"), ("red", "Rhiannon"), ("green", "Gus")):
        case_id = report(api, given=given, dob=None)
        complete(api, case_id, "screening", "mash-manager", f.screening(rag, ["police"]))
        cases[rag] = (case_id, api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()["reference"])
        clock.advance(timedelta(minutes=5))
    return cases


def test_filters_by_rating_deadline_claim_and_step_and_sorts(api, web):
    cases = police_morning(api)
    police = web("police")
    ref = {rag: reference for rag, (_id, reference) in cases.items()}
    assert references(police.get("/inbox").get_data(as_text=True))[0] == ref["red"]  # soonest to breach
    assert references(police.get("/inbox?sort=received").get_data(as_text=True)) == [ref["amber"], ref["red"],
                                                                                        ref["green"]]
    assert references(police.get("/inbox?sort=rag").get_data(as_text=True)) == [ref["red"], ref["amber"],
                                                                                   ref["green"]]
    assert references(police.get("/inbox?rag=red").get_data(as_text=True)) == [ref["red"]]
    clock.advance(timedelta(hours=5))  # the Red check (4 hours) has breached; Amber and Green have not
    police = web("police")  # signed in again: the session has been idle for hours
    assert references(police.get("/inbox?due=breached").get_data(as_text=True)) == [ref["red"]]
    assert ref["red"] not in references(police.get("/inbox?due=on-track").get_data(as_text=True))
    empty = police.get("/inbox?due=none").get_data(as_text=True)
    assert references(empty) == [] and "No tasks match these filters." in empty
    amber_task = task_id(api, cases["amber"][0], "police_check", "police")
    police.post_form(f"/tasks/{amber_task}/claim", {}, csrf_from="/inbox")
    assert references(police.get("/inbox?mine=yes").get_data(as_text=True)) == [ref["amber"]]
    page = police.get("/inbox?step=Check+police+records&rag=green").get_data(as_text=True)
    assert references(page) == [ref["green"]]
    assert '<option value="Check police records" selected>' in page and 'href="/inbox">Clear filters' in page


def test_a_filter_value_off_the_list_is_shown_in_the_error_summary(api, web):
    police_morning(api)
    page = web("police").get("/inbox?rag=purple&sort=sideways").get_data(as_text=True)
    assert "There is a problem" in page and "Choose a RAG rating from the list" in page
    assert "Choose an order from the list" in page and len(references(page)) == 3


def test_filters_never_show_another_roles_tasks(api, web):
    police_morning(api)
    assert references(web("health").get("/inbox?rag=red").get_data(as_text=True)) == []
    assert references(web("health").get("/inbox?sort=rag").get_data(as_text=True)) == []
