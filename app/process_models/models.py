from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime


class ProcessVersion(Base):
    """One deployed definition. Never updated: a changed diagram is a new row."""

    __tablename__ = "process_version"
    __table_args__ = (UniqueConstraint("process_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    bundle: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(80))
    #: What changed and why, in the process owner's words (shown in the version history).
    note: Mapped[str | None] = mapped_column(Text)
    #: How it arrived: init (shipped diagrams), web (upload page), modeler, api or cli.
    source: Mapped[str | None] = mapped_column(String(20))
