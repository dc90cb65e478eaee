"""The MARAC meetings calendar the hub keeps (``processes/marac-meetings.toml``): which meeting a referral
made now goes to. Hub-wide and current; read again when the file changes."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from app.core.calendar import LONDON, HubCalendar
from app.core.rule_files import processes_folder

MEETINGS_FILE = "marac-meetings.toml"


class MeetingsError(ValueError):
    """marac-meetings.toml was refused; the message says why."""


@dataclass(frozen=True)
class MeetingsCalendar:
    meetings: tuple[date, ...]
    referral_cutoff_days: int = 5

    def next_meeting(self, referred_at: datetime, calendar: HubCalendar | None = None) -> date | None:
        """The first meeting at least ``referral_cutoff_days`` working days after the referral (None: the
        calendar has no such meeting: the coordinator adds dates)."""
        calendar = calendar or HubCalendar()
        day = referred_at.astimezone(LONDON).date() if isinstance(referred_at, datetime) else referred_at
        for _ in range(self.referral_cutoff_days):
            day = calendar.next_working_day(day)
        return next((meeting for meeting in self.meetings if meeting >= day), None)


def parse_meetings(text: str) -> MeetingsCalendar:
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise MeetingsError(f"processes/{MEETINGS_FILE}: not valid TOML: {error}") from None
    try:
        meetings = tuple(sorted(date.fromisoformat(str(d)) for d in data.get("meetings", [])))
    except ValueError as error:
        raise MeetingsError(f"processes/{MEETINGS_FILE}: meetings: {error}") from None
    cutoff = data.get("referral_cutoff_days", 5)
    if not isinstance(cutoff, int) or not 0 <= cutoff <= 60:
        raise MeetingsError(f"processes/{MEETINGS_FILE}: referral_cutoff_days must be a whole number from 0 to 60")
    return MeetingsCalendar(meetings, cutoff)


def hub_meetings(folder: Path | None = None) -> MeetingsCalendar:
    path = (folder or processes_folder()) / MEETINGS_FILE
    return parse_meetings(path.read_text(encoding="utf-8")) if path.exists() else MeetingsCalendar(())
