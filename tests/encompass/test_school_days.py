"""Operation Encompass's clock: the school is told before the start of the next school day after the incident,
by the school's own day start, terms and INSET days (processes/schools.toml)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from app.core.schools import SchoolsError, hub_schools, next_school_day, parse_schools, school_days_between

LONDON = ZoneInfo("Europe/London")
FILE = """
[school_day]
starts = "08:45"
[terms.la]
dates = [["2027-01-04", "2027-02-12"], ["2027-02-22", "2027-03-26"]]
[[school]]
id = "oak"
name = "Oak Primary"
dsl_name = "A Lead"
dsl_email = "dsl@oak.example"
dsl_phone = "01632 960000"
terms = "la"
inset_days = []
"""


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


def test_a_friday_night_incident_is_due_before_school_starts_on_monday():
    schools = parse_schools(FILE)
    assert next_school_day("oak", at("2027-01-08T23:10"), schools) == at("2027-01-11T08:45")


def test_an_inset_day_on_the_monday_moves_it_to_tuesday():
    schools = parse_schools(FILE.replace("inset_days = []", 'inset_days = ["2027-01-11"]'))
    assert next_school_day("oak", at("2027-01-08T23:10"), schools) == at("2027-01-12T08:45")


def test_a_half_term_and_a_morning_incident_after_the_bell():
    schools = parse_schools(FILE)
    # The last Friday before half term: the next school day is the Monday after it.
    assert next_school_day("oak", at("2027-02-12T19:00"), schools) == at("2027-02-22T08:45")
    # An incident at 07:30 on a school day: before that morning's start; at 09:00, the next day's.
    assert next_school_day("oak", at("2027-01-12T07:30"), schools) == at("2027-01-12T08:45")
    assert next_school_day("oak", at("2027-01-12T09:00"), schools) == at("2027-01-13T08:45")


def test_school_days_missed_count_the_days_begun_before_the_school_was_told():
    oak = parse_schools(FILE)["oak"]
    assert school_days_between(oak, at("2027-01-08T23:10"), at("2027-01-11T08:00")) == 0
    assert school_days_between(oak, at("2027-01-08T23:10"), at("2027-01-12T10:00")) == 2


def test_the_shipped_schools_have_leads_and_a_broken_file_is_refused():
    shipped = hub_schools()
    assert shipped and all(s.dsl_name and s.dsl_email and s.dsl_phone for s in shipped.values())
    with pytest.raises(SchoolsError, match="terms 'nowhere'"):
        parse_schools(FILE.replace('terms = "la"', 'terms = "nowhere"'))
