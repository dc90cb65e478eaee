"""The audit trail: every change and view, written in the same transaction as the action."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, JSON, BigInteger, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime


class AuditEvent(Base):
    """Append-only and hash-chained. ``seq`` is the entry's place in the chain and ``hash`` covers the
    entry and the previous entry's hash, so an edited, removed or reordered row breaks the chain
    (``mash audit verify``). The case history and the process map's trail are read from here."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_case_id_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    username: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("mash_case.id"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """One row: the last entry of the chain. Appending locks it, so entries join the chain one at a
    time in commit order, and removing the newest entries is caught by comparing with it."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


#: The database refuses to change or remove audit rows, whoever asks (a DBA must drop the trigger first,
#: and the chain still shows what they did). Attached to the table so create_all and migrations agree.
APPEND_ONLY_DDL = {
    "sqlite": [
        ("CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
         "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"),
        ("CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
         "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"),
    ],
    "postgresql": [
        ("CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
         "BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$"),
        ("CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
         "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"),
        ("CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
         "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"),
    ],
}

for _dialect, _statements in APPEND_ONLY_DDL.items():
    for _statement in _statements:
        event.listen(AuditEvent.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))
