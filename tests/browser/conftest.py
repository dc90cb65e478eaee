"""What every browser test shares: people at their own desks (tests/browser/test_hub_journey.py's Desks)."""
from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.browser.test_hub_journey import Desks


@pytest.fixture
def person(live_server, browser: Browser):
    desks = Desks(live_server, browser)
    yield desks
    for context in desks.contexts:
        context.close()
