"""Identities a partner asked the hub to protect (2024 golden rule 5): how they are read from an agency's
answer, and how they are hidden from text. One rule for everything that leaves the hub: the information
product and the subject access export."""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

REDACTED = "[identity protected]"
#: Entries shorter than this are not names (a stray initial would hide every word "a").
_MIN_NAME = 2
_APOSTROPHES = "'’‘`"


def protected_names(lists: Iterable[str | None]) -> list[str]:
    """The names in partners' "identities to protect" answers: one per line or comma separated.

    A note in brackets or after a spaced dash ("Jane Doe (neighbour)", "Jane Doe – neighbour") is not
    part of the name; it would otherwise stop the name itself from being found.
    """
    names: dict[str, str] = {}
    for text in lists:
        for entry in re.split(r"[\n,;]", text or ""):
            entry = re.sub(r"[(\[].*?([)\]]|$)", " ", entry)
            entry = re.split(r"\s[-–—]\s", entry)[0]
            entry = " ".join(entry.split()).strip(" .:")
            if sum(c.isalpha() for c in entry) >= _MIN_NAME:
                names.setdefault(entry.casefold(), entry)
    return list(names.values())


class Redactor:
    """Hides whole names, case-insensitively, however the spaces and apostrophes in them are typed."""

    def __init__(self, names: Sequence[str], marker: str = REDACTED) -> None:
        self.count = 0
        self.marker = marker
        parts = [_name_pattern(n) for n in sorted(names, key=len, reverse=True)]
        self.pattern = re.compile(rf"(?<!\w)(?:{'|'.join(parts)})(?!\w)", re.IGNORECASE) if parts else None

    def __call__(self, text: str | None) -> str | None:
        if text is None or self.pattern is None:
            return text
        redacted, found = self.pattern.subn(self.marker, text)
        self.count += found
        return redacted


def redact(text: str | None, names: Sequence[str]) -> str | None:
    """``text`` with each of ``names`` hidden (see Redactor)."""
    return Redactor(names)(text)


def _name_pattern(name: str) -> str:
    pieces = []
    for word in name.split():
        escaped = "".join(f"[{re.escape(_APOSTROPHES)}]" if ch in _APOSTROPHES else re.escape(ch) for ch in word)
        pieces.append(escaped)
    return r"\s+".join(pieces)
