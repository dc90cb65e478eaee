"""The report-a-concern page points each person to the hub's other doors they may use, and to no other."""
from __future__ import annotations

import re

import pytest

DOORS = {
    "/contacts/new/domestic-abuse": "A domestic abuse notification (police)",
    "/contacts/new/missing-person": "A missing child notification (police)",
    "/contacts/new/allegation": "An allegation against someone who works with children (for the LADO)",
    "/contacts/new/adult-at-risk": "A concern about an adult at risk",
}


def offered(web, username: str) -> dict[str, str]:
    page = web(username).get("/contacts/new")
    assert page.status_code == 200
    listed = re.search(r'<ul class="govuk-list govuk-list--bullet" id="other-doors">(.*?)</ul>',
                       page.get_data(as_text=True), re.S)
    if listed is None:
        return {}
    return dict(re.findall(r'<a class="govuk-link" href="([^"]+)">([^<]+)</a>', listed.group(1)))


@pytest.mark.parametrize(("username", "doors"), [
    ("police", list(DOORS)),
    ("referrer", ["/contacts/new/allegation", "/contacts/new/adult-at-risk"]),
    ("health", ["/contacts/new/allegation", "/contacts/new/adult-at-risk"]),
])
def test_each_person_is_offered_the_doors_they_may_use(web, username, doors):
    assert offered(web, username) == {door: DOORS[door] for door in doors}
    for door in doors:  # and each one opens for them
        assert web(username).get(door).status_code == 200
