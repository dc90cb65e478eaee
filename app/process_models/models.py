from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime


class ProcessVersion(Base):
    """One deployed definition. Never updated: a changed diagram is a new row."""

    __tablename__ = "process_version"
    __table_args__ = (UniqueConstraint("process_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    #: The bundle's content hash. Not unique: making an earlier version current again stores its files once
    #: more, as a new version (a rollback is a deploy, never an edit of history).
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    bundle: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(80))
    #: What changed and why, in the process owner's words (shown in the version history).
    note: Mapped[str | None] = mapped_column(Text)
    #: How it arrived: init (shipped diagrams), web (upload page), modeler, api or cli.
    source: Mapped[str | None] = mapped_column(String(20))


#: A deployed version is a record of how the hub worked: the database refuses to change or remove it,
#: so a running case always finds the diagram it started on. Attached to the table so create_all and
#: migration 0008 agree.
IMMUTABLE_DDL = {
    "sqlite": [
        ("CREATE TRIGGER process_version_no_update BEFORE UPDATE ON process_version "
         "BEGIN SELECT RAISE(ABORT, 'process_version rows are immutable: deploy a new version'); END"),
        ("CREATE TRIGGER process_version_no_delete BEFORE DELETE ON process_version "
         "BEGIN SELECT RAISE(ABORT, 'process_version rows are immutable: deploy a new version'); END"),
    ],
    "postgresql": [
        ("CREATE OR REPLACE FUNCTION process_version_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ "
         "BEGIN RAISE EXCEPTION 'process_version rows are immutable: deploy a new version'; END $$"),
        ("CREATE TRIGGER process_version_no_change BEFORE UPDATE OR DELETE ON process_version "
         "FOR EACH ROW EXECUTE FUNCTION process_version_immutable()"),
    ],
}

for _dialect, _statements in IMMUTABLE_DDL.items():
    for _statement in _statements:
        event.listen(ProcessVersion.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))
