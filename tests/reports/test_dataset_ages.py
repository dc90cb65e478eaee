"""The MI dataset's child age at contact: whole years, never negative."""
from __future__ import annotations

from datetime import date

from app.reports.dataset import age_on


def test_a_child_is_the_age_they_had_reached_on_the_day_of_the_contact():
    assert age_on(date(2015, 6, 1), date(2026, 5, 31)) == 10
    assert age_on(date(2015, 6, 1), date(2026, 6, 1)) == 11
    assert age_on(None, date(2026, 6, 1)) is None


def test_a_date_of_birth_after_the_contact_is_no_age():  # an unborn child's expected date, or a date typed wrong
    assert age_on(date(2026, 6, 2), date(2026, 6, 1)) is None
