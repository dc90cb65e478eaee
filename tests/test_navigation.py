"""The service navigation is rendered once per set of links (app/web/navigation.py, issue 20); what belongs to the
person signed in (their name, their sign-out form's token) is theirs on every page, never another's with the
same links, and the links are those their roles may use."""
from __future__ import annotations

import re

from app.auth.operations import create_user
from app.core.db import get_db
from tests.conftest import PASSWORD

SLOT = re.compile(r'mash-user__name">([^<]*)</span>.*?name="csrf_token" value="([^"]+)"', re.S)
LINKS = re.compile(r'class="govuk-service-navigation__link" href="([^"]+)"')


def test_two_managers_see_the_same_links_each_with_their_own_name_and_token(app, web):
    with get_db().unit_of_work() as session:
        create_user(session, "second-manager", display_name="Second Manager", agency="Children's social care",
                    roles=["mash-manager"], password=PASSWORD)
    first, second, police = web("mash-manager"), web("second-manager"), web("police")
    seen = {}
    for name, client in (("first", first), ("second", second), ("police", police), ("first again", first)):
        page = client.get("/inbox").get_data(as_text=True)
        nav = page[page.index('<section aria-label="Service information"'):page.index("</section>")]
        person, token = SLOT.search(nav).groups()
        seen[name] = (person, token, LINKS.findall(nav))
        assert 'aria-current="true">' in nav  # the inbox's own link is marked as the current section
    assert seen["first"][0] == "MASH manager (demo)" and seen["second"][0] == "Second Manager"
    assert seen["first"][1] != seen["second"][1]  # each person's own session's token
    assert seen["first"][2] == seen["second"][2] == seen["first again"][2]  # one role, one set of links
    assert "/users" not in seen["first"][2] and "/dashboard" in seen["first"][2]
    assert "/dashboard" not in seen["police"][2] and "/inbox" in seen["police"][2]
    assert seen["first again"][0] == "MASH manager (demo)"
