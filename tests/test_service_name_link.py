"""The service name in the header takes everyone to their own start page: never to a page they may not open."""
from __future__ import annotations

import re

import pytest

from app.core.roles import ALL_ROLES

SERVICE_LINK = re.compile(r'<a href="([^"]+)" class="govuk-service-navigation__link">\s*MASH case work')


@pytest.mark.parametrize("role", ALL_ROLES)
def test_the_service_name_leads_to_a_page_the_role_may_open(web, role):
    client = web(role)
    start = client.get("/")
    page = client.get(start.headers["Location"])
    assert page.status_code == 200
    link = SERVICE_LINK.search(page.get_data(as_text=True))
    assert link, "the service name is not a link"
    assert link.group(1) == "/"
    assert client.get(link.group(1)).headers["Location"] == start.headers["Location"]
