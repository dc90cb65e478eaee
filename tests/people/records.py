"""Person records made directly, as intake would make them, for matching tests that need a known index."""
from __future__ import annotations

from datetime import UTC, date, datetime

from app.people.models import Person
from app.people.names import family_key, given_key, postcode_of

T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def person(session, given: str, family: str, dob: str | None = None, *, nhs: str | None = None,
           address: str | None = None, gender: str | None = None, merged_into: int | None = None) -> Person:
    row = Person(given_name=given, family_name=family, date_of_birth=date.fromisoformat(dob) if dob else None,
                 nhs_number=nhs, gender=gender, address=address, postcode=postcode_of(address),
                 given_key=given_key(given), family_key=family_key(family), merged_into_id=merged_into, created_at=T0)
    session.add(row)
    session.flush()
    return row
