"""Where in a TOML file something is: the hub's own config files (SLA policies, lawful bases) are
refused with the line at fault, and both find that line the same way."""
from __future__ import annotations

import re
import tomllib


def decode_error_line(error: tomllib.TOMLDecodeError) -> int | None:
    """The line tomllib names in its message ("... (at line 3, column 7)")."""
    found = re.search(r"line (\d+)", str(error))
    return int(found.group(1)) if found else None


def key_line(lines: list[str], start: int, key: str | None) -> int:
    """The 1-based line of ``key = …`` in the table whose header is ``lines[start]``; the header's own
    line when the key is not written there (a missing key is reported at its table)."""
    if key is not None:
        for i in range(start + 1, len(lines)):
            if re.match(r"^\s*\[", lines[i]):
                break
            if re.match(rf"^\s*{re.escape(key)}\s*=", lines[i]):
                return i + 1
    return start + 1
