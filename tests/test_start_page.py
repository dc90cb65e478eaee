"""Everyone lands, after signing in, on a page they may open: their own work first."""
from __future__ import annotations

import pytest

from app.core.roles import ALL_ROLES

# The operations manager works a lane (Resolve professional disagreement): their own work first, as the MASH manager.
EXPECTED = {"police": "/inbox", "mash-manager": "/inbox", "ops-manager": "/inbox",
            "process-owner": "/process-models", "trainer": "/maps", "auditor": "/audit",
            "referrer": "/contacts/new", "admin": "/process-models"}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_the_start_page_opens_for_every_role(web, role):
    client = web(role)
    start = client.get("/")
    assert start.status_code == 302
    target = start.headers["Location"]
    assert client.get(target).status_code == 200, f"{role} lands on {target}"
    if role in EXPECTED:
        assert target == EXPECTED[role]
