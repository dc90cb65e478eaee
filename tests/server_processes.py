"""What the benches and the fault tests share about driving a real server: the `mash` command, the members of
a process group (to know a SIGKILL has landed), and the walk every benchmarked case takes."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from tests import factories as f

#: (element id, acting user, form data): contact -> screening (amber; police + health) -> both checks ->
#: review -> decision (no further action) -> feedback to the referrer.
REFERRAL_WALK = (
    ("screening", "mash-manager", f.screening("amber", ["police", "health"])),
    ("police_check", "police", f.agency_return()),
    ("health_check", "health", f.agency_return()),
    ("mash_review", "mash-manager", f.review()),
    ("decision", "mash-manager", f.decision("nfa")),
    ("feedback_to_referrer", "business-support", f.feedback()),
)


def mash_command() -> list[str]:
    """The project's `mash`, next to the running interpreter (the venv), else the CLI through Python."""
    script = Path(sys.executable).parent / "mash"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from app.cli import main; main()"]


def process_stats() -> Iterator[tuple[int, list[str]]]:
    """Each process's id and the fields of its /proc stat after "pid (comm) ": state, ppid, pgrp, ... (utime,
    stime, cutime and cstime at 11-14)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        yield int(entry.name), stat[stat.rindex(")") + 2:].split()


def process_group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes in a process group, from /proc."""
    return [pid for pid, fields in process_stats() if int(fields[2]) == pgid and fields[0] != "Z"]
