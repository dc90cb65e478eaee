"""What every browser test shares: people at their own desks (tests/browser/test_hub_journey.py's Desks), and
filling a GOV.UK date input."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from playwright.sync_api import Browser, Page

from app.core.calendar import LONDON
from tests.browser.test_hub_journey import Desks


@pytest.fixture
def person(live_server, browser: Browser):
    desks = Desks(live_server, browser)
    yield desks
    for context in desks.contexts:
        context.close()


def fill_date(page: Page, field: str, day: date | datetime | str) -> None:
    """Type a day into the GOV.UK date input ``field`` (its ``-day``, ``-month`` and ``-year`` boxes): a time as
    its London day, a date or an ISO date as it is."""
    if isinstance(day, datetime):
        day = day.astimezone(LONDON).date()
    elif isinstance(day, str):
        day = date.fromisoformat(day)
    page.locator(f"#{field}-day").fill(str(day.day))
    page.locator(f"#{field}-month").fill(str(day.month))
    page.locator(f"#{field}-year").fill(str(day.year))
