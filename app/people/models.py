"""People, the hub's proposals that a contact's subject is someone already known, merges and relationships.

A subject on a contact always gets a person record of its own at intake. Confirming a proposed match
merges that record into the known person (``merged_into_id``); unmerging clears it again. Records are
never folded together destructively, so every merge can be undone and the names each contact used stay
searchable as variants of the person they were merged into.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime


class Person(Base):
    __tablename__ = "person"
    __table_args__ = (
        # Blocking key for fuzzy name matching; swapped names query the same index with the keys reversed.
        Index("ix_person_name_keys", "family_key", "given_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date | None] = mapped_column(Date, index=True)
    #: Ten digits, no spaces; checked with the NHS modulus-11 rule at intake.
    nhs_number: Mapped[str | None] = mapped_column(String(10), index=True)
    #: CIN ``GenderCurrent``: 1 male, 2 female, 0 not recorded or unborn, 9 indeterminate.
    gender: Mapped[str | None] = mapped_column(String(1))
    #: CIN ethnicity (DOMAIN.md 5.7).
    ethnicity: Mapped[str | None] = mapped_column(String(4))
    address: Mapped[str | None] = mapped_column(String(500))
    #: Upper case without spaces ("E17AA"), for matching on address.
    postcode: Mapped[str | None] = mapped_column(String(8), index=True)
    given_key: Mapped[str] = mapped_column(String(16), default="")
    family_key: Mapped[str] = mapped_column(String(16), default="")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip() or "Anonymised"


class SubjectMatch(Base):
    """A proposal that a contact's subject is an existing person, with the score and why; a screener decides."""

    __tablename__ = "subject_match"
    __table_args__ = (UniqueConstraint("subject_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list] = mapped_column(JSON)
    #: proposed, confirmed, rejected (and unmerged, when a confirmed match was undone).
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PersonMerge(Base):
    """One merge of a person record into another, and its undoing: the history behind ``merged_into_id``."""

    __tablename__ = "person_merge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    into_person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    match_id: Mapped[int | None] = mapped_column(ForeignKey("subject_match.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(Text)
    merged_by: Mapped[str] = mapped_column(String(80))
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime())
    unmerged_by: Mapped[str | None] = mapped_column(String(80))
    unmerged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unmerge_reason: Mapped[str | None] = mapped_column(Text)


class PersonRelationship(Base):
    """``person`` is the ``relationship`` of ``related_person`` (for example: parent of, alleged perpetrator
    towards)."""

    __tablename__ = "person_relationship"
    __table_args__ = (UniqueConstraint("person_id", "related_person_id", "relationship"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    related_person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    #: parent, carer, sibling, household-member, alleged-perpetrator, significant-other.
    relationship: Mapped[str] = mapped_column(String(30))
    source_case_id: Mapped[int | None] = mapped_column(ForeignKey("mash_case.id", ondelete="SET NULL"))
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Place(Base):
    """A place the hub has been told children are linked to: a home or other address, or a named location
    (a park, a takeaway, a hotel). Not personal data unless it is someone's home (``kind`` "home")."""

    __tablename__ = "place"
    __table_args__ = (Index("ix_place_name_postcode", "name_key", "postcode"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: home, address, park, takeaway, hotel, shop, transport, other (app.people.places.PLACE_KINDS).
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    #: Lower case, single spaces: two contacts naming "The Park Café" and "the park cafe " find one place.
    name_key: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(500))
    #: Upper case without spaces, as the person index keeps postcodes.
    postcode: Mapped[str | None] = mapped_column(String(8), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Association(Base):
    """What a contact or an agency said: a child is linked to an adult of concern or to a place. Proposed when
    recorded; only a hub decision maker's confirmation makes it count towards the exploitation flags."""

    __tablename__ = "person_association"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The child's own person record (its person is found through merges when read).
    child_person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    #: Exactly one of the adult of concern and the place.
    adult_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    place_id: Mapped[int | None] = mapped_column(ForeignKey("place.id", ondelete="CASCADE"), index=True)
    #: The kind of link (app.people.places.LINKS): seen-with, associate, exploiting, found-at, frequents, ...
    link: Mapped[str] = mapped_column(String(30))
    seen_on: Mapped[date] = mapped_column(Date, index=True)
    source_case_id: Mapped[int | None] = mapped_column(ForeignKey("mash_case.id", ondelete="SET NULL"), index=True)
    #: The agency that said so (app.core.codes.AGENCY_LABELS), or "mash" for the hub's own finding.
    agency: Mapped[str] = mapped_column(String(40))
    #: proposed, confirmed, rejected.
    status: Mapped[str] = mapped_column(String(20), default="proposed", index=True)
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
